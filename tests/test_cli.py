"""The command line: --help of every command, generate's reproducibility, clean errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import BROKEN, CONCEPTS

from quizgen.cli import cli
from quizgen.core.answer import ANSWER_KINDS


def _commands(group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


@pytest.fixture
def runner():
    return CliRunner()


def test_top_level_help(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    names = cli.list_commands(click.Context(cli))
    assert {"check", "generate", "drill", "stats", "deck", "quiz", "grade", "schema", "topics"} <= set(names)
    for name in names:
        assert name in result.output


@pytest.mark.parametrize("path", list(_commands(cli)), ids=lambda p: " ".join(p))
def test_every_command_has_help(runner, path):
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    # The usage line as Click itself builds it, not Click's wording of it (which Click may change).
    ctx = click.Context(cli, info_name="quizgen")
    for name in path:
        command = ctx.command.get_command(ctx, name)  # type: ignore[attr-defined]
        ctx = click.Context(command, info_name=name, parent=ctx)
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    assert usage.split(" ", 1)[1] in " ".join(result.output.split()), (usage, result.output[:300])
    command = cli.get_command(click.Context(cli), path[0])
    assert command.help.split("\n")[0].strip()[:20] in " ".join(result.output.split())
    assert "Example: quizgen " + path[0] in result.output  # every command shows one way to use it


def _generate(runner, *args):
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("topic", sorted(p.stem for p in CONCEPTS.glob("*.yaml")))
def test_generate_jsonl_is_reproducible(runner, topic):
    a = _generate(runner, topic, "--n", "12", "--seed", "7", "--format", "jsonl")
    b = _generate(runner, topic, "--n", "12", "--seed", "7", "--format", "jsonl")
    c = _generate(runner, topic, "--n", "12", "--seed", "8", "--format", "jsonl")
    assert a == b
    records = [json.loads(line) for line in a.splitlines()]
    others = [json.loads(line) for line in c.splitlines()]
    assert len(records) == 12
    assert {r["id"] for r in records}.isdisjoint({r["id"] for r in others})
    for r in records:
        assert set(r) >= {"id", "inputs", "prompt", "answer", "steps", "misconceptions"}
        assert r["answer"]["kind"] in ANSWER_KINDS
        assert r["id"].split(".")[0] == r["concept"]


def test_jsonl_says_which_answers_count_things(runner):
    """A program reading the JSONL learns what the judge knows: a count's answer is marked
    ``"whole": true`` (a typed non-integer is wrong), a measured number carries no mark."""
    records = [json.loads(line) for line in _generate(runner, "conv-output-size", "--n", "6", "--format", "jsonl").splitlines()]
    numbers = [r["answer"] for r in records if r["answer"]["kind"] == "number"]
    assert numbers and all(a.get("whole") is True and float(a["value"]).is_integer() for a in numbers)
    records = [json.loads(line) for line in _generate(runner, "attention", "--n", "6", "--format", "jsonl").splitlines()]
    assert all("whole" not in r["answer"] for r in records)


def test_parallel_generation_gives_the_same_bytes(runner):
    one = _generate(runner, "all", "--n", "1100", "--seed", "5", "--format", "jsonl", "--jobs", "1")
    two = _generate(runner, "all", "--n", "1100", "--seed", "5", "--format", "jsonl", "--jobs", "2")
    assert one == two
    assert len(one.splitlines()) == 1100


def test_generate_text(runner):
    out = _generate(runner, "attention", "--n", "3", "--seed", "1")
    assert out.count("--- ") == 3
    assert "Answer (" in out and "Worked solution:" in out


def test_unknown_topic_suggests(runner):
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", "atention"])
    assert result.exit_code == 2
    assert "did you mean 'attention'" in result.output
    assert "Traceback" not in result.output


def test_check_default_concepts(runner):
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {len(list(CONCEPTS.glob('*.yaml')))} concept files")


def test_generate_refuses_broken_concepts(tmp_path, runner):
    for f in CONCEPTS.glob("*.yaml"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "min-over-max.yaml").write_bytes((BROKEN / "min-over-max.yaml").read_bytes())
    # Every command that reads the broken file refuses it (all and a tag read every file) ...
    for topic in ("all", "transformers", "min-over-max"):
        result = runner.invoke(cli, ["--concepts", str(tmp_path), "generate", topic])
        assert result.exit_code == 2
        assert "min-over-max.yaml:" in result.output and "d_k" in result.output
        assert "Traceback" not in result.output
    # ... and a topic naming another file reads that file alone (docs/concepts.md).
    assert runner.invoke(cli, ["--concepts", str(tmp_path), "generate", "attention"]).exit_code == 0


def test_console_script_runs_as_a_process():
    proc = subprocess.run(
        [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "generate", "shapes", "--n", "2", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("--- ") == 2


def test_outputs_to_special_files_and_unwritable_places(tmp_path):
    """`--csv /dev/stdout` prints the CSV (a rename over it would print nothing); a path under a
    file is a clear error, exit 2, with no temporary file left."""
    import subprocess
    import sys

    quiz = tmp_path / "q.yaml"
    made = subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "quiz", "bleu", "--n", "2", "--seed", "1", "-o", str(quiz)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    sheet = tmp_path / "q.answers.yaml"
    graded = subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "grade", str(quiz), str(sheet), "--csv", "/dev/stdout"],
                            capture_output=True, text=True, timeout=120)
    assert graded.returncode == 0 and "number,id,status" in graded.stdout, graded.stderr
    (tmp_path / "a-file").write_text("x")
    bad = subprocess.run([sys.executable, "-m", "quizgen", "schema", "--write", str(tmp_path / "a-file" / "schema.json")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "cannot write" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def test_a_pipe_given_as_an_answer_sheet_is_refused_at_once(tmp_path):
    import os
    import subprocess
    import sys

    quiz = tmp_path / "q.yaml"
    subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "quiz", "bleu", "--n", "1", "--seed", "1", "-o", str(quiz)],
                   capture_output=True, text=True, timeout=120, check=True)
    fifo = tmp_path / "sheet.yaml"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "grade", str(quiz), str(fifo)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


def test_generate_takes_several_topics_and_problem_ids(runner):
    ids = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", "bleu", "simclr", "-n", "4", "--seed", "7", "--format", "jsonl"])
    records = [json.loads(line) for line in ids.output.splitlines()]
    assert [r["concept"] for r in records] == ["bleu", "simclr", "bleu", "simclr"]  # the topics take turns
    again = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", records[1]["id"], records[2]["id"], "--format", "jsonl"])
    assert again.exit_code == 0 and [json.loads(line) for line in again.output.splitlines()] == records[1:3]


@pytest.mark.parametrize("meant", [
    "attention.scale-factor.v1.１２３",  # full-width digits: another spelling of seed 123
    "attention.scale-factor.v01.1", "attention.scale-factor.v1.0001",  # leading zeros
    "Attention.scale-factor.v1.1", "attention.scale-factor.v1." + "9" * 21, "attention.scale-factor.v1.-5",
])
def test_an_id_in_another_spelling_is_refused_as_an_id(runner, meant):
    """An id is read only as quizgen writes it; one meant as an id is told what an id is (not
    "unknown topic", and never drawn as the problem another spelling names)."""
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", meant])
    assert result.exit_code == 2 and f"could not read {meant!r} as a problem id" in result.output, result.output
    assert "without a leading 0" in result.output and "---" not in result.output


def test_schema_write_replaces_only_a_schema(runner, tmp_path):
    """--write names a .json file that is a schema or new: notes, a quiz file or a link's target
    are never replaced."""
    (tmp_path / "notes.txt").write_text("my own words")
    (tmp_path / "q.json").write_text('{"quizgen": "quiz"}')
    (tmp_path / "link.json").symlink_to(tmp_path / "notes.txt")
    for name, why in (("notes.txt", "ending in .json"), ("q.json", "something other than a concept-file schema"),
                      ("link.json", "it is a link")):
        result = runner.invoke(cli, ["schema", "--write", str(tmp_path / name)])
        assert result.exit_code == 2 and why in result.output, result.output
    assert (tmp_path / "notes.txt").read_text() == "my own words" and (tmp_path / "q.json").read_text() == '{"quizgen": "quiz"}'
    for _ in range(2):  # written, then replaced by itself
        assert runner.invoke(cli, ["schema", "--write", str(tmp_path / "concept.schema.json")]).exit_code == 0
    assert json.loads((tmp_path / "concept.schema.json").read_text())["title"] == "quizgen concept file"


def test_an_unknown_topic_is_named_as_it_was_typed(runner, tmp_path, monkeypatch):
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", "Atention"])
    assert result.exit_code == 2 and "unknown topic 'Atention'; did you mean 'attention'" in result.output, result.output
    (tmp_path / "R.YAML").write_text("name: r\ntopics: [bleu]\n", "utf-8")  # a recipe, whatever the case of its suffix
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "deck", str(tmp_path / "R.YAML"), "-o", str(tmp_path / "r.apkg"), "--variants", "1"])
    assert result.exit_code == 0 and (tmp_path / "r.apkg").exists(), result.output
    monkeypatch.chdir(tmp_path)  # an empty -o is refused, not read as "the default name"
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "-o", ""])
    assert result.exit_code == 2 and "found an empty one" in result.output and not (tmp_path / "bleu.apkg").exists(), result.output


def test_topics_in_any_case_and_the_short_n(runner):
    upper = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", "BLEU", "-n", "2", "--seed", "3", "--format", "jsonl"])
    lower = runner.invoke(cli, ["--concepts", str(CONCEPTS), "generate", "bleu", "--n", "2", "--seed", "3", "--format", "jsonl"])
    assert upper.exit_code == 0 and upper.output == lower.output and len(upper.output.splitlines()) == 2


def test_ctrl_c_stops_a_run_on_every_core_at_once_with_one_message(tmp_path):
    """Ctrl-C reaches the workers too (one process group): they stop with the command, which
    says "interrupted" once (no worker tracebacks) and exits 130."""
    import shlex
    import signal
    import time

    pexpect = pytest.importorskip("pexpect")
    out = tmp_path / "many.jsonl"
    command = f"exec {shlex.quote(sys.executable)} -m quizgen --concepts {shlex.quote(str(CONCEPTS))} generate all --n 300000 --jobs 2 --format jsonl > {shlex.quote(str(out))}"
    # A test runner's worker may ignore SIGINT, and a child inherits that: restore it.
    child = pexpect.spawn("bash", ["-c", command], encoding="utf-8", timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not (out.exists() and out.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert out.stat().st_size > 0
    child.sendintr()
    child.expect(pexpect.EOF, timeout=15)
    child.close()
    said = child.before
    assert child.exitstatus == 130, said
    assert said.count("interrupted") == 1 and "Traceback" not in said, said


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["topics"], ["generate", "attention", "--n", "2"],
                                  ["generate", "all", "--n", "1200", "--format", "jsonl"], ["check"]])
def test_output_onto_a_full_disk_is_one_line_and_exit_2(args):
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (Linux)")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr == "writing the output: No space left on device\n", proc.stderr


def test_a_shape_problems_steps_read_as_torch_writes_shapes() -> None:
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "generate", "squeeze-unsqueeze", "--n", "4", "--seed", "3"])
    assert result.exit_code == 0, result.output
    solutions = re.findall(r"Worked solution:\n((?:  .*\n)+)", result.output)
    assert solutions and all(("torch.Size([" in s or "= error" in s) and "shape (" not in s for s in solutions), solutions


def test_a_signal_while_a_finished_command_shuts_down_changes_nothing(tmp_path):
    """Ctrl-C and SIGTERM arriving after the command is done (here: from an exit handler, as the
    interpreter shuts down) leave its exit status 0 and print no traceback; a class quiz already
    written exited 130, or printed `SystemExit: 143` from an exit handler of torch's."""
    code = (
        "import atexit, os, signal, sys\n"
        "from quizgen.cli import main\n"
        "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), os.kill(os.getpid(), signal.SIGTERM)))\n"
        f"sys.argv = ['quizgen', '--concepts', {str(CONCEPTS)!r}, 'topics']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "QUIZGEN_HOME": str(tmp_path / "home")})
    assert done.returncode == 0 and "attention" in done.stdout, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
