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
    """Turn project errors into a message and exit 2; Ctrl-C into exit 130."""

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

    return wrapper  # type: ignore[return-value]


def concept_dir(ctx: click.Context) -> Path | None:
    """The ``--concepts`` folder given to ``quizgen`` itself, if any."""
    value = ctx.find_root().params.get("concepts")
    return Path(value) if value else None


def exit_on_sigterm() -> None:
    """Make SIGTERM (``kill``, a timeout, a closing terminal session) a normal exit with status
    143, so that ``finally`` blocks run and no temporary file is left behind by an interrupted
    write. Only the main thread can set a handler; elsewhere this does nothing."""
    import os
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    main = os.getpid()

    def leave(signum: int, frame: Any) -> None:
        if os.getpid() != main:
            # A forked worker (the process pool stops its workers with SIGTERM): end at once, as
            # without this handler; raising there could leave the pool waiting for ever.
            os._exit(128 + signum)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, leave)
