"""Loading concept files: a command reads only the files its topics name, and a file is validated
again whenever its bytes change (the validated-content cache of quizgen.core.library)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS

import quizgen.core.concepts as concepts_module
from quizgen.cli import cli
from quizgen.core.concepts import ConceptFileError
from quizgen.core.library import CACHE_NAME, MAX_CACHE_BYTES, ValidatedCache, code_version, load_library, load_topics, select_topics

BROKEN_YAML = "id: other\ntitle: [unclosed\n"
BROKEN_SCHEMA = "id: wrong-schema\ntitle: A title\ntags: oops\n"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private data directory, so each test starts without a cache."""
    path = tmp_path / "home"
    monkeypatch.setenv("QUIZGEN_HOME", str(path))
    monkeypatch.delenv("QUIZGEN_CONCEPTS", raising=False)
    return path


@pytest.fixture
def validations(monkeypatch):
    """The files validated (with jsonschema and the checks after it), in order."""
    seen: list[str] = []
    real = concepts_module.validate_text

    def counting(text, file, examples=False):
        seen.append(Path(file).name)
        return real(text, file, examples)

    monkeypatch.setattr(concepts_module, "validate_text", counting)
    return seen


def library(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "concepts"
    folder.mkdir()
    for name in names:
        shutil.copy(CONCEPTS / f"{name}.yaml", folder / f"{name}.yaml")
    return folder


def run(folder: Path, *args: str):
    return CliRunner().invoke(cli, ["--concepts", str(folder), *args])


def break_difficulty(path: Path) -> int:
    """Make the first template's difficulty 9 (the schema takes 1 to 5); return its line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if re.match(r"\s+difficulty: [1-5]\s*$", line))
    lines[index] = re.sub(r"difficulty: [1-5]", "difficulty: 9", lines[index])
    path.write_text("".join(lines), encoding="utf-8")
    return index + 1


def test_a_topic_that_is_an_id_reads_only_its_file(tmp_path, home, validations):
    folder = library(tmp_path, "attention", "bleu")
    (folder / "other.yaml").write_text(BROKEN_YAML, encoding="utf-8")
    (folder / "wrong-schema.yaml").write_text(BROKEN_SCHEMA, encoding="utf-8")
    os.mkfifo(folder / "pipe.yaml")  # opening it would block; stat shows it is no file
    result = run(folder, "generate", "attention", "--n", "2")
    assert result.exit_code == 0, result.output
    assert "attention." in result.output
    assert validations == ["attention.yaml"]
    assert [c.id for c in select_topics(["BLEU", "attention"], folder, in_given_order=True)] == ["bleu", "attention"]
    # A quiz, and a problem id drawn again, read only the files they name too.
    pid = re.search(r"attention\.[a-z-]+\.v\d+\.\d+", result.output).group(0)
    again = run(folder, "generate", pid)
    assert again.exit_code == 0, again.output
    assert pid in again.output
    quiz = run(folder, "quiz", "bleu", "-n", "2", "-o", str(tmp_path / "q.yaml"))
    assert quiz.exit_code == 0, quiz.output
    # quizgen check reads every file and reports each broken one.
    check = run(folder, "check")
    assert check.exit_code == 2
    assert "other.yaml:3: not valid YAML" in check.output
    assert "wrong-schema.yaml:3: tags: expected a list" in check.output
    assert "pipe.yaml:1: expected a regular file" in check.output


def test_a_tag_all_or_unknown_topic_reads_every_file_and_refuses_a_broken_one(tmp_path, home):
    folder = library(tmp_path, "attention", "bleu")
    (folder / "wrong-schema.yaml").write_text(BROKEN_SCHEMA, encoding="utf-8")
    for topic in ("transformers", "all", "attentoin"):
        result = run(folder, "generate", topic, "--n", "1")
        assert result.exit_code == 2, (topic, result.output)
        assert "wrong-schema.yaml:3: tags: expected a list" in result.output
        assert "Traceback" not in result.output
    (folder / "wrong-schema.yaml").unlink()
    assert {c.id for c in load_topics("nlp", folder)} == {"attention", "bleu"}
    unknown = run(folder, "generate", "attentoin")
    assert unknown.exit_code == 2 and "did you mean 'attention'" in unknown.output


def test_a_topic_that_is_a_path_never_names_a_file(tmp_path, home):
    folder = library(tmp_path, "attention")
    shutil.copy(CONCEPTS / "bleu.yaml", tmp_path / "bleu.yaml")  # beside the folder, not in it
    for topic in ("../bleu", str(tmp_path / "bleu"), "bleu/../bleu", "./attention"):
        result = run(folder, "generate", topic, "--n", "1")
        assert result.exit_code == 2, (topic, result.output)
        assert "unknown topic" in result.output


def test_a_file_validated_once_is_not_validated_again_until_its_bytes_change(tmp_path, home, validations):
    folder = library(tmp_path, "attention", "bleu")
    assert [c.id for c in load_library(folder)] == ["attention", "bleu"]
    assert validations == ["attention.yaml", "bleu.yaml"]
    assert (home / CACHE_NAME).is_file()
    load_library(folder)
    load_topics("attention", folder)
    assert validations == ["attention.yaml", "bleu.yaml"]  # neither validated again
    line = break_difficulty(folder / "attention.yaml")
    result = run(folder, "generate", "attention", "--n", "1")
    assert result.exit_code == 2
    assert f"attention.yaml:{line}: problems[0].difficulty: expected a value <= 5, found 9" in result.output
    assert validations[-1] == "attention.yaml"
    # The drill refuses it too, before asking anything.
    drill = run(folder, "drill", "attention", "--n", "1")
    assert drill.exit_code == 2 and f"attention.yaml:{line}: problems[0].difficulty" in drill.output


def test_the_cache_ignores_size_and_time(tmp_path, home):
    """Same size, same modification time, other bytes: validated again (the key is the content)."""
    folder = library(tmp_path, "attention")
    path = folder / "attention.yaml"
    load_topics("attention", folder)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    match = re.search(r"difficulty: [1-5]", text)
    changed = text[: match.start()] + "difficulty: 7" + text[match.end():]
    assert len(changed.encode()) == before.st_size
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size == before.st_size
    with pytest.raises(ConceptFileError) as caught:
        load_topics("attention", folder)
    assert "problems[0].difficulty: expected a value <= 5, found 7" in str(caught.value)


def test_a_file_validated_under_one_name_is_validated_again_under_another(tmp_path, home):
    """The id must be the file's stem, so the name is part of what was validated: a copy under
    another name is refused, on the machine that validated the original too."""
    folder = library(tmp_path, "attention")
    load_library(folder)
    (folder / "attention.yaml").rename(folder / "attn.yaml")
    result = run(folder, "topics")
    assert result.exit_code == 2 and "attn.yaml:2: id: expected the file stem 'attn'" in result.output, result.output


def test_hidden_files_twice_named_files_and_empty_folders(tmp_path, home):
    """An editor's lock file (a dangling link) and macOS's ._ file are not concept files; a file
    named twice is read once; a folder without concept files says so, naming folders inside it."""
    folder = library(tmp_path, "attention")
    (folder / ".#attention.yaml").symlink_to("user@host.1:1")
    (folder / "._attention.yaml").write_bytes(b"\x00\x05\x16\x07 mac resource fork")
    (folder / "old.yaml").mkdir()  # a folder, whatever its name, is a folder inside: not read
    assert run(folder, "check").exit_code == 0
    assert run(folder, "topics").exit_code == 0
    result = run(folder, "check", str(folder), str(folder / "attention.yaml"))
    assert result.exit_code == 0 and "ok: 1 concept file," in result.output, result.output
    empty = tmp_path / "course"
    (empty / "week1").mkdir(parents=True)
    shutil.copy(CONCEPTS / "bleu.yaml", empty / "week1" / "bleu.yaml")
    for args in (["topics"], ["generate", "bleu", "--n", "1"], ["check"]):
        result = run(empty, *args)
        assert result.exit_code == 2 and "no concept files (*.yaml, *.yml) in this folder" in result.output, (args, result.output)
        assert "folders inside it are not read (week1)" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("text, expected", [
    ("---\n", "a second YAML document (after ---)"),
    ("    on: {range: [1, 3]}\n", "the key on is read by YAML as true, not as a name; write it in quotes ('on')"),
    ("    null: {range: [1, 3]}\n", "the key null is read by YAML as null"),
])
def test_yaml_that_would_lose_or_rename_something_is_refused_with_a_hint(tmp_path, home, text, expected):
    folder = library(tmp_path, "attention")
    path = folder / "attention.yaml"
    original = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        path.write_text(original + text + original, encoding="utf-8")
    else:  # an input of the first template written in YAML's words for true and null
        path.write_text(re.sub(r"(?m)^(    params: .*\n)", lambda m: m[1] + "    inputs:\n  " + text, original, count=1), encoding="utf-8")
    result = run(folder, "check")
    assert result.exit_code == 2 and expected in result.output and "Traceback" not in result.output, result.output


def test_quizgen_check_always_validates(tmp_path, home, validations):
    folder = library(tmp_path, "attention")
    load_library(folder)
    result = run(folder, "check")
    assert result.exit_code == 0, result.output
    assert validations == ["attention.yaml", "attention.yaml"]


def test_another_quizgen_validates_again(tmp_path, home, validations):
    folder = library(tmp_path, "attention")
    load_library(folder)
    data = json.loads((home / CACHE_NAME).read_text())
    assert data["code"] == code_version()
    data["code"] = "0" * 64
    (home / CACHE_NAME).write_text(json.dumps(data))
    load_library(folder)
    assert validations == ["attention.yaml", "attention.yaml"]
    assert json.loads((home / CACHE_NAME).read_text())["code"] == code_version()


def _hostile(path: Path, kind: str, digest: str) -> None:
    good = {"format": 1, "code": code_version()}
    if kind == "garbage":
        path.write_bytes(os.urandom(3000))
    elif kind == "not-utf8-json":
        path.write_bytes(b'{"format": 1, "code": "\xff\xfe"}')
    elif kind == "a-list":
        path.write_text(json.dumps([digest]))
    elif kind == "wrong-types":
        path.write_text(json.dumps({**good, "validated": {digest: True}}))
    elif kind == "entries-of-wrong-types":
        path.write_text(json.dumps({**good, "validated": [1, None, [digest], {"d": digest}, digest.upper(), digest + "0"]}))
    elif kind == "format-as-text":
        path.write_text(json.dumps({**good, "format": "1", "validated": [digest]}))
    elif kind == "huge":
        path.write_text(json.dumps({**good, "validated": [digest] + ["0" * 64] * (MAX_CACHE_BYTES // 60)}))
    elif kind == "deep":
        path.write_text("[" * 200_000 + "]" * 200_000)
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")


HOSTILE = ["garbage", "not-utf8-json", "a-list", "wrong-types", "entries-of-wrong-types", "format-as-text", "huge",
           "deep", "directory", "fifo", "device"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_cache_is_ignored(tmp_path, home, validations, kind):
    folder = library(tmp_path, "attention")
    home.mkdir()
    digest = ValidatedCache.digest("attention.yaml", (folder / "attention.yaml").read_bytes())
    _hostile(home / CACHE_NAME, kind, digest)
    assert [c.id for c in load_topics("attention", folder)] == ["attention"]
    assert validations == ["attention.yaml"]  # never taken as validated
    cache = home / CACHE_NAME
    if kind in ("directory", "fifo", "device"):
        assert not cache.is_file() or cache.is_symlink()  # a special file is left as it was
        assert cache.is_dir() or cache.is_fifo() or cache.is_symlink()
    else:
        data = json.loads(cache.read_text())  # replaced by a good one
        assert data["validated"] == [digest]
        load_topics("attention", folder)
        assert validations == ["attention.yaml"]


def test_a_forged_entry_for_a_file_that_does_not_build_is_validated(tmp_path, home):
    """A digest of a broken file put in the cache by hand: the file is validated and refused."""
    folder = library(tmp_path, "attention")
    path = folder / "attention.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\nproblems:")] + "\n", encoding="utf-8")
    home.mkdir()
    digest = ValidatedCache.digest(path.name, path.read_bytes())
    (home / CACHE_NAME).write_text(json.dumps({"format": 1, "code": code_version(), "validated": [digest]}))
    result = run(folder, "generate", "attention")
    assert result.exit_code == 2
    assert "problems: missing field" in result.output


def test_an_unwritable_data_directory_does_not_stop_a_command(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("QUIZGEN_HOME", str(blocker / "home"))
    folder = library(tmp_path, "attention")
    result = run(folder, "generate", "attention", "--n", "1")
    assert result.exit_code == 0, result.output


WRITER = """
import os, sys
from pathlib import Path
from quizgen.core.library import ValidatedCache
path, who = Path(sys.argv[1]), sys.argv[2]
for i in range(40):
    cache = ValidatedCache(path)
    for j in range(30):
        cache.add(ValidatedCache.digest("x.yaml", f"{who}-{i}-{j}".encode()))
    cache.save()
"""


def test_two_processes_writing_the_cache_at_once_never_corrupt_it(tmp_path):
    path = tmp_path / CACHE_NAME
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who]) for who in ("a", "b")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    data = json.loads(path.read_text())
    assert data["format"] == 1 and data["code"] == code_version()
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in data["validated"])
    # Each writer's last batch is there (a save merges what the other wrote meanwhile).
    mine = {ValidatedCache.digest("x.yaml", f"{who}-39-{j}".encode()) for who in ("b",) for j in range(30)}
    assert mine <= set(data["validated"]) or {ValidatedCache.digest("x.yaml", f"a-39-{j}".encode()) for j in range(30)} <= set(data["validated"])
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_NAME]  # no temporary file left


def test_the_drill_reads_the_whole_library_only_to_migrate_an_old_database(tmp_path, home):
    from datetime import UTC, datetime

    from quizgen.drill.store import Store, flashcard_id, legacy_flashcard_id

    calls: list[int] = []

    def everything():
        calls.append(1)
        return load_library(CONCEPTS)

    with Store(tmp_path / "new.sqlite3", concepts=everything):
        pass
    assert calls == []  # a current database needs no concepts
    (bleu,) = select_topics("bleu", CONCEPTS)
    card = bleu.flashcards[0]
    old, new = legacy_flashcard_id("bleu", card.front), flashcard_id("bleu", card.id)
    home.mkdir(exist_ok=True)
    with Store(home / "quizgen.sqlite3") as store:
        store.record_review(card_id=old, concept="bleu", kind="flashcard", now=datetime(2030, 1, 1, tzinfo=UTC),
                            rating=3, status="right")
        store._db.execute("PRAGMA user_version = 1")
    # A drill of another concept migrates bleu's flashcards too: it reads the library for it.
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "drill", "attention", "--n", "1"], input="?\n\n")
    assert result.exit_code == 0, result.output
    with Store(home / "quizgen.sqlite3") as store:
        assert new in store.states() and old not in store.states()
