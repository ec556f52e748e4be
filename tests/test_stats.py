"""``quizgen stats`` after a drill driven through a real pseudo-terminal.

A learner reveals one answer with ``?``, rates a flashcard and gets one problem wrong; ``stats``
must count the reveal as a reveal (not a wrong answer), say exactly what the drill's summary
said, list only the concept practised (every concept with ``--all``) and fit 80 columns, with
colour and without. The drill's verdict on the wrong matrix shows its ``*`` marks on a colour
terminal, and never draws the key in the error colour.
"""

from __future__ import annotations

import re
import sys

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS
from test_drill import PROMPT, _env, plain, reviews, spawn, transcript

from quizgen.cli import cli

pexpect = pytest.importorskip("pexpect", reason="pexpect (a test dependency) drives the drill in a pseudo-terminal")
if sys.platform.startswith("win"):  # pragma: no cover
    pytest.skip("pseudo-terminal tests need a POSIX pty", allow_module_level=True)

RED = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:31|91|38;5;(?:1|9|160|196))(?:;[0-9;]*)?m")


def _drill(home, **env) -> str:
    """attention, seed 1: a reveal (?), a flashcard rated good, a wrong 2×2 score matrix."""
    child = spawn(home, "attention", "--n", "3", "--seed", "1", dims=(30, 80), **env)
    child.expect("Answer with")
    child.expect(PROMPT)
    child.sendline("?")
    child.expect("Enter shows the answer > ")
    child.sendline("")
    child.expect("4 easy > ")
    child.sendline("3")
    child.expect("2×2 matrix")
    child.expect(PROMPT)
    child.sendline("1 2; 3 4")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return child.logfile_read.getvalue()


def _stats(home, *args: str, dims=(30, 80), **env) -> str:
    env.setdefault("NO_COLOR", "1")
    if env["NO_COLOR"] == "":
        del env["NO_COLOR"]
    child = pexpect.spawn(sys.executable, ["-m", "quizgen", "--concepts", str(CONCEPTS), "stats", *args],
                          env=_env(home, **env), encoding="utf-8", dimensions=dims, timeout=60)
    out = child.read()
    child.close()
    assert child.exitstatus == 0, out
    return out


@pytest.mark.parametrize("colour", [False, True], ids=["NO_COLOR", "colour"])
def test_stats_agrees_with_the_drill_and_fits_80_columns(tmp_path, colour: bool) -> None:
    env = {"NO_COLOR": "", "TERM": "xterm-256color"} if colour else {}
    raw = _drill(tmp_path, **env)
    said = plain(raw)
    summary = re.search(r"^(\d+ problems?: .*rated\.)$", said, re.M)
    assert summary and summary.group(1) == "2 problems: 0 right, 1 wrong, 1 shown without an answer; 1 flashcard rated."
    assert [r["status"] for r in reviews(tmp_path)] == ["skipped", "good", "wrong"]

    out = _stats(tmp_path, **env)
    text = plain(out)
    # The same words as the drill's summary, and a reveal counted as a reveal, not as wrong.
    assert "All: " + summary.group(1) in " ".join(text.split())
    row = re.search(r"^attention\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", text, re.M)
    assert row and row.groups() == ("0", "1", "0%", "1", "0", "1", "0")
    # Only the concept practised, and a word about the others.
    assert not re.search(r"^(bleu|vae|rope)\s", text, re.M)
    others = len(list(CONCEPTS.glob("*.yaml"))) - 1
    assert f"{others} concepts not practised yet (--all lists every concept)." in text
    # Within 80 columns, colour codes aside.
    lines = [line for line in text.splitlines() if not line.startswith(str(tmp_path))]
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    if colour:
        assert "\x1b[" in out  # it really was drawn in colour

    every = plain(_stats(tmp_path, "--all", **env))
    for concept in ("attention", "bleu", "vae", "rope", "ssl-teachers"):
        assert re.search(rf"^{concept}\s+\d+\s+\d+", every, re.M), concept
    assert "not practised yet" not in every
    assert all(len(line) <= 80 for line in every.splitlines() if not line.startswith(str(tmp_path)))


def test_stats_on_a_40_column_terminal_cuts_no_word_and_no_number(tmp_path) -> None:
    """A phone's terminal: tables too wide for it become lists (a row's first cell on its own
    line, then "header value" pairs kept whole), and the 28-day chart takes one column a day."""
    _drill(tmp_path)
    text = plain(_stats(tmp_path, "--all", "--recent", "3", dims=(200, 40)))
    lines = [line for line in text.splitlines() if not line.startswith(str(tmp_path))]
    assert all(len(line) <= 40 for line in lines), max(lines, key=len)
    assert re.search(r"^attention\n {4}right 0 {3}wrong 1 {3}acc\. 0%", text, re.M), text
    for concept in (p.stem for p in CONCEPTS.glob("*.yaml")):  # every id whole, on a line of its own
        assert re.search(rf"^{concept}$", text, re.M), concept
    chart = re.search(r"^  0% │(.*)$", text, re.M)
    assert chart and len(chart.group(1)) == 28, text
    assert "24 h 0" in text and "7 days 0" in text  # a header with a space stays with its value
    # The sentence of totals wraps under its own start: "All: " then lines indented past it.
    total = re.search(r"^All: .*?rated\.$", text, re.M | re.S)
    assert total and len(total.group(0).splitlines()) >= 2, text
    assert all(line.startswith("     ") for line in total.group(0).splitlines()[1:]), text


def test_stats_on_a_home_that_is_a_file_says_so(tmp_path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "stats"], env={"QUIZGEN_HOME": str(home)})
    assert result.exit_code == 2 and f"{home} is a file, not a folder" in result.output, result.output
    assert result.output.count("is a file, not a folder") == 1, result.output  # said once
    # The database a folder: the drill and stats name it, not its folder (which is fine).
    other = tmp_path / "other"
    (other / "quizgen.sqlite3").mkdir(parents=True)
    for command in (["stats"], ["drill", "attention", "-n", "1"], ["drill", "attention", "-n", "1", "--no-save"]):
        result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), *command], env={"QUIZGEN_HOME": str(other)}, input="")
        assert result.exit_code == 2 and "quizgen.sqlite3 is a folder, not a database file: move it aside" in result.output, result.output


@pytest.mark.parametrize("env", [{"NO_COLOR": "", "TERM": "xterm-256color"}, {"NO_COLOR": "1"}, {"NO_COLOR": "", "TERM": "xterm-mono"}],
                         ids=["colour", "NO_COLOR", "monochrome"])
def test_wrong_entries_are_starred_and_the_key_is_never_red(tmp_path, env) -> None:
    raw = _drill(tmp_path, **env)
    text = plain(raw)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "You typed" in line)
    assert "(* marks your wrong entries)" in lines[at]
    grid = lines[at + 1: at + 3]
    assert all(line.count("*") == 2 for line in grid), grid  # every typed entry is wrong here
    # The key is the right-hand column: no star there, and in colour never red.
    raw_lines = [line for line in raw.replace("\r", "").split("\n") if "*" in plain(line) and "You typed" not in plain(line)]
    assert len(raw_lines) >= 2
    for line in raw_lines[:2]:
        key_part = line[line.rindex("*"):]
        assert not RED.search(key_part[1:]), repr(line)
        assert "*" not in plain(key_part)[1:]
    assert "Worked solution:" in text and transcript


def test_a_read_only_disk_is_named_as_such(tmp_path) -> None:
    """A home on a read-only disk was reported as "the file itself: check its permissions"."""
    import errno

    from quizgen.drill.store import Store

    store = Store.__new__(Store)  # only the path is needed to say which part is at fault
    store.path = tmp_path / "quizgen.sqlite3"
    store.path.write_text("")
    assert "the disk is read-only: drill with --no-save" in store._where(OSError(errno.EROFS, "Read-only file system"))
    assert store._where(OSError(errno.EACCES, "Permission denied")) == "the file itself: check its permissions"
