"""Atomic writes: complete or absent, never truncated, with ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from quizgen.core import files


def test_write_replaces_whole_file_with_umask_permissions(tmp_path):
    target = tmp_path / "deck.txt"
    target.write_text("old contents that are longer than the new ones")
    old = os.umask(0o022)
    try:
        files.write_text_atomic(target, "new")
    finally:
        os.umask(old)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["deck.txt"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "quiz.yaml"
    target.write_text("keep me")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(files.QuizgenError, match="cannot write .*quiz.yaml: disk full"):
        files.write_bytes_atomic(target, b"half")
    assert target.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["quiz.yaml"]


def test_special_files_are_written_directly_never_replaced(capsysbinary):
    """Renaming over /dev/null (as root) would turn it into a regular file; "-" is stdout."""
    files.write_text_atomic(files.Path("/dev/null"), "nothing\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    files.write_text_atomic(files.Path("-"), "to stdout\n")
    assert capsysbinary.readouterr().out == b"to stdout\n"


def test_a_link_is_written_through_and_kept(tmp_path):
    """A link to a file keeps being a link: the file it leads to gets the new bytes."""
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    files.write_text_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"


def test_a_link_to_a_file_descriptor_is_a_stream_never_replaced(tmp_path):
    """Like /dev/stdout with standard output in a file: the link survives, the file gets the bytes."""
    import subprocess
    import sys

    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "out.txt"
    with open(out, "wb") as sink:
        subprocess.run(
            [sys.executable, "-c", f"from quizgen.core import files; files.write_text_atomic(files.Path({str(link)!r}), 'streamed')"],
            stdout=sink, check=True,
        )
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert out.read_text() == "streamed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "stdout"]


def test_an_unwritable_place_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(files.QuizgenError, match=r"cannot write .*a-file/out\.txt"):
        files.write_text_atomic(blocker / "out.txt", "data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_pipe_is_refused_before_it_is_opened(tmp_path):
    """Opening a FIFO for reading blocks until a writer comes: it must be refused first."""
    fifo = tmp_path / "sheet.yaml"
    os.mkfifo(fifo)
    with pytest.raises(files.FileUnusable, match="not a regular file"):
        files.read_text_file(fifo, 1000, "answer sheet")


def test_a_terminated_write_leaves_no_temporary_file(tmp_path):
    """SIGTERM while a file is being written: the process exits 143 and removes its temporary."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from quizgen.core.command import exit_on_sigterm\n"
        "from quizgen.core import files\n"
        "exit_on_sigterm()\n"
        "def slow(fd):\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(30)\n"
        "files.os.fsync = slow\n"
        "files.write_bytes_atomic(Path(sys.argv[1]) / 'deck.apkg', b'x' * 1000)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 143
    proc.stdout.close()
    assert list(tmp_path.iterdir()) == []


def test_forked_workers_keep_the_default_sigterm():
    """The pool stops its workers with SIGTERM; a worker blocked inside C code would never run a
    Python handler, so forked children get the default action back (the parent keeps its own)."""
    import subprocess
    import sys

    script = (
        "import os, signal\n"
        "from quizgen.core.command import exit_on_sigterm\n"
        "exit_on_sigterm()\n"
        "r, w = os.pipe()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.write(w, b'default' if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL else b'handler')\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "print(os.read(r, 16).decode(), 'handler' if callable(signal.getsignal(signal.SIGTERM)) else 'default')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["default", "handler"], out.stderr


@pytest.mark.parametrize(("text", "separator", "header"), [
    ("\nid;name\ns001;Jane\n", ";", ["id", "name"]),
    ('id;"Name, full"\ns1;"A, B"\n', ";", ["id", "Name, full"]),  # the comma is inside quotes
    ('id,"a;b;c"\n1,2\n', ",", ["id", "a;b;c"]),
    ('""\nStudent;Problem;Answer\ns1;1;2\n', ";", ["Student", "Problem", "Answer"]),  # a blank record above
    ('"Student\nID";Problem;Answer\ns1;1;2\n', ";", ["Student\nID", "Problem", "Answer"]),  # a break inside quotes
    ("x\ty\n1\t2\n", "\t", ["x", "y"]),
    ("single\n1\n", ",", ["single"]),
])
def test_a_csv_separator_is_the_one_that_splits_its_header_whole(text: str, separator: str, header: list[str]) -> None:
    """The header is the first record with a cell that is not blank, read as the readers read it;
    the separator is the one splitting it into the most whole cells (the first physical line,
    blank or cut inside quotes, chose ',' and the file was refused)."""
    from quizgen.core.files import csv_rows

    rows = csv_rows(text)
    assert rows.dialect.delimiter == separator
    assert next(row for row in rows if any(cell.strip() for cell in row)) == header
