"""The concept files a command needs, and a cache of the contents already validated.

A topic that is a concept id names its file: the id is the file's stem (validation refuses any
other), so ``drill attention`` reads ``attention.yaml`` (and ``attention.yml``, if both exist)
and no other file. ``all``, a tag, and an unknown topic (to suggest names) read every file.

Validating a file with jsonschema costs far more than reading it (importing jsonschema alone is
about 45 ms), so each file's bytes are hashed (SHA-256) and a file whose exact bytes passed
validation before, with this very quizgen, is only parsed. The cache is keyed by the file's name
and contents, never by size or modification time: a file changed in any byte, or renamed (a
concept's id must be its file's stem), is validated again, and a
broken file is refused with file, line and field by every command that reads it. ``quizgen
check`` always validates everything. The cache is ``validated-concepts.json`` in the data
directory (``quizgen.core.files.data_dir``): a list of digests, tied to quizgen's code (its
version and the size and time of each of its modules), written atomically; one that cannot be read
or makes no sense is ignored, one that cannot be written is not written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from quizgen.core.concepts import Concept, ConceptFileError, check_files, concept_files, default_concept_dir, select
from quizgen.core.errors import QuizgenError
from quizgen.core.files import data_dir, write_bytes_atomic
from quizgen.core.schema import SLUG

CACHE_NAME = "validated-concepts.json"
CACHE_FORMAT = 1
MAX_CACHE_BYTES = 1024 * 1024
"""A larger cache file is not read (about 14,000 digests fit)."""
MAX_DIGESTS = 4096
"""Digests kept, the latest validated last: a course's library and many of its past versions."""
_DIGEST = re.compile(r"[0-9a-f]{64}")


@lru_cache(maxsize=1)
def code_version() -> str:
    """What validation depends on: quizgen's version and each of its modules (path, size, time).
    Another quizgen, or an edited one, validates every file again."""
    from quizgen import __version__

    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"\0{path.relative_to(package)}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


class ValidatedCache:
    """The SHA-256 digests of concept-file contents that passed validation with this quizgen."""

    def __init__(self, path: Path | None = None):
        self.path = path if path is not None else data_dir() / CACHE_NAME
        self._known = self._read()
        self._new: list[str] = []

    @staticmethod
    def digest(name: str, raw: bytes) -> str:
        """The key of a file named ``name`` holding ``raw``: its name is part of what was validated
        (a concept's id must be its file's stem)."""
        return hashlib.sha256(name.encode("utf-8", "surrogateescape") + b"\0" + raw).hexdigest()

    def __contains__(self, digest: object) -> bool:
        return digest in self._known

    def add(self, digest: str) -> None:
        if digest not in self._known:
            self._known[digest] = None
            self._new.append(digest)

    def _read(self) -> dict[str, None]:
        """The digests of the cache file, or none if it is missing, unreadable, of another
        quizgen, too large or not the shape written."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return {}
        try:
            with os.fdopen(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    return {}
                raw = fh.read(MAX_CACHE_BYTES + 1)
        except OSError:
            return {}
        if len(raw) > MAX_CACHE_BYTES:
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("code") != code_version():
            return {}
        digests = data.get("validated")
        if not isinstance(digests, list):
            return {}
        return {d: None for d in digests if isinstance(d, str) and _DIGEST.fullmatch(d)}

    def save(self) -> None:
        """Write the digests added, with those another process wrote meanwhile; quietly nothing
        when the data directory cannot be written (the cache only saves time)."""
        if not self._new:
            return
        merged = {**self._read(), **dict.fromkeys(self._known), **dict.fromkeys(self._new)}
        payload = {"format": CACHE_FORMAT, "code": code_version(), "validated": list(merged)[-MAX_DIGESTS:]}
        try:
            if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
                return  # only ever replace a plain file of our own
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_bytes_atomic(self.path, json.dumps(payload, separators=(",", ":")).encode())
        except (OSError, QuizgenError):
            return
        self._new = []


def _root(directory: str | Path | None) -> Path:
    root = Path(directory) if directory is not None else default_concept_dir()
    if not root.is_dir():
        raise QuizgenError(f"no concepts directory at {root}; set QUIZGEN_CONCEPTS or pass --concepts DIR")
    return root


def _load(files: Sequence[Path]) -> list[Concept]:
    cache = ValidatedCache()
    concepts, issues = check_files(files, cache)
    cache.save()
    if issues:
        raise ConceptFileError(issues)
    return concepts


def load_library(directory: str | Path | None = None) -> list[Concept]:
    """Every concept of the directory (validated only where the bytes are new); raises
    ``ConceptFileError`` listing every issue if any file is broken."""
    return _load(concept_files([_root(directory)]))


def files_for(root: Path, topics: Iterable[str]) -> list[Path] | None:
    """The files the topics name by id, or None when some topic needs every file (``all``, a
    tag, an unknown topic). A topic that is not a slug never names a path."""
    files: list[Path] = []
    for topic in topics:
        name = topic.strip().lower()
        if name == "all" or not re.fullmatch(SLUG, name):
            return None
        found = [p for p in (root / f"{name}.yaml", root / f"{name}.yml") if p.exists()]
        if not found:
            return None
        files += [p for p in found if p not in files]
    return files


def load_topics(topics: str | Iterable[str], directory: str | Path | None = None) -> list[Concept]:
    """The concepts a command's topics need, reading only their files when every topic is a
    concept id (else every file). ``select`` on the result picks as it would from the library."""
    names = [topics] if isinstance(topics, str) else list(topics)
    root = _root(directory)
    files = files_for(root, names)
    return _load(files) if files is not None else load_library(root)


def select_topics(
    topics: str | Iterable[str], directory: str | Path | None = None, *, in_given_order: bool = False
) -> list[Concept]:
    """``select`` over the concepts the topics need: what a command given TOPIC... works with."""
    names = [topics] if isinstance(topics, str) else list(topics)
    return select(load_topics(names, directory), names, in_given_order=in_given_order)
