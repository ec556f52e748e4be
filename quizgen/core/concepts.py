"""Concept files: load, validate and look up ``concepts/<id>.yaml``.

Validation reports the problems of a file, each with file, line, field, what was expected and what
was found. Three layers, in order: the YAML, read by ``quizgen.core.files.load_yaml_data`` (syntax,
aliases, depth and repeated keys, which YAML itself silently accepts; the first refusal stops the
file), the JSON Schema (``quizgen.core.schema``), then what a schema cannot say (an id that
differs from the file stem, ``[min, max]`` with min > max, duplicate template names, a generator's
own cross-parameter checks, duplicate ids across files). Every problem of the last two is reported.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Protocol

from quizgen.core.answer import Tolerance
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable, YamlRefused, load_yaml_data
from quizgen.core.issues import Issue, PathKey, describe, field_name, leaf_errors, schema_issue
from quizgen.core.issues import line_of as _line_of
from quizgen.core.params import FloatRange, IntRange, resolve
from quizgen.core.schema import MAX_TEMPLATES

MAX_CONCEPT_BYTES = 256 * 1024
"""Largest concept file read (the largest shipped one is about 12 KB)."""

MAX_ISSUES_SHOWN = 100
"""Problems listed in one message; the count covers them all."""


class ConceptFileError(QuizgenError):
    """One or more concept files are broken; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[Issue]):
        self.issues = list(issues)
        files = len({i.file for i in self.issues})
        lines = [str(i) for i in self.issues[:MAX_ISSUES_SHOWN]]
        if len(self.issues) > MAX_ISSUES_SHOWN:
            lines.append(f"… and {len(self.issues) - MAX_ISSUES_SHOWN} more")
        lines.append(
            f"{len(self.issues)} problem{'s' if len(self.issues) != 1 else ''} in "
            f"{files} concept file{'s' if files != 1 else ''}"
        )
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Flashcard:
    """A flashcard. ``id`` is its identity (unique in its concept; the drill's history and the Anki
    note hang on it, so it survives rewording and reordering); ``legacy_position`` is the place
    the card had in its file before flashcards had ids, which keeps its existing Anki note.
    ``sources`` are the notes its facts come from, when not the concept's own ``sources``."""

    id: str
    front: str
    back: str
    extra: str = ""
    legacy_position: int | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A problem template: which generator, with which parameters, asked how."""

    name: str
    generator: str
    prompt: str
    params: dict[str, Any] = field(default_factory=dict)
    difficulty: int = 1
    tolerance: Tolerance = field(default_factory=Tolerance)

    def resolved_params(self) -> dict[str, Any]:
        """The params merged with the generator's defaults and normalised (a fresh dict; resolved
        once per template, since every problem of the template starts from them)."""
        return dict(self._resolved)

    @cached_property
    def _resolved(self) -> dict[str, Any]:
        from quizgen.generators import GENERATORS

        module = GENERATORS[self.generator]
        own = getattr(module, "resolve_params", None)  # an authored template's fields are its own
        return own(self.params) if own is not None else resolve(module.PARAMS, self.params)


@dataclass(frozen=True)
class Concept:
    id: str
    title: str
    tags: tuple[str, ...]
    summary: str
    sources: tuple[str, ...]
    flashcards: tuple[Flashcard, ...]
    templates: tuple[Template, ...]
    path: str
    deck: str = ""

    def sources_of(self, card: Flashcard) -> tuple[str, ...]:
        """The notes a flashcard's facts come from: its own ``sources``, else the concept's."""
        return card.sources or self.sources

    def template(self, name: str) -> Template:
        for t in self.templates:
            if t.name == name:
                return t
        raise QuizgenError(
            f"concept {self.id!r} has no template {name!r}; "
            f"its templates are {', '.join(t.name for t in self.templates)}"
        )


# ---------------------------------------------------------------------------------------------
# Messages with line numbers


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    from quizgen.core.schema import concept_schema

    # The schema itself is checked against the meta-schema by the tests, not on every start.
    return jsonschema.Draft202012Validator(concept_schema())


def _non_finite(value: Any, path: PathKey) -> Iterable[tuple[PathKey, float]]:
    """Every infinite or NaN float in the data, with its path."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _non_finite(item, (*path, i))


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _control_characters(value: Any, path: PathKey) -> Iterable[tuple[PathKey, str]]:
    """Every text in the data holding a control character (an escape sequence, NUL, a
    bidirectional override), with its path and the first one: printed to a terminal or on a
    card, a concept file from a stranger could rewrite what is shown. Tabs and line breaks are text."""
    if isinstance(value, str):
        bad = next((c for c in value if (unicodedata.category(c) == "Cc" and c not in "\t\n\r") or c in _BIDI), None)
        if bad is not None:
            yield path, f"U+{ord(bad):04X}"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _control_characters(key, path)
            yield from _control_characters(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _control_characters(item, (*path, i))


def _semantic_issues(
    data: dict[str, Any], file: str, lines: dict[PathKey, int], examples: bool = False, malformed: frozenset[int] = frozenset()
) -> list[Issue]:
    """What the schema cannot say. ``malformed``: the templates whose fields the schema refused,
    which are not looked into further (their fields may not have the types the checks read)."""
    from quizgen.generators import GENERATORS

    issues: list[Issue] = []
    stem = Path(file).stem
    cid = data.get("id")
    if isinstance(cid, str) and cid != stem:
        issues.append(
            Issue(file, _line_of(lines, ("id",)), "id", f"expected the file stem {stem!r}, found {cid!r}"
                  + (f"; rename the file {cid}{Path(file).suffix}" if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cid) else ""))
        )
    issues.extend(_flashcard_issues(data, file, lines))
    # Text the schema lets through that would show nothing, or never be reachable.
    title, deck, tags = data.get("title"), data.get("deck"), data.get("tags")
    if isinstance(title, str) and not title.strip():
        issues.append(Issue(file, _line_of(lines, ("title",)), "title", "expected a title with words in it, found only spaces"))
    if isinstance(deck, str) and any(not part.strip() or part.startswith(":") or part.endswith(":") for part in deck.split("::")):
        issues.append(Issue(file, _line_of(lines, ("deck",)), "deck", f"expected deck names joined by :: (Metrics::BLEU), found {deck!r}"))
    for i, tag in enumerate(tags if isinstance(tags, list) else []):
        if isinstance(tag, str) and tag.strip().lower() == "all":
            issues.append(Issue(file, _line_of(lines, ("tags", i)), f"tags[{i}]", "expected a tag other than 'all', which names every concept"))
    # No field of a concept file takes an infinite or undefined number (YAML's .inf, .nan): a
    # tolerance, a parameter or a bound that is one would break every face that uses it.
    for path, number in _non_finite(data, ()):
        issues.append(Issue(file, _line_of(lines, path), field_name(path), f"expected a finite number, found {number!r}"))
        if len(path) > 1 and path[0] == "problems" and isinstance(path[1], int):
            malformed |= {path[1]}  # said once: its own checks would trip on that number
    for path, char in _control_characters(data, ()):
        issues.append(Issue(file, _line_of(lines, path), field_name(path), f"expected text without control characters, found {char}"))
    seen: dict[str, int] = {}
    problems = data.get("problems")
    if isinstance(problems, list) and len(problems) > MAX_TEMPLATES:
        return issues  # the schema says too many; checking each would take minutes first
    for index, tpl in enumerate(problems if isinstance(problems, list) else []):
        if not isinstance(tpl, dict):
            continue
        name = tpl.get("name")
        if isinstance(name, str):
            if name in seen:
                issues.append(
                    Issue(
                        file,
                        _line_of(lines, ("problems", index, "name")),
                        field_name(("problems", index, "name")),
                        f"expected a name not used before, found {name!r} again (first at problems[{seen[name]}])",
                    )
                )
            else:
                seen[name] = index
        if "answer" in tpl:
            own: list[tuple[PathKey, str, str]] = [
                (("problems", index, key), "no generator or params in a template with its own answer (docs/authoring.md)", "one")
                for key in ("generator", "params") if key in tpl]  # fmt: skip
            if index in malformed:
                issues.extend(Issue(file, _line_of(lines, where), field_name(where), f"expected {expected}, found {found}") for where, expected, found in own)
                continue
            from quizgen.generators.authored_check import check_template

            try:
                own += [(("problems", index, *path), expected, found) for path, expected, found in check_template(tpl)]
            except Exception as exc:  # a check that trips on a field is one issue of the file, never a traceback
                own.append((("problems", index), "a template whose fields quizgen can check", f"one that stops the check ({type(exc).__name__}: {exc})"))
            if examples and not own:
                from checkers.authored import check_with_torch  # torch: only when quizgen check runs it

                own += [(("problems", index, *path), expected, found) for path, expected, found in check_with_torch(tpl)]
            issues.extend(Issue(file, _line_of(lines, where), field_name(where), f"expected {expected}, found {found}") for where, expected, found in own)
            continue
        generator = tpl.get("generator")
        family = GENERATORS.get(generator) if isinstance(generator, str) else None
        params = tpl.get("params") or {}
        if family is None or not isinstance(params, dict):
            continue
        for pname, spec in family.PARAMS.items():
            value = params.get(pname)
            if isinstance(spec, (IntRange, FloatRange)) and isinstance(value, list) and len(value) == 2:
                lo, hi = value
                if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
                    p = ("problems", index, "params", pname)
                    issues.append(
                        Issue(file, _line_of(lines, p), field_name(p), f"expected [min, max] with min <= max, found [{lo}, {hi}]")
                    )
        check = getattr(family, "check_params", None)
        if check is not None and not issues:
            try:
                resolved = resolve(family.PARAMS, params)
            except (TypeError, ValueError, OverflowError):
                continue
            for pname, expected, found in check(resolved):
                at: PathKey = ("problems", index, "params", pname) if pname in params else ("problems", index, "params")
                issues.append(Issue(file, _line_of(lines, at), field_name(at), f"expected {expected}, found {found}"))
    return issues


def _flashcard_issues(data: dict[str, Any], file: str, lines: dict[PathKey, int]) -> list[Issue]:
    """Flashcard ids and legacy positions used twice in one file (two cards would share a note)."""
    issues: list[Issue] = []
    cards = data.get("flashcards")
    for key in ("id", "legacy-position"):
        first: dict[Any, int] = {}
        for index, card in enumerate(cards if isinstance(cards, list) else []):
            value = card.get(key) if isinstance(card, dict) else None
            if value is None or isinstance(value, (bool, list, dict)):
                continue
            if value in first:
                at = ("flashcards", index, key)
                issues.append(
                    Issue(
                        file,
                        _line_of(lines, at),
                        field_name(at),
                        f"expected {'an id' if key == 'id' else 'a position'} no other flashcard of this file has, "
                        f"found {value!r} again (first at flashcards[{first[value]}])",
                    )
                )
            else:
                first[value] = index
    return issues


def validate_text(text: str, file: str, examples: bool = False) -> tuple[dict[str, Any] | None, list[Issue]]:
    """Every problem of one concept file's text; the data too when it could be parsed. With
    ``examples``, authored templates' examples and a sample of their draws are computed with torch too."""
    lines: dict[PathKey, int] = {}
    try:
        data = load_yaml_data(text, file, lines, names=True)
    except YamlRefused as exc:
        return None, [Issue(file, exc.line, field_name(exc.path), exc.reason)]
    except FileUnusable:
        data = None
    if data is None:
        return None, [Issue(file, 1, "", "expected a mapping of fields (id, title, ...), found an empty file")]
    if not isinstance(data, dict):
        return None, [Issue(file, 1, "", f"expected a mapping of fields (id, title, ...), found {describe(data)}")]
    issues: list[Issue] = []
    malformed: set[int] = set()
    for error in leaf_errors(_validator().iter_errors(data)):
        issues.extend(schema_issue(error, file, lines))
        where = tuple(error.absolute_path)
        if len(where) > 1 and where[0] == "problems" and isinstance(where[1], int):
            malformed.add(where[1])
    issues.extend(_semantic_issues(data, file, lines, examples, frozenset(malformed)))
    # One message per place is enough; keep the file's order.
    unique: dict[tuple[int, str, str], Issue] = {}
    for issue in issues:
        unique.setdefault((issue.line, issue.field, issue.message), issue)
    ordered = sorted(unique.values(), key=lambda i: (i.line, i.field))
    return data, ordered


_COMMON_FIELDS = frozenset({"name", "prompt", "difficulty", "tolerance", "generator", "params"})
"""A template's fields that are not an authored template's own (``quizgen.generators.authored``)."""


def _build(data: dict[str, Any], file: str) -> Concept:
    problems = []
    for tpl in data["problems"]:
        tol = tpl.get("tolerance") or {}
        default = Tolerance()
        authored = "answer" in tpl  # its maths is written here, not in a family (docs/authoring.md)
        problems.append(
            Template(
                name=tpl["name"],
                generator="authored" if authored else tpl["generator"],
                prompt=tpl["prompt"].strip(),
                # An authored template's own fields (the schema names them) are its params.
                params={k: v for k, v in tpl.items() if k not in _COMMON_FIELDS} if authored else dict(tpl.get("params") or {}),
                difficulty=int(tpl.get("difficulty", 1)),
                tolerance=Tolerance(rel=float(tol.get("rel", default.rel)), abs=float(tol.get("abs", default.abs))),
            )
        )
    return Concept(
        id=data["id"],
        title=data["title"].strip(),
        tags=tuple(data["tags"]),
        summary=" ".join(data["summary"].split()),
        sources=tuple(data["sources"]),
        flashcards=tuple(
            Flashcard(
                id=c["id"],
                front=c["front"].strip(),
                back=c["back"].strip(),
                extra=(c.get("extra") or "").strip(),
                # int(): the schema takes 3.0 as a whole number, and the GUID must be position 3's.
                legacy_position=None if c.get("legacy-position") is None else int(c["legacy-position"]),
                sources=tuple(c.get("sources") or ()),
            )
            for c in data["flashcards"]
        ),
        templates=tuple(problems),
        path=file,
        deck=data.get("deck", ""),
    )


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def check_files(paths: Sequence[Path], validated: ValidatedSet | None = None, examples: bool = False) -> tuple[list[Concept], list[Issue]]:
    """Validate files; return the good concepts and every issue found (duplicate ids included).

    With ``validated`` (the cache of ``quizgen.core.library``), a file whose exact bytes were
    validated before is only parsed, and every file that passes is added to it. ``examples``
    (``quizgen check``) also computes authored templates' examples and sample draws with torch."""
    concepts: list[Concept] = []
    issues: list[Issue] = []
    first_seen: dict[str, str] = {}
    decks_seen: dict[str, tuple[str, str]] = {}  # casefolded deck name -> (as written, file)
    for path in paths:
        file = _display(path)
        try:
            mode = path.stat().st_mode
            if not stat.S_ISREG(mode):
                what = "a folder" if stat.S_ISDIR(mode) else "a pipe or a device"
                issues.append(Issue(file, 1, "", f"expected a regular file, found {what}"))
                continue
            with open(path, "rb") as fh:
                raw = fh.read(MAX_CONCEPT_BYTES + 1)
        except OSError as exc:
            issues.append(Issue(file, 1, "", f"could not read the file: {exc.strerror or exc}"))
            continue
        if len(raw) > MAX_CONCEPT_BYTES:
            issues.append(Issue(file, 1, "", f"expected a concept file of at most {MAX_CONCEPT_BYTES // 1024} KB, found a larger file"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            issues.append(Issue(file, raw[: exc.start].count(b"\n") + 1, "", "expected UTF-8 text, found other bytes"))
            continue
        digest = validated.digest(path.name, raw) if validated is not None else ""
        concept = _trusted(text, file) if validated is not None and digest in validated else None
        if concept is None:
            data, found = validate_text(text, file, examples)
            issues.extend(found)
            if data is None or found:
                continue
            concept = _build(data, file)
            if validated is not None:
                validated.add(digest)
        if concept.id in first_seen:
            issues.append(
                Issue(file, 1, "id", f"expected an id no other file uses, found {concept.id!r} (also in {first_seen[concept.id]})")
            )
            continue
        # Anki takes deck names that differ only in case as one deck, named as it saw it first.
        deck = "::".join(part.strip() for part in concept.deck.split("::"))
        other = decks_seen.setdefault(deck.casefold(), (deck, file))
        if concept.deck and other[0] != deck:
            issues.append(Issue(file, 1, "deck", f"expected the deck name {other[0]!r} as {other[1]} writes it, or another name; "
                                                 f"found {deck!r} (Anki takes names differing only in case as one deck)"))
            continue
        first_seen[concept.id] = file
        concepts.append(concept)
    return concepts, issues


class ValidatedSet(Protocol):
    """Contents known to pass validation with this quizgen (``quizgen.core.library``)."""

    def digest(self, name: str, raw: bytes) -> str: ...
    def __contains__(self, digest: object) -> bool: ...
    def add(self, digest: str) -> None: ...


def _trusted(text: str, file: str) -> Concept | None:
    """A concept from a file whose bytes were validated before: parsed and built, not validated
    again. None (validate it) if it does not build, which only a forged cache can cause."""
    try:
        data = load_yaml_data(text, file)
        return _build(data, file) if isinstance(data, dict) else None
    except (FileUnusable, KeyError, TypeError, ValueError, AttributeError):
        return None


def concept_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand directories into their ``*.yaml`` and ``*.yml`` files (sorted), leaving out hidden
    ones (an editor's lock file ``.#x.yaml``, macOS's ``._x.yaml``); keep files as given, each once."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # Files only: a folder named sub.yaml is a folder inside, which is not read.
            found = [q for q in sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")) if not q.name.startswith(".") and not q.is_dir()]
            if not found:
                inside = sorted({q.parent.name for q in p.glob("*/*.y*ml")})
                where = f"; folders inside it are not read ({', '.join(inside[:3])}): move their files up" if inside else ""
                # Skipped by name: hidden files, and endings in capitals (x.YAML), said so they can be renamed.
                skipped = sorted(q.name for q in p.iterdir() if q.suffix.lower() in (".yaml", ".yml") and q.is_file())
                if skipped:
                    where += f"; not read: {', '.join(skipped[:3])} (a hidden name, or an ending other than .yaml or .yml)"
                raise QuizgenError(f"{p}: no concept files (*.yaml, *.yml) in this folder{where}")
            out.extend(found)
        elif p.exists() or p.is_symlink():
            out.append(p)
        else:
            raise QuizgenError(f"no such file or directory: {p}")
    seen: set[Path] = set()
    unique = []
    for p in out:
        key = Path(os.path.realpath(p))
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def bundled_dir(name: str) -> Path:
    """The bundled ``concepts`` or ``decks`` folder: inside the installed package (a wheel), else
    at the top of the source checkout (an editable install), where the repository keeps them."""
    package = Path(__file__).resolve().parent.parent
    inside = package / name
    return inside if inside.is_dir() else package.parent / name


def default_concept_dir() -> Path:
    """``$QUIZGEN_CONCEPTS``, else ``./concepts``, else the concept files bundled with quizgen."""
    env = os.environ.get("QUIZGEN_CONCEPTS")
    if env:
        return Path(env)
    here = Path("concepts")
    if here.is_dir():
        return here
    return bundled_dir("concepts")


def load_concepts(directory: str | Path | None = None) -> list[Concept]:
    """All concepts of a directory; raises ``ConceptFileError`` listing every issue if any is broken."""
    root = Path(directory) if directory is not None else default_concept_dir()
    if not root.is_dir():
        raise QuizgenError(f"no concepts directory at {root}; set QUIZGEN_CONCEPTS or pass --concepts DIR")
    concepts, issues = check_files(concept_files([root]))
    if issues:
        raise ConceptFileError(issues)
    return concepts


def topic_names(concepts: Sequence[Concept]) -> list[str]:
    """Every concept id and tag, sorted."""
    names = {c.id for c in concepts}
    for c in concepts:
        names.update(c.tags)
    return sorted(names)


def select(concepts: Sequence[Concept], topics: str | Iterable[str], *, in_given_order: bool = False) -> list[Concept]:
    """The concepts the topics name, by id: the one topic selector of every command.

    A topic is a concept id, else a tag (every concept with it), in any case (``BLEU`` is
    ``bleu``); ``all`` names every concept. Several topics give the union, sorted by id, or in
    the order the topics were given with ``in_given_order`` (the drill interleaves them so). An
    unknown topic raises, suggesting close matches.
    """
    chosen: dict[str, Concept] = {}
    for topic in [topics] if isinstance(topics, str) else topics:
        for c in _select_one(concepts, topic):
            chosen.setdefault(c.id, c)
    return list(chosen.values()) if in_given_order else [chosen[k] for k in sorted(chosen)]


def _select_one(concepts: Sequence[Concept], typed: str) -> list[Concept]:
    topic = typed.strip().lower()
    if topic == "all":
        return list(concepts)
    by_id = [c for c in concepts if c.id == topic]
    if by_id:
        return by_id
    tagged = [c for c in concepts if topic in c.tags]
    if tagged:
        return tagged
    known = ["all", *topic_names(concepts)]
    close = difflib.get_close_matches(topic, known, n=3)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise QuizgenError(f"unknown topic {typed!r}; {hint}topics are: {', '.join(known)}")  # as it was typed
