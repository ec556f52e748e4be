"""The review database: where it lives, FSRS scheduling, one commit per review, concurrent writers."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import CONCEPTS

from quizgen.core.concepts import load_concepts, select
from quizgen.core.errors import QuizgenError
from quizgen.drill.cards import plan_items
from quizgen.drill.stats import summarise
from quizgen.drill.store import (
    Clock,
    Store,
    StoreBusy,
    data_dir,
    flashcard_id,
    legacy_flashcard_id,
    problem_card_id,
    when,
)

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def test_data_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIZGEN_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "x"))
    assert data_dir() == tmp_path / "a"
    monkeypatch.delenv("QUIZGEN_HOME")
    assert data_dir() == tmp_path / "x" / "quizgen"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert data_dir() == tmp_path / "h" / ".local" / "share" / "quizgen"


def test_clock_from_env(monkeypatch):
    monkeypatch.setenv("QUIZGEN_NOW", "2030-01-01T09:00:00")
    now = Clock.from_env().now()
    assert now.tzinfo is not None
    assert timedelta(0) <= now - T0 < timedelta(seconds=5)
    monkeypatch.setenv("QUIZGEN_NOW", "2030-01-01T10:00:00+01:00")
    assert abs((Clock.from_env().now() - T0).total_seconds()) < 5
    monkeypatch.setenv("QUIZGEN_NOW", "next tuesday")
    with pytest.raises(QuizgenError, match="ISO 8601"):
        Clock.from_env()
    for extreme in ("9999-12-31T23:00", "0001-01-01"):  # the schedule would overflow the dates
        monkeypatch.setenv("QUIZGEN_NOW", extreme)
        with pytest.raises(QuizgenError, match="between the years 1970 and 9000"):
            Clock.from_env()
    monkeypatch.delenv("QUIZGEN_NOW")
    assert abs((Clock.from_env().now() - datetime.now(UTC)).total_seconds()) < 5


def test_card_ids_are_stable_and_distinct():
    assert problem_card_id("attention", "scale-factor") == "problem:attention.scale-factor"
    assert flashcard_id("attention", "why-scale") == "flashcard:attention.why-scale"
    assert flashcard_id("attention", "why-scale") != flashcard_id("bleu", "why-scale")
    # Schema 1's keys hashed the front (whitespace aside); they never equal a key by id.
    a = legacy_flashcard_id("attention", "Why  divide by √d_k?")
    assert a == legacy_flashcard_id("attention", "Why divide by\n√d_k?")
    assert a != legacy_flashcard_id("attention", "Why divide by d_k?")
    assert a != legacy_flashcard_id("bleu", "Why divide by √d_k?")
    assert re.fullmatch(r"flashcard:attention:[0-9a-f]{10}", a)


def test_a_reworded_or_moved_flashcard_keeps_its_card():
    (attention,) = select(load_concepts(CONCEPTS), ["attention"])
    before = {it.flashcard.id: it.id for it in plan_items([attention]) if it.flashcard is not None}
    cards = list(attention.flashcards)
    cards[2] = dataclasses.replace(cards[2], front="Why is Q Kᵀ scaled by 1/√d_k before the softmax?")
    new = dataclasses.replace(cards[0], id="a-new-card", front="A new question?", legacy_position=None)
    edited = dataclasses.replace(attention, flashcards=(cards[3], new, *reversed(cards[4:]), cards[2], cards[1], cards[0]))
    after = {it.flashcard.id: it.id for it in plan_items([edited]) if it.flashcard is not None}
    assert {k: after[k] for k in before} == before
    assert after["a-new-card"] not in before.values()


def _schema_1_database(path, reviews):
    """A database as schema 1 wrote it: the same tables, flashcards keyed by a hash of the front."""
    with Store(path) as store:
        for key, kind, rating, when_ in reviews:
            store.record_review(card_id=key, concept="attention", kind=kind, now=when_, rating=rating,
                                status="right" if rating != 1 else "wrong")
        store._db.execute("PRAGMA user_version = 1")


def _rows(path):
    db = sqlite3.connect(path)
    try:
        cards = {r[0]: r[1:] for r in db.execute("SELECT id, fsrs, due, reps, lapses FROM cards")}
        log = db.execute("SELECT id, card, rating FROM reviews ORDER BY id").fetchall()
        return cards, log, db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_a_schema_1_database_moves_flashcard_history_to_the_ids_once(tmp_path):
    (attention,) = select(load_concepts(CONCEPTS), ["attention"])
    cards = attention.flashcards
    old = {c.id: legacy_flashcard_id("attention", c.front) for c in cards}
    edited_long_ago = legacy_flashcard_id("attention", "A front that no longer exists?")
    path = tmp_path / "q.sqlite3"
    _schema_1_database(path, [
        (old[cards[0].id], "flashcard", 3, T0),
        (old[cards[5].id], "flashcard", 1, T0),
        (old[cards[0].id], "flashcard", 4, T0 + timedelta(days=1)),
        (edited_long_ago, "flashcard", 3, T0),
        ("problem:attention.scale-factor", "problem", 3, T0),
    ])
    cards_before, log_before, version = _rows(path)
    assert version == 1

    with Store(path, concepts=[attention]) as store:
        states = store.states()
    cards_after, log_after, version = _rows(path)
    assert version == 2
    moved = {old[cards[0].id]: flashcard_id("attention", cards[0].id), old[cards[5].id]: flashcard_id("attention", cards[5].id)}
    # Every row is still there, under its new key, with its state untouched.
    assert cards_after == {moved.get(k, k): v for k, v in cards_before.items()}
    assert log_after == [(i, moved.get(card, card), rating) for i, card, rating in log_before]
    assert states[flashcard_id("attention", cards[0].id)].reps == 2
    assert edited_long_ago in cards_after  # its front is gone: nothing to move it to

    # Run once: a version-2 database is never re-keyed (a schema-1 key written now stays).
    with Store(path) as store:
        store.record_review(card_id=old[cards[1].id], concept="attention", kind="flashcard", now=T0, rating=3, status="right")
    with Store(path, concepts=[attention]):
        pass
    assert old[cards[1].id] in _rows(path)[0]


def test_a_schema_1_database_waits_for_the_concepts_and_no_save_never_writes(tmp_path):
    (attention,) = select(load_concepts(CONCEPTS), ["attention"])
    card = attention.flashcards[3]
    old, new = legacy_flashcard_id("attention", card.front), flashcard_id("attention", card.id)
    path = tmp_path / "q.sqlite3"
    _schema_1_database(path, [(old, "flashcard", 3, T0)])
    with Store(path) as store:  # no concepts: left as it is
        assert set(store.states()) == {old}
    assert _rows(path)[2] == 1
    before = path.read_bytes()
    with Store(path, save=False, concepts=[attention]) as store:  # stats, --no-save: migrated in memory
        assert set(store.states()) == {new}
    assert path.read_bytes() == before
    # Reviewed under the new key meanwhile (a drill without concepts): that newer state wins.
    with Store(path) as store:
        store.record_review(card_id=new, concept="attention", kind="flashcard", now=T0 + timedelta(days=3), rating=1, status="wrong")
    with Store(path, concepts=[attention]) as store:
        states = store.states()
        assert set(states) == {new} and states[new].reps == 1
        assert [r["card"] for r in store.reviews()] == [new, new]
    assert _rows(path)[2] == 2


def test_wal_and_schema(tmp_path):
    path = tmp_path / "q.sqlite3"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"cards", "reviews"} <= tables
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "q.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(QuizgenError, match="newer quizgen"):
        Store(path)


def _review(store, card, rating, now, status="right", **kw):
    return store.record_review(card_id=card, concept="attention", kind="problem", now=now, rating=rating, status=status, **kw)


def test_fsrs_scheduling_good_easy_again(tmp_path):
    with Store(tmp_path / "q.sqlite3") as store:
        good = _review(store, "problem:attention.a", 3, T0)
        easy = _review(store, "problem:attention.b", 4, T0)
        again = _review(store, "problem:attention.c", 1, T0, status="wrong")
        # New card: Again and Good stay in the learning steps (1 and 10 minutes), Easy graduates.
        assert again.due - T0.timestamp() == pytest.approx(60, abs=1)
        assert good.due - T0.timestamp() == pytest.approx(600, abs=1)
        assert easy.due - T0.timestamp() > 86400
        # Reviewed again when due: the interval grows.
        later = T0 + timedelta(seconds=600)
        second = _review(store, "problem:attention.a", 3, later)
        assert second.reps == 2
        assert second.due - later.timestamp() > 86400
        # A lapse of a graduated card counts.
        lapse = _review(store, "problem:attention.b", 1, T0 + timedelta(days=30), status="wrong")
        assert lapse.lapses == 1
        states = store.states()
        assert set(states) == {"problem:attention.a", "problem:attention.b", "problem:attention.c"}
        fsrs_json = json.loads(store._db.execute("SELECT fsrs FROM cards WHERE id = 'problem:attention.a'").fetchone()[0])
        assert fsrs_json["stability"] > 0


def test_ungraded_answer_is_logged_but_not_scheduled(tmp_path):
    with Store(tmp_path / "q.sqlite3") as store:
        assert _review(store, "problem:attention.a", None, T0, status="too-few-figures", given="0.2") is None
        assert store.states() == {}
        (row,) = store.reviews()
        assert row["status"] == "too-few-figures" and row["rating"] is None and row["given"] == "0.2"


def test_each_review_is_committed_at_once(tmp_path):
    path = tmp_path / "q.sqlite3"
    store = Store(path)
    _review(store, "problem:attention.a", 3, T0, problem="attention.a.v1.5", inputs={"d_k": 4}, given="0.5",
            possible=["no-scaling"], duration=1.5, source="first-draw", id_exact=True)
    # Another connection sees it while the first one is still open: nothing waits for a close.
    other = sqlite3.connect(path)
    row = other.execute("SELECT card, problem, inputs, given, possible, duration, source, id_exact FROM reviews").fetchone()
    assert row == ("problem:attention.a", "attention.a.v1.5", '{"d_k": 4}', "0.5", '["no-scaling"]', 1.5, "first-draw", 1)
    assert other.execute("SELECT count(*) FROM cards").fetchone()[0] == 1
    store.close()


def test_no_save_reads_but_never_writes(tmp_path):
    path = tmp_path / "q.sqlite3"
    with Store(path) as store:
        _review(store, "problem:attention.a", 3, T0)
    before = path.read_bytes()
    with Store(path, save=False) as store:
        assert "problem:attention.a" in store.states()
        _review(store, "problem:attention.b", 3, T0)
        assert len(store.reviews()) == 2
    assert path.read_bytes() == before
    with Store(path) as store:
        assert len(store.reviews()) == 1
    missing = tmp_path / "none" / "q.sqlite3"
    with Store(missing, save=False) as store:
        assert store.states() == {}
    assert not missing.parent.exists()


def _writer(path: str, name: str, count: int) -> None:
    with Store(__import__("pathlib").Path(path)) as store:
        for i in range(count):
            # All writers review the same card: every update must start from the latest state.
            store.record_review(card_id="problem:attention.shared", concept="attention", kind="problem",
                                now=T0 + timedelta(minutes=i), rating=3, status="right", given=f"{name}{i}")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork to start writers quickly")
def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "q.sqlite3"
    Store(path).close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), f"w{k}-", 40)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with Store(path) as store:
        assert _integrity(store.path) == "ok"
        rows = store.reviews()
        assert len(rows) == 160
        assert len({r["given"] for r in rows}) == 160
        assert store.states()["problem:attention.shared"].reps == 160


def test_summarise_counts(tmp_path):
    with Store(tmp_path / "q.sqlite3") as store:
        _review(store, "problem:attention.a", 3, T0, possible=["no-scaling", "divided-by-d_k"])
        _review(store, "problem:attention.a", 1, T0, status="wrong", misconception="no-scaling", possible=["no-scaling"])
        _review(store, "problem:attention.b", None, T0, status="too-few-figures")
        store.record_review(card_id="flashcard:attention:1", concept="attention", kind="flashcard", now=T0, rating=1, status="again")
        store.record_review(card_id="flashcard:attention:3", concept="attention", kind="flashcard", now=T0, rating=3, status="good")
        store.record_review(card_id="flashcard:attention:4", concept="attention", kind="flashcard", now=T0, rating=4, status="easy")
        cards = ["problem:attention.a", "problem:attention.b"] + [f"flashcard:attention:{i}" for i in range(1, 5)]
        per, mistakes, states = summarise(store, {"attention": cards}, T0 + timedelta(minutes=5))
    (a,) = per
    assert (a.answered, a.right, a.coarse, a.flashcards, a.flash_again) == (2, 1, 1, 3, 1)
    assert a.accuracy == 0.5
    assert a.new == 2  # b was never graded, flashcard 2 never seen
    # Again: due after 1 min; Good on a new card: 10 min; Easy: 8 days.
    assert (a.due_now, a.due_day, a.due_week, a.due_later) == (2, 1, 0, 1)
    assert a.next_due == (T0 + timedelta(minutes=1)).timestamp()  # the card due now (Again: 1 min) comes first
    made = {m.name: (m.made, m.possible) for m in mistakes}
    assert made == {"no-scaling": (1, 2), "divided-by-d_k": (0, 1)}
    assert [s.id for s in states][0] in ("problem:attention.a", "flashcard:attention:1")


def test_when_phrases():
    assert when(T0.timestamp() - 5, T0) == "now"
    assert when(T0.timestamp() + 59, T0) == "in 1 min"
    assert when(T0.timestamp() + 600, T0) == "in 10 min"
    assert when(T0.timestamp() + 3 * 3600, T0) == "in 3 h"
    assert when(T0.timestamp() + 3 * 86400, T0) == "in 3 days (2030-01-04)"


def _opener(path: str, start: float) -> None:
    while time.time() < start:
        pass
    with Store(__import__("pathlib").Path(path)) as store:
        store.record_review(card_id="problem:attention.a", concept="attention", kind="problem", now=T0, rating=3, status="right")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork to start openers together")
def test_many_drills_creating_the_database_at_once(tmp_path):
    """The first drills on a new machine race to create the file and switch it to WAL."""
    for round_ in range(5):
        path = tmp_path / f"q{round_}.sqlite3"
        start = time.time() + 0.3
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_opener, args=(str(path), start)) for _ in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 6
        with Store(path) as store:
            assert len(store.reviews()) == 6 and _integrity(store.path) == "ok"


def _migrating_opener(path: str, start: float, concepts) -> None:
    while time.time() < start:
        pass
    with Store(__import__("pathlib").Path(path), concepts=concepts) as store:
        store.states()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork to start openers together")
def test_drills_opening_a_schema_1_database_at_once_migrate_it_once(tmp_path):
    (attention,) = select(load_concepts(CONCEPTS), ["attention"])
    keys = [legacy_flashcard_id("attention", card.front) for card in attention.flashcards[:4]]
    path = tmp_path / "q.sqlite3"
    _schema_1_database(path, [(key, "flashcard", 3, T0) for key in keys])
    start = time.time() + 0.3
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_migrating_opener, args=(str(path), start, [attention])) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 4
    cards, log, version = _rows(path)
    assert version == 2 and _integrity(path) == "ok"
    expected = [flashcard_id("attention", card.id) for card in attention.flashcards[:4]]
    assert sorted(cards) == sorted(expected) and [card for _, card, _ in log] == expected


def _integrity(path) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def test_the_database_is_readable_by_its_owner_only(tmp_path):
    """It holds what the learner typed: the folder is 0700, the files 0600 (WAL files too)."""
    import stat

    path = tmp_path / "home" / "quizgen.sqlite3"
    with Store(path) as store:
        store.record_review(
            card_id="c1", concept="attention", kind="problem", now=datetime(2030, 1, 1, tzinfo=UTC),
            rating=3, status="right", given="0.5",
        )
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    for f in path.parent.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f.name


def _one_review(store, card="c1", t=datetime(2030, 1, 1, tzinfo=UTC)):
    return store.record_review(card_id=card, concept="attention", kind="problem", now=t, rating=3, status="right", given="0.5")


def test_storage_failures_are_clear_errors_that_keep_saved_reviews(tmp_path):
    """A full disk and a damaged page each give a message naming the file, never a traceback,
    and the reviews saved before are still there."""
    path = tmp_path / "q.sqlite3"
    with Store(path) as store:
        _one_review(store)
        # A full disk, as SQLite sees it: no page may be added any more.
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(QuizgenError, match=r"review database .*q\.sqlite3 could not be used .*full"):
            for i in range(200):
                _one_review(store, card=f"c{i + 2}" + "x" * 2000)
    with Store(path) as store:
        assert [r["card"] for r in store.reviews()][:1] == ["c1"]


    broken = tmp_path / "broken.sqlite3"
    with Store(broken) as store:
        _one_review(store)
    data = bytearray(broken.read_bytes())
    data[4096:8192] = b"\xab" * 4096
    broken.write_bytes(bytes(data))
    for f in tmp_path.glob("broken.sqlite3-*"):
        f.unlink()
    with pytest.raises(QuizgenError, match="could not"):
        with Store(broken) as store:
            store.states()


@pytest.mark.parametrize(
    "damage",
    [
        "due = 'garbage'",
        "due = 1e999",
        "reps = 'x'",
        "lapses = 'x'",
        "fsrs = '{garbage'",
        "fsrs = '[1, 2]'",
        "fsrs = '{\"card_id\": 1}'",
        "fsrs = '{\"card_id\": 1, \"state\": 9, \"step\": 0, \"due\": \"tomorrow\", \"stability\": null, \"difficulty\": null, \"last_review\": null}'",
    ],
)
def test_a_damaged_card_row_starts_that_card_again(tmp_path, damage):
    """A row edited or broken by hand stops nothing: the card reads as new, is named in
    ``damaged``, and its next answer saves a fresh schedule; the other cards and the log stay."""
    path = tmp_path / "q.sqlite3"
    with Store(path) as store:
        _one_review(store)
        _one_review(store, card="c2")
        _one_review(store, card="c2", t=datetime(2030, 1, 5, tzinfo=UTC))
    db = sqlite3.connect(path)
    db.execute(f"UPDATE cards SET {damage} WHERE id = 'c1'")
    db.commit()
    db.close()
    with Store(path) as store:
        assert set(store.states()) == {"c2"} and store.damaged == ["c1"]
        assert store.states()["c2"].reps == 2
        state = _one_review(store, t=datetime(2030, 1, 9, tzinfo=UTC))
        # A readable schedule (only its copy in ``due`` was damaged) goes on; else the card starts again.
        assert state.reps == (2 if damage.startswith("due") else 1)
        assert state.due > datetime(2030, 1, 9, tzinfo=UTC).timestamp()
        assert set(store.states()) == {"c1", "c2"} and store.damaged == []
        assert [r["card"] for r in store.reviews()] == ["c1", "c2", "c2", "c1"]


@pytest.mark.parametrize("damage", ["'{garbage'", "'[1, \"ok\", null]'", "'{\"a\": 1}'", "3"])
def test_a_damaged_log_row_reads_as_no_possible_mistakes(tmp_path, damage):
    path = tmp_path / "q.sqlite3"
    with Store(path) as store:
        store.record_review(card_id="c1", concept="attention", kind="problem", now=datetime(2030, 1, 1, tzinfo=UTC),
                            rating=3, status="right", given="0.5", possible=["no-scaling"])
        assert store.reviews()[0]["possible"] == ["no-scaling"]
        store._db.execute(f"UPDATE reviews SET possible = {damage}")
        assert store.reviews()[0]["possible"] == (["ok"] if "ok" in damage else [])


def test_a_home_that_is_a_file_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    with pytest.raises(QuizgenError, match="is a file, not a folder: set QUIZGEN_HOME to a folder"):
        Store(home / "quizgen.sqlite3")


def test_reading_works_where_a_read_only_open_cannot_make_its_wal_files(tmp_path, monkeypatch):
    """On read-only media `mode=ro` fails for a WAL database (no -shm can be made); `stats` and
    `drill --no-save` read it anyway, as an immutable file."""
    path = tmp_path / "q.sqlite3"
    with Store(path) as store:
        _one_review(store)
    real = sqlite3.connect

    def no_read_only(target, *args, **kwargs):
        if "mode=ro" in str(target):
            raise sqlite3.OperationalError("unable to open database file")
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", no_read_only)
    with Store(path, save=False) as store:
        assert [r["card"] for r in store.reviews()] == ["c1"]


def test_a_database_locked_too_long_is_a_clear_error(tmp_path, monkeypatch):
    import quizgen.drill.store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "q.sqlite3"
    with Store(path) as store:
        _one_review(store)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreBusy, match="is locked by another program"):
                _one_review(store, card="c2")
        finally:
            other.execute("ROLLBACK")
            other.close()
        _one_review(store, card="c2")  # nothing was half-written: the same write now goes through
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:  # opening while another program holds the lock says so and how to go on
            with pytest.raises(QuizgenError, match="locked .*another program holds it.*--no-save"):
                Store(path)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert [r["card"] for r in store.reviews()] == ["c1", "c2"]


def test_accuracy_by_day_counts_problem_answers_per_calendar_day() -> None:
    from quizgen.drill.commands import accuracy_chart
    from quizgen.drill.stats import accuracy_by_day

    now = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
    rows = [
        {"time": "2030-01-10T08:00:00+00:00", "kind": "problem", "status": "right", "rating": 4},
        {"time": "2030-01-10T08:30:00+00:00", "kind": "problem", "status": "too-few-figures", "rating": None},  # asked again
        {"time": "2030-01-10T09:00:00+00:00", "kind": "problem", "status": "wrong", "rating": 1},
        {"time": "2030-01-10T09:30:00+00:00", "kind": "problem", "status": "skipped", "rating": 1},  # not an answer
        {"time": "2030-01-10T10:00:00+00:00", "kind": "flashcard", "status": "good", "rating": 3},  # not a problem
        {"time": "2030-01-08T23:30:00-02:00", "kind": "problem", "status": "right", "rating": 3},  # the 9th in UTC
        {"time": "2029-12-13T12:00:00+00:00", "kind": "problem", "status": "right", "rating": 3},  # 28 days before: out
    ]
    daily = accuracy_by_day(rows, now)
    assert len(daily) == 28 and daily[0][0] == "2029-12-14" and daily[-1][0] == "2030-01-10"
    assert daily[-1] == ("2030-01-10", 1, 2) and daily[-2] == ("2030-01-09", 1, 1)
    assert sum(a for _, _, a in daily) == 3
    chart = accuracy_chart(daily, height=4)
    # Top row: only the 100% day reaches it; bottom row: the 50% day too, and dots elsewhere.
    assert chart[0].endswith("██  ") and chart[1].endswith("██  ") and chart[2].endswith("████")
    assert chart[3].endswith("████") and chart[3].count("·") == 52
    assert chart[-1].strip() == "2 of 3 right (67%) on 2 days"


def test_a_database_that_cannot_be_written_is_refused_before_a_question(tmp_path):
    """A read-only database, or the -shm file a read of a read-only database left read-only,
    used to show a question, take the answer and only then fail to save it. Run without the
    capability that lets root write anything (setpriv), as a learner's account runs."""
    import os
    import shutil
    import subprocess
    import sys

    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs setpriv, run as root, to drop root's right to write read-only files")
    drop = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-dac_override,-dac_read_search,-fowner"]
    env = {**os.environ, "QUIZGEN_HOME": str(tmp_path), "NO_COLOR": "1"}
    env.pop("QUIZGEN_NOW", None)
    drill = [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "drill", "attention", "-n", "1"]
    made = subprocess.run(drill, input="?\n", capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    db = tmp_path / "quizgen.sqlite3"
    db.chmod(0o400)
    subprocess.run([*drop, sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "stats"], capture_output=True, env=env, timeout=120)
    db.chmod(0o600)  # the database is writable again, its -shm may not be
    for _ in range(2):
        run = subprocess.run([*drop, *drill], input="?\n", capture_output=True, text=True, env=env, timeout=120)
        if run.returncode == 0:  # nothing was left read-only: the drill ran
            assert "Saved in" in run.stdout, run.stdout
        else:
            said = ("cannot be written: check their permissions", "the file itself: check its permissions")
            assert run.returncode == 2 and any(words in run.stderr for words in said), run.stderr
            assert "Answer with" not in run.stdout and "Traceback" not in run.stderr, run.stdout  # no question was asked
        db.chmod(0o400)
