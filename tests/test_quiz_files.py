"""Replacing a quiz's files: together or not at all, never a filled-in answer sheet.

Every step of a replacement (each staged write, each move aside, each link) is interrupted in
turn, with Ctrl-C, a full disk, a killed process; answer sheets are filled in while the quiz is
built and at the last instant; outputs are links, pipes, directories. The old set must be found
byte for byte each time, or the new set whole.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS

from quizgen.classroom.quiz import read_quiz
from quizgen.cli import cli
from quizgen.core.errors import QuizgenError


def _snapshot(folder: Path, hidden: bool = True) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and (hidden or not p.name.startswith("."))}


def _old_set(folder: Path) -> list[tuple[Path, bytes]]:
    folder.mkdir()
    for name, text in (("q.answers.yaml", "answers:\n  a.b.v1.1: ''\n"), ("q.worksheet.md", "old sheet\n"), ("q.yaml", "old quiz\n")):
        (folder / name).write_text(text)
    names = ["q.answers.yaml", "q.worksheet.md", "q.key.html", "q.yaml"]  # the key is new: it did not exist
    return [(folder / n, f"new {n}\n".encode()) for n in names]


class _Stop(BaseException):
    """An interruption (as Ctrl-C or a kill would be) at a chosen step."""


def _interrupt_at(monkeypatch, k: int, error: type[BaseException]) -> list[int]:
    """Make the k-th file operation of the replacement (staging write, rename, link) raise."""
    from quizgen.classroom import filesets

    calls = [0]

    def wrap(real):
        def step(*args, **kwargs):
            calls[0] += 1
            if calls[0] == k:
                raise error("interrupted") if error is not OSError else OSError(28, "No space left on device")
            return real(*args, **kwargs)

        return step

    monkeypatch.setattr(filesets, "write_bytes_atomic", wrap(filesets.write_bytes_atomic))
    monkeypatch.setattr(os, "rename", wrap(os.rename))
    monkeypatch.setattr(os, "link", wrap(os.link))
    return calls


def test_replace_together_counts_its_steps(tmp_path, monkeypatch):
    from quizgen.classroom.filesets import replace_together

    files = _old_set(tmp_path / "d")
    calls = _interrupt_at(monkeypatch, 0, _Stop)
    replace_together(files, lambda old, target: None)
    assert calls[0] == 5 + 4 + 4  # 4 staged files and a journal; 4 moves aside (one finds no file); 4 links
    assert _snapshot(tmp_path / "d") == {p.name: data for p, data in files}  # nothing else left behind


@pytest.mark.parametrize("error", [_Stop, KeyboardInterrupt, OSError])
def test_an_interrupted_replacement_leaves_the_old_set_at_every_step(tmp_path, monkeypatch, error):
    from quizgen.classroom.filesets import replace_together

    for k in range(1, 14):
        folder = tmp_path / f"{error.__name__}{k}"
        files = _old_set(folder)
        before = _snapshot(folder)
        with monkeypatch.context() as m:
            _interrupt_at(m, k, error)
            try:
                replace_together(files, lambda old, target: None)
            except (error, QuizgenError):
                assert _snapshot(folder) == before, k  # byte for byte, and no staged or journal file left
            else:  # a link refused for another reason than an existing file: the file is created instead
                assert error is OSError and k in (7, 9, 11, 13), k  # the links
                assert _snapshot(folder) == {p.name: data for p, data in files}, k


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_signal_after_the_commit_point_lets_the_clean_up_finish(tmp_path, monkeypatch, signame):
    """Ctrl-C or SIGTERM as the journal goes (the commit point) or as the old copies are removed:
    the new set stands, so the replacement finishes and returns; before, it reported an
    interruption and left every old file (an old answer key among them) in a hidden copy."""
    import signal

    from quizgen.classroom import filesets
    from quizgen.core.command import exit_on_sigterm

    previous = signal.getsignal(signal.SIGTERM)
    exit_on_sigterm()  # as every command runs: SIGTERM is an exit, Ctrl-C a KeyboardInterrupt
    try:
        for k in (1, 2, 5):  # the journal's removal, the first old copy's, a later one
            folder = tmp_path / f"{signame}{k}"
            files = _old_set(folder)
            calls = [0]
            real = filesets._unlink

            def unlink(path, real=real, k=k, calls=calls):
                if calls[0] or path.name.endswith(filesets.JOURNAL):  # from the commit point on
                    calls[0] += 1
                    if calls[0] == k:
                        os.kill(os.getpid(), getattr(signal, signame))
                real(path)

            with monkeypatch.context() as m:
                m.setattr(filesets, "_unlink", unlink)
                filesets.replace_together(files, lambda old, target: None)
            assert _snapshot(folder) == {p.name: data for p, data in files}, k  # no hidden copy left
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_second_ctrl_c_while_a_replacement_is_undone_still_leaves_the_old_set(tmp_path, monkeypatch):
    """Ctrl-C during the swap, then another while the old files are put back (a user pressing it
    twice): the undoing finishes, so the old set is found byte for byte (a class was left half
    old and half new, with hidden copies, in 12 of 17 double signals)."""
    import signal

    from quizgen.classroom import filesets

    for k in (9, 11, 13):  # interrupted at the second, third and fourth link
        folder = tmp_path / f"k{k}"
        files = _old_set(folder)
        before = _snapshot(folder)
        real = filesets._restore

        def restore(target, placed, real=real):
            os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C, at every file put back
            return real(target, placed)

        with monkeypatch.context() as m:
            _interrupt_at(m, k, KeyboardInterrupt)
            m.setattr(filesets, "_restore", restore)
            with pytest.raises(KeyboardInterrupt):
                filesets.replace_together(files, lambda old, target: None)
        assert _snapshot(folder) == before, k
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_replacement_cut_short_by_a_dead_process_is_undone_by_the_next_run(tmp_path, monkeypatch):
    from quizgen.classroom import filesets

    for k in range(6, 14):  # after the journal is written: every rename and link
        folder = tmp_path / f"k{k}"
        files = _old_set(folder)
        before = _snapshot(folder)
        with monkeypatch.context() as m:
            _interrupt_at(m, k, _Stop)
            m.setattr(filesets, "_roll_back", lambda *a, **kw: False)  # the process dies: nothing undone
            with pytest.raises(_Stop):
                filesets.replace_together(files, lambda old, target: None)
        assert _snapshot(folder, hidden=False) != before or k == 6, k
        assert len(filesets.recover(folder)) == 1
        assert _snapshot(folder) == before, k
        assert filesets.recover(folder) == []


def _filled(text: str, how: str) -> str:
    """An answer sheet with its first answer filled in, in one of the ways a student might."""
    line = re.search(r"^  (\S+): ''$", text, re.MULTILINE)
    assert line
    value = {"quoted": "'0.5'", "plain": "0.5", "double": '"1/4"', "block": "|\n    1 2; 3 4", "error": "error"}[how]
    return text.replace(line.group(0), f"  {line.group(1)}: {value}", 1)


@pytest.mark.parametrize("how", ["quoted", "plain", "double", "block", "error", "binary"])
def test_a_sheet_filled_after_the_check_is_never_blanked(tmp_path, monkeypatch, how):
    """--force checks for filled sheets before building, and again on the very bytes it would
    replace: a sheet filled while the quiz is built stays, and nothing of its quiz changes."""
    from quizgen.classroom import commands

    runner = CliRunner()
    args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "-o", str(tmp_path / "w.yaml"), "--key"]
    assert runner.invoke(cli, [*args, "--seed", "1"]).exit_code == 0
    sheet = tmp_path / "w.answers.yaml"
    filled = b"\x00\x01 not text" if how == "binary" else _filled(sheet.read_text(), how).encode()
    real = commands.build_quiz

    def build_then_fill(*a, **kw):  # the student saves while the quiz is being built
        result = real(*a, **kw)
        sheet.write_bytes(filled)
        return result

    monkeypatch.setattr(commands, "build_quiz", build_then_fill)
    before = {**_snapshot(tmp_path), sheet.name: filled}
    result = runner.invoke(cli, [*args, "--seed", "2", "--force"])
    assert result.exit_code == 2 and "answers are filled in" in result.output, result.output
    assert _snapshot(tmp_path) == before


def test_a_sheet_filled_at_the_last_instant_is_kept_and_the_class_is_untouched(tmp_path, monkeypatch):
    """The check is made on the bytes moved aside by the replacement itself: a save just before
    that rename is seen. With --for, one student's filled sheet keeps every file of the class."""
    runner = CliRunner()
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\na1,Ann\nb2,Ben\nc3,Cy\n")
    args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "--for", str(roster), "-o", str(tmp_path / "c"), "--key"]
    assert runner.invoke(cli, args).exit_code == 0
    sheet = tmp_path / "c" / "b2.answers.yaml"
    filled = _filled(sheet.read_text(), "quoted")
    real_rename = os.rename

    def save_then_rename(src, dst):
        if Path(src) == sheet:
            sheet.write_text(filled)  # the student's save lands just before quizgen moves the sheet
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", save_then_rename)
    before = {**_snapshot(tmp_path / "c"), sheet.name: filled.encode()}
    result = runner.invoke(cli, [*args, "--seed", "9", "--force"])
    assert result.exit_code == 2 and "b2.answers.yaml: answers are filled in" in result.output, result.output
    assert _snapshot(tmp_path / "c") == before


def test_an_interrupted_quiz_key_force_keeps_the_old_set_at_every_step(tmp_path, monkeypatch):
    runner = CliRunner()
    args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "-o", str(tmp_path / "w.yaml"), "--key"]
    assert runner.invoke(cli, [*args, "--seed", "1"]).exit_code == 0
    before = _snapshot(tmp_path)
    for k in range(1, 6 + 5 + 5 + 1):  # 5 files and a journal staged, 5 moved aside, 5 linked
        with monkeypatch.context() as m:
            _interrupt_at(m, k, KeyboardInterrupt)
            result = runner.invoke(cli, [*args, "--seed", "2", "--force"])
        assert result.exit_code != 0, k
        assert _snapshot(tmp_path) == before, k
    assert runner.invoke(cli, [*args, "--seed", "2", "--force"]).exit_code == 0
    quiz = read_quiz(tmp_path / "w.yaml")
    for name in ("w.worksheet.html", "w.key.html", "w.answers.yaml"):
        assert quiz.checksum[:19] in (tmp_path / name).read_text(), name  # one set, all new


_KILL_AT = """
import os, signal, sys
from pathlib import Path
from quizgen.classroom import filesets
k, calls, real_link, real_rename = int(sys.argv[2]), [0], os.link, os.rename
def step(real):
    def run(*a, **kw):
        calls[0] += 1
        if calls[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback: the process is gone
        return real(*a, **kw)
    return run
os.link, os.rename = step(real_link), step(real_rename)
folder = Path(sys.argv[1])
names = ["q.answers.yaml", "q.worksheet.md", "q.key.html", "q.yaml"]
filesets.replace_together([(folder / n, ("new " + n).encode()) for n in names], lambda old, target: None)
"""


def test_a_killed_quiz_run_is_undone_by_recover(tmp_path):
    """A real SIGKILL at each rename or link of a replacement: the next run puts the old set back."""
    import signal
    import subprocess
    import sys

    from quizgen.classroom.filesets import recover

    for k in range(1, 9):  # 4 moves aside and 4 links
        folder = tmp_path / f"k{k}"
        _old_set(folder)
        before = _snapshot(folder)
        proc = subprocess.run([sys.executable, "-c", _KILL_AT, str(folder), str(k)], capture_output=True, timeout=60)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        assert any(p.name.endswith(".quizgen-replacing") for p in folder.iterdir())
        assert recover(folder) and _snapshot(folder) == before, k  # byte for byte, no hidden copy left
        assert not any(p.name.endswith((".quizgen-replacing", ".quizgen-old")) for p in folder.iterdir())


@pytest.mark.parametrize("kind", ["link", "dangling-link", "fifo", "dir"])
def test_a_quiz_is_never_written_over_a_link_a_pipe_or_a_directory(tmp_path, kind):
    """As ``-o /dev/stdout`` would be: the link (or pipe, or directory) stays, nothing is written."""
    from quizgen.classroom.filesets import replace_together

    (tmp_path / "real.txt").write_text("keep me")
    path = tmp_path / "target"
    if kind == "link":
        path.symlink_to(tmp_path / "real.txt")
    elif kind == "dangling-link":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(QuizgenError, match="not a regular file|is a directory"):
        replace_together([(tmp_path / "other.md", b"x"), (path, b"x")], lambda old, t: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == before and os.path.lexists(path)
    assert (tmp_path / "real.txt").read_text() == "keep me"


def test_the_next_quiz_run_undoes_a_killed_one_and_says_so(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "d"
    _old_set(folder)
    proc = subprocess.run([sys.executable, "-c", _KILL_AT, str(folder), "7"], capture_output=True, timeout=60)
    assert proc.returncode != 0 and (folder / "q.key.html").exists()  # killed half-way: a mixed set
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(folder / "elsewhere.yaml")])
    assert result.exit_code == 0 and "interrupted replacement of 4 files was undone" in result.output, result.output
    assert (folder / "q.yaml").read_text() == "old quiz\n" and not (folder / "q.key.html").exists()


def test_leftovers_of_a_finished_replacement_do_not_stop_the_next(tmp_path, monkeypatch):
    from quizgen.classroom.filesets import aside, replace_together, staged

    files = _old_set(tmp_path / "d")
    before = _snapshot(tmp_path / "d")
    for p, _ in files:  # a run killed after its commit point left its hidden copies behind
        if p.exists():
            aside(p).write_text("stale old")
        staged(p).write_text("stale new")
    with monkeypatch.context() as m:  # an interrupted run among those leftovers still undoes itself
        _interrupt_at(m, 8, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            replace_together(files, lambda old, target: None)
    assert _snapshot(tmp_path / "d") == before
    replace_together(files, lambda old, target: None)
    assert _snapshot(tmp_path / "d") == {p.name: data for p, data in files}



def test_a_temporary_file_an_interrupted_write_left_is_removed(tmp_path, monkeypatch):
    """Ctrl-C just after a staged copy's temporary file was made: the undoing removes that file
    (it was left in 10 of 12 late interrupts); one a killed run left is removed by the next
    replacement of the set (and only quizgen's own temporary names)."""
    import tempfile

    from quizgen.classroom.filesets import replace_together, staged

    files = _old_set(tmp_path / "d")
    real = tempfile.mkstemp

    def made_then_interrupted(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(tempfile, "mkstemp", made_then_interrupted)
        with pytest.raises(KeyboardInterrupt):
            replace_together(files, lambda old, target: None)
    assert not [p.name for p in (tmp_path / "d").iterdir() if p.name.endswith(".tmp")]
    (tmp_path / "d" / f".{staged(files[0][0]).name}.x1y2z3.tmp").write_text("left by a killed run")
    (tmp_path / "d" / ".notes.tmp").write_text("not ours")
    replace_together(files, lambda old, target: None)
    assert _snapshot(tmp_path / "d") == {**{p.name: data for p, data in files}, ".notes.tmp": b"not ours"}


def test_without_force_a_file_that_appears_while_the_quiz_is_built_is_kept(tmp_path, monkeypatch):
    from quizgen.classroom import commands

    real = commands.build_quiz
    stranger = tmp_path / "w.worksheet.html"

    def build_then_write(*a, **kw):  # another program writes one of the outputs meanwhile
        result = real(*a, **kw)
        stranger.write_text("someone else's page")
        return result

    monkeypatch.setattr(commands, "build_quiz", build_then_write)
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2 and "w.worksheet.html: already exists; add --force" in result.output, result.output
    assert _snapshot(tmp_path) == {stranger.name: b"someone else's page"}


def _quiz_process(folder: Path, seed: int, *extra: str):
    import subprocess
    import sys

    args = [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "quiz", "bleu", "attention", "-n", "2",
            "--seed", str(seed), "--force", "--key", *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _one_set_each(folder: Path, stems: list[str]) -> None:
    """Every quiz file's companions belong to it (its checksum), and no hidden copy is left."""
    for stem in stems:
        quiz = read_quiz(folder / f"{stem}.quiz.yaml" if (folder / f"{stem}.quiz.yaml").exists() else folder / f"{stem}.yaml")
        for suffix in (".worksheet.html", ".worksheet.md", ".key.html", ".answers.yaml"):
            assert quiz.checksum[:19] in (folder / f"{stem}{suffix}").read_text(), (stem, suffix)
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_a_second_quiz_run_into_a_busy_folder_waits_and_says_so(tmp_path):
    from quizgen.classroom.filesets import locked

    folder = tmp_path / "week3"
    folder.mkdir()
    with locked(folder):  # another quizgen is writing here
        proc = _quiz_process(folder, 2, "-o", str(folder / "w.yaml"))
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith(f"waiting: another quizgen is writing quiz files in {folder}"), line
        assert list(folder.iterdir()) == []  # nothing written while it waits
        first = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(tmp_path / "elsewhere.yaml")])
        assert first.exit_code == 0  # another folder is not held up
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    _one_set_each(folder, ["w"])


def test_two_class_quiz_runs_into_one_folder_never_mix_their_files(tmp_path):
    """Started together, two ``quiz --for`` runs with --force take turns: every student's files are
    one quiz's, never half of each, and no hidden copy is left behind."""
    roster = tmp_path / "roster.csv"
    roster.write_text("id\n" + "".join(f"S{k:03}\n" for k in range(12)))
    folder = tmp_path / "class"
    procs = [_quiz_process(folder, seed, "--for", str(roster), "-o", str(folder)) for seed in (1, 2)]
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    _one_set_each(folder, [f"S{k:03}" for k in range(12)])
    seeds = {read_quiz(folder / f"S{k:03}.quiz.yaml").seed for k in range(12)}
    assert len(seeds) == 1  # the whole class is the last run's


def test_a_class_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "week3.yaml").write_text("a file, not a folder")
    (tmp_path / "roster.csv").write_text("id\nS1\n")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "--for", str(tmp_path / "roster.csv"),
                                      "-o", str(tmp_path / "week3.yaml" / "sub")])
    assert result.exit_code == 2 and "week3.yaml/sub: cannot make this folder (Not a directory)" in result.output, result.output
    assert (tmp_path / "week3.yaml").read_text() == "a file, not a folder"


def test_a_quiz_that_cannot_be_staged_names_the_folder_not_a_hidden_copy(tmp_path, monkeypatch):
    from quizgen.core import files

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2, result.output
    assert f"cannot write the quiz's files in {tmp_path}: No space left on device; nothing was replaced" in result.output
    assert ".quizgen-new" not in result.output and list(tmp_path.iterdir()) == []
