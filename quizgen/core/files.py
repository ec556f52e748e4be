"""Files: atomic writes (a file appears complete or not at all) and reading files that may be hostile."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from quizgen.core.errors import QuizgenError


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            # mkstemp makes the file private (0600); a worksheet or deck is meant to be shared, so
            # give it the permissions a plain open() would: 0666 less the umask.
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


MAX_YAML_DEPTH = 64
"""Deepest YAML nesting read. libyaml's cost per event grows with the depth (100,000 nested
brackets take 16 s), so reading stops as soon as a file goes deeper than this."""


# ---------------------------------------------------------------------------------------------
# Reading files that may be hostile: size, binary data and encoding checked before any parser,
# YAML read from its event stream without expanding aliases or constructing tags


class FileUnusable(QuizgenError):
    """A file cannot be read at all (missing, too large, binary, not UTF-8, empty, not YAML)."""


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def read_text_file(path: str | Path, max_bytes: int, what: str, hint: str = "") -> str:
    """The text of a file, refused with a clear message before anything odd reaches a parser.

    The size is checked before reading (and the read itself stops one byte past the limit, in case
    the file grows or is not a regular file); then NUL bytes (binary data) and the encoding:
    UTF-8, with or without a byte-order mark, or UTF-16 with its byte-order mark.

    Args:
        path: The file.
        max_bytes: The largest size read.
        what: What the file is, for messages (``answer sheet``).
        hint: Appended to the size message (how to raise the limit).

    Raises:
        FileUnusable: With a message naming the file and what is wrong with it.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise FileUnusable(f"{p}: no such file") from None
    except OSError as exc:
        raise FileUnusable(f"{p}: cannot read the {what}: {exc.strerror or exc}") from None
    if p.is_dir():
        raise FileUnusable(f"{p}: is a directory, not {_article(what)} {what}")
    if st.st_size > max_bytes:
        raise FileUnusable(
            f"{p}: the {what} is {_megabytes(st.st_size)}; files over {_megabytes(max_bytes)} are not read{hint}"
        )
    try:
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FileUnusable(f"{p}: cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise FileUnusable(f"{p}: the {what} is over {_megabytes(max_bytes)} and is not read{hint}")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileUnusable(f"{p}: the {what} starts like UTF-16 text but is not ({exc.reason})") from None
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            raise FileUnusable(
                f"{p}: the {what} is not a text file (binary data: a NUL byte at byte {nul}); "
                f"save it as plain UTF-8 text"
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileUnusable(
                f"{p}: the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at byte {exc.start} "
                f"cannot be decoded); save it as UTF-8"
            ) from None
    if not text.strip():
        raise FileUnusable(f"{p}: the {what} is empty")
    return text


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class _ScalarTyper:
    """Types plain YAML scalars as PyYAML's safe loader would (ints, floats, booleans, null)."""

    def __init__(self) -> None:
        import yaml

        self._yaml = yaml
        self._resolver = yaml.resolver.Resolver()
        self._constructor = yaml.constructor.SafeConstructor()

    def __call__(self, event: Any) -> Any:
        yaml = self._yaml
        tag = event.tag
        if event.style and tag is None:
            return event.value  # quoted or block scalars are text
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        construct = yaml.constructor.SafeConstructor.yaml_constructors.get(tag)
        if construct is None or tag in ("tag:yaml.org,2002:binary", "tag:yaml.org,2002:set", "tag:yaml.org,2002:omap"):
            raise FileUnusable(f"line {event.start_mark.line + 1}: the YAML tag {tag} is not read")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return construct(self._constructor, node)


def load_yaml_data(text: str, source: str) -> Any:
    """Plain data from YAML text, built from libyaml's events by a loop that is safe on any input.

    Aliases (the ``*a`` of a "billion laughs" file) and tags naming Python objects are refused, not
    expanded or constructed; nesting deeper than ``MAX_YAML_DEPTH`` stops the reading. Only the
    first document is read.

    Raises:
        FileUnusable: Not YAML, or one of the refusals above, with the line.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    stack: list[Any] = []
    keys: list[Any] = []
    root: Any = None
    have_root = False
    typed = _ScalarTyper()

    def add(value: Any, line: int) -> None:
        nonlocal root, have_root
        if not stack:
            root, have_root = value, True
            return
        top = stack[-1]
        if isinstance(top, list):
            top.append(value)
        elif keys[-1] is _NO_KEY:
            if isinstance(value, (list, dict)):
                raise FileUnusable(f"{source}: line {line}: a mapping key must be a plain value")
            keys[-1] = value
        else:
            if keys[-1] in top:
                raise FileUnusable(f"{source}: line {line}: the key {keys[-1]!r} appears twice")
            top[keys[-1]] = value
            keys[-1] = _NO_KEY

    try:
        event: Any
        for event in yaml.parse(text, Loader=loader):
            name = type(event).__name__
            line = event.start_mark.line + 1 if event.start_mark is not None else 0
            if name == "ScalarEvent":
                add(typed(event), line)
            elif name in ("SequenceStartEvent", "MappingStartEvent"):
                if event.tag not in (None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"):
                    raise FileUnusable(f"{source}: line {line}: the YAML tag {event.tag} is not read")
                if len(stack) >= MAX_YAML_DEPTH:
                    raise FileUnusable(f"{source}: line {line}: nested more than {MAX_YAML_DEPTH} levels deep")
                stack.append([] if name == "SequenceStartEvent" else {})
                keys.append(_NO_KEY)
            elif name in ("SequenceEndEvent", "MappingEndEvent"):
                done = stack.pop()
                keys.pop()
                add(done, line)
            elif name == "AliasEvent":
                raise FileUnusable(f"{source}: line {line}: YAML aliases (*{event.anchor}) are not read")
            elif name == "DocumentEndEvent":
                break
    except yaml.YAMLError as exc:
        raise FileUnusable(f"{source}: not valid YAML: {yaml_problem(exc)}") from None
    except FileUnusable as exc:
        if str(exc).startswith("line "):
            raise FileUnusable(f"{source}: {exc}") from None
        raise
    if not have_root:
        raise FileUnusable(f"{source}: holds no YAML document")
    return root


_NO_KEY = object()


def yaml_problem(exc: Exception) -> str:
    """``line 3, column 5: found character '\\t' that cannot start any token``."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    reason = getattr(exc, "reason", None)
    if reason:  # a reader error: a character YAML does not allow
        return f"character {getattr(exc, 'position', '?')}: {reason}"
    return " ".join(str(exc).split())
