"""What every command shares: project errors become a message and exit 2, never a traceback.

Each face defines its own click commands and imports these from here (not from ``quizgen.cli``,
which imports the faces' commands lazily), so no module imports the command line back.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from quizgen.core.errors import QuizgenError

F = TypeVar("F", bound=Callable[..., Any])


def friendly(func: F) -> F:
    """Turn project errors, and output that cannot be written, into a message and exit 2; Ctrl-C
    into exit 130."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QuizgenError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:  # the output cannot be written (a full disk, /dev/full) or a file read
            _drop_stdout()
            where = f"{exc.filename}: " if exc.filename else "writing the output: "
            try:
                click.echo(f"{where}{exc.strerror or exc}", err=True)
            except OSError:
                pass
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so the exit does not try (and fail, with a traceback)
    to flush what could not be written."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def concept_dir(ctx: click.Context) -> Path | None:
    """The ``--concepts`` folder given to ``quizgen`` itself, if any."""
    value = ctx.find_root().params.get("concepts")
    return Path(value) if value else None


_FORK_HOOK = False


def exit_on_sigterm() -> None:
    """Make SIGTERM (``kill``, a timeout, a closing terminal session) a normal exit with status
    143, so that ``finally`` blocks run and no temporary file is left behind by an interrupted
    write. Only the main thread can set a handler; elsewhere this does nothing."""
    import os
    import signal
    import threading

    global _FORK_HOOK
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if not _FORK_HOOK:
        # A forked process-pool worker gets SIGTERM's default back: the pool stops its workers
        # with SIGTERM, and a Python-level handler never runs while a worker waits on a lock in
        # C, so the pool would wait for ever.
        os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
        _FORK_HOOK = True
