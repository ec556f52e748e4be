"""Review state on disk: the cards, when each is due (FSRS), every answer given.

One SQLite database per user (``quizgen.sqlite3`` in :func:`data_dir`). Every graded answer is
one short ``BEGIN IMMEDIATE … COMMIT`` transaction that reads the card's current FSRS state, applies
the rating and writes the new state together with the review log row, so

- an answer is on disk (WAL, ``synchronous=FULL``) before its feedback is printed: a drill killed
  with SIGKILL loses at most the question on screen;
- two drills at once serialise their writes through SQLite's lock (with a busy timeout) and each
  review starts from the state the other one left: no lost update, no corruption.

Tables:

``cards``
    One row per card that has been reviewed at least once (a card without a row is new):
    ``id`` (``problem:<concept>.<template>`` or ``flashcard:<concept>.<flashcard id>``),
    ``concept``, ``kind``, ``fsrs`` (``fsrs.Card.to_dict()`` as JSON), ``due`` (Unix seconds),
    ``reps``, ``lapses``.
``reviews``
    The log, one row per answer: time, card, concept, kind, problem id, the inputs shown, the text
    typed, the verdict status, the misconception named, the misconceptions the problem had, the
    FSRS rating (NULL for "too few figures", which is not graded), seconds taken, where the
    problem came from (``built``, ``first-draw``) and whether the problem id alone reproduces the
    inputs shown.

Databases written by earlier versions may hold a ``variants`` table (problems built ahead); it is
no longer read or written.

Schema versions (``PRAGMA user_version``): 1 keyed flashcards by a hash of their front; 2 by their
id. Opened with the concepts, a version-1 database has every flashcard's rows moved from its
current front's key to its id's, in the transaction that records version 2 (docs/drill.md).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from quizgen.core.errors import QuizgenError
from quizgen.core.files import data_dir

if TYPE_CHECKING:
    from quizgen.core.concepts import Concept

DB_NAME = "quizgen.sqlite3"
SCHEMA_VERSION = 2
"""2: flashcards keyed by their id (1: by a hash of their front)."""
BUSY_TIMEOUT_MS = 3_000
"""How long one open or write waits for a lock another program holds; the drill then says so and
waits on (``StoreBusy``), where opening gives up with a message."""

RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    id       TEXT PRIMARY KEY,
    concept  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    fsrs     TEXT NOT NULL,
    due      REAL NOT NULL,
    reps     INTEGER NOT NULL,
    lapses   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cards_due ON cards (due);
CREATE TABLE IF NOT EXISTS reviews (
    id            INTEGER PRIMARY KEY,
    time          TEXT NOT NULL,
    unix          REAL NOT NULL,
    card          TEXT NOT NULL,
    concept       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    problem       TEXT,
    inputs        TEXT,
    given         TEXT,
    status        TEXT NOT NULL,
    misconception TEXT,
    possible      TEXT,
    rating        INTEGER,
    duration      REAL,
    due_after     TEXT,
    source        TEXT,
    id_exact      INTEGER
);
CREATE INDEX IF NOT EXISTS reviews_card ON reviews (card);
"""


# ---------------------------------------------------------------------------------------------
# Where, and when


def db_path() -> Path:
    return data_dir() / DB_NAME


class Clock:
    """The time reviews are stamped with: real UTC time, or a fixed start plus elapsed time.

    ``QUIZGEN_NOW`` (an ISO 8601 timestamp; UTC when it has no offset) is for tests and for trying
    out a schedule: the clock starts there and runs at the real rate, so the order of reviews
    within a session stays real.
    """

    def __init__(self, start: datetime | None = None):
        self._start = start
        self._mono = time.monotonic()

    @classmethod
    def from_env(cls) -> Clock:
        text = os.environ.get("QUIZGEN_NOW", "").strip()
        if not text:
            return cls()
        try:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise QuizgenError(
                f"QUIZGEN_NOW={text!r} is not an ISO 8601 time; write e.g. 2030-01-31T09:00:00+00:00"
            ) from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        if not 1970 <= start.year <= 9000:  # the schedule adds years to it, and dates end at 9999
            raise QuizgenError(f"QUIZGEN_NOW={text!r}: expected a time between the years 1970 and 9000")
        return cls(start.astimezone(UTC))

    @property
    def fixed(self) -> bool:
        """Whether ``QUIZGEN_NOW`` set the clock."""
        return self._start is not None

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        return self._start + timedelta(seconds=time.monotonic() - self._mono)


# ---------------------------------------------------------------------------------------------
# Card identities


def problem_card_id(concept: str, template: str) -> str:
    """A template's card: concept and template names never change (problem ids hang on them)."""
    return f"problem:{concept}.{template}"


def flashcard_id(concept: str, card: str) -> str:
    """A flashcard's card: its concept and its id, which never changes (rewording keeps it)."""
    return f"flashcard:{concept}.{card}"


def legacy_flashcard_id(concept: str, front: str) -> str:
    """The key schema 1 gave a flashcard: its concept and a hash of its front (for the migration)."""
    digest = hashlib.blake2b(" ".join(front.split()).encode("utf-8"), digest_size=5).hexdigest()
    return f"flashcard:{concept}:{digest}"


def flashcard_keys(concepts: Sequence[Concept]) -> dict[str, str]:
    """Schema 1's key of each flashcard's current front -> its key by id (the first card wins
    when two fronts of a concept are the same)."""
    keys: dict[str, str] = {}
    for c in concepts:
        for card in c.flashcards:
            keys.setdefault(legacy_flashcard_id(c.id, card.front), flashcard_id(c.id, card.id))
    return keys


def _fsrs_card_id(card_id: str) -> int:
    """The integer id fsrs wants, derived from ours (fsrs would otherwise use the wall clock)."""
    return int.from_bytes(hashlib.blake2b(card_id.encode(), digest_size=7).digest(), "big")


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class StoreBusy(QuizgenError):
    """A write found the database locked by another program for longer than ``BUSY_TIMEOUT_MS``;
    nothing was written, and the same write may be tried again."""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# The store


@dataclass(frozen=True)
class CardState:
    """What the drill needs to know about a reviewed card."""

    id: str
    concept: str
    kind: str
    due: float
    reps: int
    lapses: int


_scheduler: Any = None


def scheduler() -> Any:
    """The FSRS scheduler: default parameters, retention 0.9, no interval fuzz.

    fsrs fuzzes intervals with the global ``random`` state; quizgen never uses global random
    state, and a fixed schedule is easier to test and to explain, so fuzzing is off.
    """
    global _scheduler
    if _scheduler is None:
        import fsrs

        _scheduler = fsrs.Scheduler(enable_fuzzing=False)
    return _scheduler


_F = TypeVar("_F", bound=Callable[..., Any])


def _storage(method: _F) -> _F:
    """Turn a failure of the review database (damaged, full disk, locked too long, rows edited by
    hand) into a message that says which file and what to do; what was saved before stays."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise QuizgenError(self._unusable(exc)) from None
            raise StoreBusy(
                f"the review database {self.path} is locked by another program (another drill writing, or a "
                "database browser with changes not yet written)"
            ) from None
        except (sqlite3.Error, ValueError, TypeError, KeyError) as exc:
            raise QuizgenError(self._unusable(exc)) from None

    return wrapper  # type: ignore[return-value]


class Store:
    """The SQLite database of one user. One ``Store`` per thread (connections are not shared).

    ``concepts`` are the flashcards a database of schema 1 is migrated with (every concept of the
    library, or a function that loads them: called only when such a database is met); without
    them such a database is used as it is and migrated later. With
    ``save=False`` the database is copied into memory first (if it exists), so a
    ``--no-save`` drill schedules from the real state but never writes the file.
    """

    def __init__(
        self, path: Path | None = None, *, save: bool = True,
        concepts: Sequence[Concept] | Callable[[], Sequence[Concept]] = (),
    ):
        self.path = Path(path) if path is not None else db_path()
        self.save = save
        self._concepts = concepts
        self.damaged: list[str] = []
        """Cards whose saved row could not be read at the last ``states`` (each starts again)."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.01
        while True:
            try:
                self._db = self._open()
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                # Switching a new database to WAL needs an exclusive lock, and SQLite reports
                # "locked" at once instead of waiting when another drill opens it at that moment.
                self._close_quietly()
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise QuizgenError(f"could not open the review database {self.path}: {exc}{self._why(exc)}") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
            except sqlite3.Error as exc:
                self._close_quietly()
                raise QuizgenError(f"could not open the review database {self.path}: {exc}{self._why(exc)}") from None
            except OSError as exc:  # its folder is a file, or cannot be made
                self._close_quietly()
                raise QuizgenError(f"could not open the review database {self.path}: {exc.strerror or exc} ({self._where(exc)})") from None

    def _a_folder(self) -> str:
        """What to say when the database's path is a folder (SQLite and the OS word it apart)."""
        return f"{self.path.name} is a folder, not a database file: move it aside"

    def _where(self, exc: OSError) -> str:
        """Which part of the path is at fault, and what to do: the file, its folder or the disk."""
        if exc.errno == errno.EROFS:
            return "the disk is read-only: drill with --no-save, or set QUIZGEN_HOME to a folder that can be written"
        if self.path.is_dir():
            return self._a_folder()
        for folder in (self.path.parent, *self.path.parent.parents):
            if folder.exists() and not folder.is_dir():
                return f"{folder} is a file, not a folder: set QUIZGEN_HOME to a folder"
        if self.path.is_file() and self.path.parent.is_dir():  # the folder is fine: the file is not
            return "the file itself: check its permissions"
        return f"{self.path.parent} must be a folder quizgen can write; set QUIZGEN_HOME to another"

    def _unusable(self, exc: Exception) -> str:
        return (
            f"the review database {self.path} could not be used ({exc}); the reviews saved before are still "
            "in it: free disk space if that is the cause; for a damaged file, sqlite3's .dump copies what it "
            "can into a new one (docs/drill.md); else move the file aside (or set QUIZGEN_HOME) to start "
            "a new one"
        )

    def _why(self, exc: sqlite3.Error) -> str:
        """What to check, where SQLite's own words do not say it."""
        if self.path.is_dir():
            return f" ({self._a_folder()})"
        if "readonly" in str(exc):
            return f" (it, or {self.path.name}-wal or -shm beside it, cannot be written: check their permissions)"
        if _is_busy(exc):
            return " (another program holds it: close the other drill or database browser, or drill with --no-save)"
        if "malformed" in str(exc) or "not a database" in str(exc):
            return "; the reviews saved before are still in it: sqlite3's .dump copies what it can into a new file (docs/drill.md)"
        return ""

    def _open(self) -> sqlite3.Connection:
        if not self.save:
            if self.path.parent.exists() and not self.path.parent.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(self.path.parent))
            db = sqlite3.connect(":memory:", isolation_level=None)
            if self.path.exists():
                try:
                    self._copy(f"file:{self.path}?mode=ro", db)
                except sqlite3.OperationalError:
                    # On read-only media SQLite cannot make the WAL's shared-memory file that a
                    # read-only open needs; nothing can change the file there, so read it as is.
                    self._copy(f"file:{self.path}?immutable=1", db)
                _intact(db)  # stats and --no-save read what a drill would refuse: say so too
            return db
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The database holds what the learner typed: readable by its owner only (SQLite gives
        # its -wal and -shm files the same permissions).
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self._db = db
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit survives a power cut as well, not only a killed process.
        db.execute("PRAGMA synchronous = FULL")
        # A database that cannot be written (read-only, or a -shm file left read-only) is found
        # here, before a question is asked, not when the learner's first answer is saved.
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
        # So is a damaged file (about 10 ms for 50,000 saved answers): the learner would
        # otherwise answer a question only to have the drill stop when the answer is saved.
        _intact(db)
        return db

    @staticmethod
    def _copy(uri: str, into: sqlite3.Connection) -> None:
        source = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            source.backup(into)
        finally:
            source.close()

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass
            self._db = None  # type: ignore[assignment]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _rollback(self) -> None:
        # A Ctrl-C can arrive just after COMMIT returned: then there is nothing to roll back.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise QuizgenError(
                f"the review database {self.path} was written by a newer quizgen (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade quizgen or set QUIZGEN_HOME elsewhere"
            )
        if version == 1 and not self._concepts:
            return  # flashcards cannot be re-keyed without them: left for a command that has them
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # Another drill may have created or migrated the schema while this one waited.
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                # Statement by statement: executescript would commit the open transaction first.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                if version == 1:
                    concepts = self._concepts() if callable(self._concepts) else self._concepts
                    self._rekey_flashcards(flashcard_keys(concepts))
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rekey_flashcards(self, keys: dict[str, str]) -> None:
        """Schema 1 -> 2: move each flashcard's state and log from its front's key to its id's."""
        old = [r[0] for r in self._db.execute("SELECT DISTINCT card FROM reviews WHERE kind = 'flashcard'")]
        old += [r[0] for r in self._db.execute("SELECT id FROM cards WHERE kind = 'flashcard'")]
        for key in dict.fromkeys(old):
            new = keys.get(key)
            if new is None:
                continue  # a front edited before this version: its history was already cut off
            # A card already reviewed under its new key (a drill that had no concepts to migrate
            # with) keeps that newer state.
            self._db.execute("UPDATE OR IGNORE cards SET id = ? WHERE id = ?", (new, key))
            self._db.execute("DELETE FROM cards WHERE id = ?", (key,))
            self._db.execute("UPDATE reviews SET card = ? WHERE card = ?", (new, key))

    # -- cards ----------------------------------------------------------------------------------

    @_storage
    def states(self, card_ids: Iterable[str] | None = None) -> dict[str, CardState]:
        """Reviewed cards (all, or those among ``card_ids``); a card missing here is new."""
        rows = self._db.execute("SELECT id, concept, kind, due, reps, lapses, fsrs FROM cards").fetchall()
        # A row edited or broken by hand is read as no row: that card starts again as a new one,
        # and its next answer saves a fresh schedule. Stopping every drill for it would lose more.
        readable = [r[:6] for r in rows if isinstance(r[0], str) and type(r[3]) in (int, float) and math.isfinite(r[3])
                    and type(r[4]) is int and type(r[5]) is int and _schedule(r[6]) is not None]
        self.damaged = sorted({str(r[0]) for r in rows} - {r[0] for r in readable})
        wanted = None if card_ids is None else set(card_ids)
        return {r[0]: CardState(*r) for r in readable if wanted is None or r[0] in wanted}

    @_storage
    def record_review(
        self,
        *,
        card_id: str,
        concept: str,
        kind: str,
        now: datetime,
        rating: int | None,
        status: str,
        problem: str | None = None,
        inputs: Any = None,
        given: str | None = None,
        misconception: str | None = None,
        possible: Sequence[str] = (),
        duration: float | None = None,
        source: str | None = None,
        id_exact: bool | None = None,
    ) -> CardState | None:
        """Log one answer and, when it is graded (``rating`` 1–4), reschedule its card. One commit.

        Returns the card's new state (None for an ungraded answer).
        """
        import fsrs

        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            state: CardState | None = None
            due_after = None
            if rating is not None:
                row = db.execute("SELECT fsrs, reps, lapses FROM cards WHERE id = ?", (card_id,)).fetchone()
                card = None
                stored = None if row is None or type(row[1]) is not int or type(row[2]) is not int else _schedule(row[0])
                if stored is not None:
                    try:
                        card, _ = scheduler().review_card(fsrs.Card.from_dict(stored), fsrs.Rating(rating), now)  # type: ignore[arg-type]
                        reps, lapses = row[1], row[2]
                    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                        pass  # a damaged schedule (see states): the card starts again
                if card is None:
                    card, _ = scheduler().review_card(fsrs.Card(card_id=_fsrs_card_id(card_id), due=now), fsrs.Rating(rating), now)
                    reps, lapses = 0, 0
                lapses += int(rating == 1 and reps > 0)
                reps += 1
                due = card.due.timestamp()
                due_after = _iso(card.due)
                db.execute(
                    "INSERT INTO cards (id, concept, kind, fsrs, due, reps, lapses) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET fsrs = excluded.fsrs, due = excluded.due, "
                    "reps = excluded.reps, lapses = excluded.lapses",
                    (card_id, concept, kind, json.dumps(card.to_dict()), due, reps, lapses),
                )
                state = CardState(card_id, concept, kind, due, reps, lapses)
            db.execute(
                "INSERT INTO reviews (time, unix, card, concept, kind, problem, inputs, given, status, "
                "misconception, possible, rating, duration, due_after, source, id_exact) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _iso(now),
                    now.timestamp(),
                    card_id,
                    concept,
                    kind,
                    problem,
                    None if inputs is None else json.dumps(inputs, ensure_ascii=False),
                    given,
                    status,
                    misconception,
                    json.dumps(list(possible)) if possible else None,
                    rating,
                    None if duration is None else round(duration, 3),
                    due_after,
                    source,
                    None if id_exact is None else int(id_exact),
                ),
            )
            db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return state

    # -- reading the log ------------------------------------------------------------------------

    @_storage
    def reviews(self, concepts: Iterable[str] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Logged answers, oldest first (the last ``limit`` if given)."""
        cur = self._db.execute(
            "SELECT id, time, card, concept, kind, problem, inputs, given, status, misconception, possible, "
            "rating, duration, due_after, source, id_exact FROM reviews ORDER BY id"
        )
        names = [d[0] for d in cur.description]
        wanted = None if concepts is None else set(concepts)
        out = [dict(zip(names, r)) for r in cur.fetchall()]
        out = [r for r in out if wanted is None or r["concept"] in wanted]
        for r in out:
            r["possible"] = _possible(r["possible"])
        return out[-limit:] if limit else out


def _possible(text: Any) -> list[str]:
    """A logged answer's list of the mistakes it could have shown; none where it cannot be read."""
    try:
        names = json.loads(text) if text else []
    except (TypeError, ValueError):
        return []
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def _schedule(text: Any) -> dict[str, Any] | None:
    """A card's saved FSRS state (``fsrs.Card.to_dict()``), or None when it cannot be read."""
    try:
        stored = json.loads(text)
        readable = (isinstance(stored, dict) and stored.get("state") in (1, 2, 3) and "step" in stored
                    and datetime.fromisoformat(stored["due"]).tzinfo is not None)
    except (TypeError, ValueError, KeyError):
        return None
    return stored if readable else None


def when(ts: float, now: datetime) -> str:
    """A due time relative to now, for people: ``now``, ``in 10 min``, ``in 3 days (2030-01-04)``."""
    delta = ts - now.timestamp()
    if delta <= 0:
        return "now"
    if delta < 3600:
        return f"in {max(1, math.ceil(delta / 60))} min"
    if delta < 86400:
        return f"in {delta / 3600:.0f} h"
    day = datetime.fromtimestamp(ts).date().isoformat()  # the learner's own calendar day
    days = delta / 86400
    return f"in {days:.0f} day{'s' if round(days) != 1 else ''} ({day})"


def _intact(db: sqlite3.Connection) -> None:
    """Raise ``sqlite3.DatabaseError`` naming the damage SQLite's quick check finds, if any."""
    damage = db.execute("PRAGMA quick_check(1)").fetchone()[0]
    if damage != "ok":
        where = " ".join(damage.replace("*** in database main ***", "").split())
        raise sqlite3.DatabaseError(f"database disk image is malformed ({where})")
