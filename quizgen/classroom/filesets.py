"""Replacing the files of a quiz together or not at all (docs/grading.md, "Replacing a quiz's files").

A quiz is several files (quiz file, worksheets, answer sheet, key; with ``--for`` every student's
and the class files). Each is written atomically, but a set of renames is not atomic, so a set is
replaced in three steps:

1. **Stage**: every new file is written in full (and fsynced) to a hidden sibling
   ``.<name>.quizgen-new``. An interruption here leaves the old files untouched.
2. **Journal**: ``.<first name>.quizgen-replacing`` lists the files about to change.
3. **Swap**, file by file in a fixed order: the old file is renamed aside to
   ``.<name>.quizgen-old``; the bytes just moved aside are checked (``keep``: an answer sheet with
   answers in it is never replaced); then the new file is hard-linked into place, which fails
   rather than replace a file that appeared meanwhile.

Any failure or interruption during the swap puts every old file back (the new ones are removed)
before the error goes on. If the process dies (power cut, SIGKILL), the journal stays; the next
``quizgen quiz`` writing to that folder (``recover``) puts the old files back the same way. The
journal is removed once every file is in place, and only then the old files and the staged copies.

Two ``quizgen quiz`` runs writing to one folder take turns (``locked``): the second waits, then
finds the first one's files and refuses or replaces them whole, so the sets never mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path

from quizgen.core.errors import QuizgenError
from quizgen.core.files import TEMP_SUFFIX, write_bytes_atomic

JOURNAL = ".quizgen-replacing"
_NEW, _OLD = ".quizgen-new", ".quizgen-old"

Keep = Callable[[Path, Path], "str | None"]
"""``keep(old, target)``: why the file just moved aside from ``target`` (now at ``old``) must stay, or None."""


class NotReplaced(QuizgenError):
    """A file of the set had to be kept (or changed while being replaced): nothing was replaced."""


def staged(path: Path) -> Path:
    return path.with_name(f".{path.name}{_NEW}")


def aside(path: Path) -> Path:
    return path.with_name(f".{path.name}{_OLD}")


def journal_of(first: Path) -> Path:
    return first.with_name(f".{first.name}{JOURNAL}")


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold ``directory``'s quiz-writing lock (an advisory ``flock`` on the folder itself, let go
    when the process ends, however it ends): a second quizgen writing quiz files there waits, and
    says so, until the first is done. Without ``flock`` (Windows), or on a folder that cannot be
    opened for reading, there is no lock."""
    try:
        import fcntl
        fd = os.open(directory, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting: another quizgen is writing quiz files in {directory}", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without locks
        yield
    finally:
        os.close(fd)


def replace_together(files: Sequence[tuple[Path, bytes]], keep: Keep) -> None:
    """Write every ``(path, bytes)`` of ``files`` (all in one directory), in their order, so that
    either all of them are replaced or none is.

    Raises:
        NotReplaced: ``keep`` refused a file, or a file appeared while the set was replaced.
        QuizgenError: A file cannot be written (disk full, no permission).
    """
    targets = [Path(p) for p, _ in files]
    if not targets:
        return
    directory = targets[0].parent
    if any(t.parent != directory for t in targets) or len(set(targets)) != len(targets):
        raise ValueError("replace_together: the files must be distinct and in one directory")
    for t in targets:
        if t.is_dir():
            raise QuizgenError(f"{t} is a directory; move it away or write the quiz elsewhere with -o")
        # A link (-o /dev/stdout is one) or a device or a pipe is never renamed away or replaced.
        if t.is_symlink() or (t.exists() and not t.is_file()):
            raise QuizgenError(f"{t} is not a regular file (a link, a device or a pipe); write the quiz to a file with -o")
    journal = journal_of(targets[0])
    if os.path.lexists(journal):
        raise QuizgenError(
            f"{journal}: an earlier replacement of these files was interrupted and could not be undone; "
            f"check the hidden .{targets[0].name}* files in {directory}, then remove the journal"
        )
    for t in targets:  # copies a finished replacement did not get to remove (no journal: not needed)
        _unlink(aside(t))
        _remove_partial(staged(t))
    placed: set[Path] = set()
    held = contextlib.ExitStack()
    try:
        try:
            for path, data in files:
                write_bytes_atomic(staged(path), data)
            write_bytes_atomic(journal, json.dumps([t.name for t in targets]).encode())
        except QuizgenError as exc:  # it names a hidden copy: name the folder the user gave instead
            cause = str(exc).rpartition(": ")[2]
            raise QuizgenError(f"cannot write the quiz's files in {directory}: {cause}; nothing was replaced") from None
        for target in targets:
            try:
                _swap(target, keep, placed)
            except OSError as exc:
                raise QuizgenError(f"cannot replace {target}: {exc.strerror or exc}; nothing was replaced") from None
        _sync(directory)
        held.enter_context(_signals_held())  # from here to the end of the clean-up
    except BaseException:
        with _signals_held():  # a second Ctrl-C must not stop the undoing half-way
            if _roll_back(targets, placed):
                _unlink(journal)
            for t in targets:  # what a write interrupted at its start left (its temporary file)
                _remove_partial(staged(t))
        raise
    with held:
        _unlink(journal)  # the commit point: from here on the new set stands
        for t in targets:
            _unlink(aside(t))
            _unlink(staged(t))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM ignored (in the main thread) while the commit and its clean-up run, or
    an undoing: an interrupt there reported "interrupted" for a set already written and left the
    old files, answer keys among them, in hidden copies beside the new ones; a second one during
    an undoing left a class half old and half new."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)


def recover(directory: Path) -> list[str]:
    """Put back the old files of every replacement in ``directory`` that a dead process left half
    done (its journal is still there); returns what was done, for people."""
    done = []
    for journal in sorted(directory.glob(f".*{JOURNAL}")):
        try:
            names = json.loads(journal.read_text("utf-8"))
        except (OSError, ValueError):
            names = None
        if not (isinstance(names, list) and all(isinstance(n, str) and n and "/" not in n and "\\" not in n
                                                 and n not in (".", "..") for n in names)):
            continue  # not a journal quizgen wrote: leave it alone
        if _roll_back([directory / n for n in names]):
            _unlink(journal)
            done.append(f"{directory}: an interrupted replacement of {len(names)} files was undone; the earlier files stand")
    return done


def _swap(target: Path, keep: Keep, placed: set[Path]) -> None:
    old = aside(target)
    try:
        os.rename(target, old)  # the bytes checked below are exactly the bytes taken away
    except FileNotFoundError:
        pass
    else:
        reason = keep(old, target)
        if reason:
            raise NotReplaced(f"{target}: {reason}; nothing was replaced")
    try:
        os.link(staged(target), target)
        placed.add(target)
    except FileExistsError:
        raise NotReplaced(f"{target} was written by something else while quizgen replaced it; nothing was replaced") from None
    except OSError:  # a file system without hard links: create the file, never replacing one
        data = staged(target).read_bytes()
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise NotReplaced(f"{target} was written by something else while quizgen replaced it; nothing was replaced") from None
        placed.add(target)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def _roll_back(targets: Sequence[Path], placed: Collection[Path] = ()) -> bool:
    """Put every old file back and remove the new ones (those ``placed`` in this process, or
    found hard-linked to their staged copy); True when all was restored."""
    ok = True
    for target in reversed(targets):
        try:
            ok = _restore(target, target in placed) and ok
        except OSError:
            ok = False
    return ok


def _restore(target: Path, placed: bool) -> bool:
    new, old = staged(target), aside(target)
    if placed or _is_ours(target, new):
        _unlink(target)
    if os.path.lexists(old):
        if os.path.lexists(target):
            return False  # someone else's file is there now: both are kept, the old one aside
        os.rename(old, target)
    _unlink(new)
    return True


def _is_ours(target: Path, new: Path) -> bool:
    """Whether ``target`` is the staged file, hard-linked into place."""
    try:
        return os.path.samefile(target, new)
    except OSError:
        return False


def _remove_partial(path: Path) -> None:
    """Remove what an interrupted ``write_bytes_atomic(path, ...)`` may have left: its temporary
    ``.<name>.<random>.tmp`` files (the folder's lock keeps any other writer of ``path`` out)."""
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
            _unlink(path.parent / name)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _sync(directory: Path) -> None:
    """Make the renames durable before the journal goes (best effort: not every system can)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
