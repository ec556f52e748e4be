"""Files: atomic writes (a file appears complete or not at all) and reading files that may be hostile."""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from quizgen.core.errors import QuizgenError


def data_dir() -> Path:
    """The user's quizgen data: ``$QUIZGEN_HOME``, else ``$XDG_DATA_HOME/quizgen``, else
    ``~/.local/share/quizgen`` (the review database, the validated-concepts cache)."""
    home = os.environ.get("QUIZGEN_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "quizgen"
    return Path.home() / ".local" / "share" / "quizgen"


TEMP_SUFFIX = ".tmp"
"""The ending of the temporary file ``write_bytes_atomic`` writes first, as ``.<name>.<random>.tmp``."""


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over ``path``.

    A path that exists and is not a regular file (``/dev/stdout``, a FIFO, a device) is written
    to directly: renaming over it would replace the special file with a regular one. ``-`` is
    standard output.

    Raises:
        QuizgenError: The file or its directory cannot be written (the message says which).
    """
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(path)
    tmp: str | None = None
    try:
        if path.is_symlink():
            # Write where the link leads and keep the link: renaming over the link itself would
            # replace it (as root, ``-o /dev/stdout`` with standard output in a file replaced the
            # system's /dev/stdout). A link into /proc or /dev (a file descriptor) is written to
            # directly, as a stream.
            target = Path(os.path.realpath(path))
            if target.parts[1:2] in (("proc",), ("dev",)):
                with open(path, "wb") as out:
                    out.write(data)
                return
            path = target
        special = path.exists() and not stat.S_ISREG(path.stat().st_mode) and not path.is_dir()
        if special:
            with open(path, "wb") as out:
                out.write(data)
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent or Path("."))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            # mkstemp makes the file private (0600); a worksheet or deck is meant to be shared, so
            # give it the permissions a plain open() would: 0666 less the umask.
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        if isinstance(exc, OSError):
            raise QuizgenError(f"cannot write {path}: {exc.strerror or exc}") from None
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
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
        raise FileUnusable(f"{p}: is not a regular file (a pipe or a device), not {_article(what)} {what}")
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


def csv_rows(text: str) -> Any:
    """A ``csv.reader`` over ``text`` (a file read whole), its separator ',' or, as spreadsheets
    set to many languages save CSV, ';' or a tab: whichever splits the header (the first record
    with a cell that is not blank, read as the readers read it: quoted cells whole, line breaks
    inside them too) into the most whole cells, then the most cells (',' on a tie)."""
    import csv
    import io

    def header_cells(separator: str) -> tuple[int, int]:
        """How many of the header's cells are whole (a cell holding a quote was cut out of a
        quoted one: `id;"Name, full"` split at the comma), then how many cells it has."""
        try:
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
                if any(cell.strip() for cell in row):
                    return sum('"' not in cell for cell in row), len(row)
        except csv.Error:  # a cell over csv's size limit: the readers report it where they read
            pass
        return 0, 0

    separator = max((",", ";", "\t"), key=header_cells)
    return csv.reader(io.StringIO(text, newline=""), delimiter=separator)


def column_name(header: str) -> str:
    """A CSV header cell as a column name: ``Student ID`` and ``student-id`` are ``student_id``."""
    return "_".join(header.strip().lower().replace("-", " ").split())


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class _ScalarTyper:
    """Types plain YAML scalars as PyYAML's safe loader would (ints, floats, booleans, null)."""

    def __init__(self) -> None:
        import yaml

        self._yaml = yaml
        self._resolver = yaml.resolver.Resolver()
        self._constructor = yaml.constructor.SafeConstructor()

    def __call__(self, event: Any, refuse: Any) -> Any:
        yaml = self._yaml
        tag = event.tag
        if event.style and tag is None:
            return event.value  # quoted or block scalars are text
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        construct = yaml.constructor.SafeConstructor.yaml_constructors.get(tag)
        if construct is None or tag in ("tag:yaml.org,2002:binary", "tag:yaml.org,2002:set", "tag:yaml.org,2002:omap"):
            raise refuse(event.start_mark.line + 1, f"the YAML tag {tag} is not read")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return construct(self._constructor, node)
        except ValueError:  # an integer of more digits than Python converts (4300)
            raise refuse(event.start_mark.line + 1, f"a number of {len(event.value)} characters is too long to read") from None


class YamlRefused(FileUnusable):
    """YAML refused at a line: not valid, an alias, a tag, nested too deep, a repeated key.

    ``reason`` is the message without the file and line; ``path`` is the repeated key's path.
    """

    def __init__(self, message: str, line: int, reason: str, path: tuple[Any, ...] = ()):
        super().__init__(message)
        self.line, self.reason, self.path = line, reason, path


def load_yaml_data(text: str, source: str, lines: dict[tuple[Any, ...], int] | None = None, names: bool = False) -> Any:
    """Plain data from YAML text, built from libyaml's events by a loop that is safe on any input.

    Aliases (the ``*a`` of a "billion laughs" file) and tags naming Python objects are refused, not
    expanded or constructed; nesting deeper than ``MAX_YAML_DEPTH`` stops the reading; so does a
    key repeated in a mapping (YAML itself would keep the last one silently), a second document;
    with ``names`` (keys are names, as in a concept file) also a key that YAML reads as true, false
    or null (``on:``, ``no:``), with a hint to quote it. With ``lines``, the line of every value is recorded under its path
    (``("problems", 0, "name")``; a mapping entry at its key's line).

    Raises:
        YamlRefused: Not YAML, or one of the refusals above, with the line.
        FileUnusable: The text holds no YAML document.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    stack: list[Any] = []
    keys: list[Any] = []
    paths: list[tuple[Any, ...]] = []
    root: Any = None
    have_root = False
    ended = False
    typed = _ScalarTyper()

    def refuse(line: int, reason: str, path: tuple[Any, ...] = ()) -> YamlRefused:
        return YamlRefused(f"{source}: line {line}: {reason}", line, reason, path)

    def here() -> tuple[Any, ...] | None:
        """The path of the next value (None when it is a mapping key)."""
        if not stack:
            return ()
        if isinstance(stack[-1], list):
            return paths[-1] + (len(stack[-1]),)
        return None if keys[-1] is _NO_KEY else paths[-1] + (keys[-1],)

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
                raise refuse(line, "a mapping key must be a plain value")
            if value in top:
                raise refuse(line, f"the key {value!r} appears twice", paths[-1] + (value,))
            keys[-1] = value
            if lines is not None:
                lines[paths[-1] + (value,)] = line
        else:
            top[keys[-1]] = value
            keys[-1] = _NO_KEY

    try:
        event: Any
        for event in yaml.parse(text, Loader=loader):
            name = type(event).__name__
            line = event.start_mark.line + 1 if event.start_mark is not None else 0
            if lines is not None and name in ("ScalarEvent", "SequenceStartEvent", "MappingStartEvent"):
                path = here()
                if path is not None:
                    lines.setdefault(path, line)
            if name == "ScalarEvent":
                value = typed(event, refuse)
                if names and (value is None or isinstance(value, bool)) and event.value and stack and isinstance(stack[-1], dict) \
                        and keys[-1] is _NO_KEY:
                    # YAML 1.1 reads on, off, yes, no, y, n, ~ and null as true, false or nothing.
                    raise refuse(line, f"the key {event.value} is read by YAML as {str(value).lower() if value is not None else 'null'}, "
                                       f"not as a name; write it in quotes ('{event.value}')", paths[-1] + (event.value,))
                add(value, line)
            elif name in ("SequenceStartEvent", "MappingStartEvent"):
                if event.tag not in (None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"):
                    raise refuse(line, f"the YAML tag {event.tag} is not read")
                if len(stack) >= MAX_YAML_DEPTH:
                    raise refuse(line, f"nested more than {MAX_YAML_DEPTH} levels deep")
                paths.append((here() or ()) if lines is not None else ())
                stack.append([] if name == "SequenceStartEvent" else {})
                keys.append(_NO_KEY)
            elif name in ("SequenceEndEvent", "MappingEndEvent"):
                done = stack.pop()
                keys.pop()
                paths.pop()
                add(done, line)
            elif name == "AliasEvent":
                raise refuse(line, f"YAML aliases (*{event.anchor}) are not read")
            elif name == "DocumentEndEvent":
                ended = True
            elif name == "DocumentStartEvent" and ended:
                raise refuse(line, "a second YAML document (after ---); a file holds one, so put it in a file of its own")
    except yaml.YAMLError as exc:
        mark = _error_mark(exc)
        reason = f"not valid YAML: {yaml_problem(exc, text)}"
        raise YamlRefused(f"{source}: {reason}", yaml_position(mark, text)[0] if mark is not None else 1, reason) from None
    if not have_root:
        raise FileUnusable(f"{source}: holds no YAML document")
    return root


_NO_KEY = object()


def _error_mark(exc: Exception) -> Any:
    """Where a YAML error is: where the broken construct started (an unclosed quote, say) when
    the scanner says so, which helps more than where it gave up (often the end of the file)."""
    context = getattr(exc, "context_mark", None)
    if context is not None and type(exc).__name__ == "ScannerError":
        return context
    return getattr(exc, "problem_mark", None) or context


_YAML_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def yaml_position(mark: Any, text: str) -> tuple[int, int]:
    """A YAML mark as (line, column), counting from 1 and within the text: libyaml puts the end
    of a text without a final line break at the start of a line after it, which is not there."""
    breaks = list(_YAML_BREAK.finditer(text))
    if mark.line < len(breaks) + 1:
        return mark.line + 1, mark.column + 1
    return len(breaks) + 1, len(text) - (breaks[-1].end() if breaks else 0) + 1


def yaml_problem(exc: Exception, text: str) -> str:
    """``line 3, column 5: found character '\\t' that cannot start any token``."""
    mark = _error_mark(exc)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        line, column = yaml_position(mark, text)
        lines = text.splitlines()
        where = lines[line - 1] if line <= len(lines) else ""
        tab = " (a tab: YAML indents with spaces only)" if "\t" in where[:column] else ""
        if problem.startswith("mapping values are not allowed"):  # `prompt: Note: what …`
            tab = " (a ': ' inside a text: put the text in quotes, or after > on the next lines)"
        return f"line {line}, column {column}: {problem}{tab}"
    reason = getattr(exc, "reason", None)
    if reason:  # a reader error: a character YAML does not allow
        return f"character {getattr(exc, 'position', '?')}: {reason}"
    return " ".join(str(exc).split())


def zip_bytes(entries: list[tuple[str, bytes]], timestamp: int) -> bytes:
    """A zip archive of ``entries`` (deflated), every entry dated ``timestamp``: the same bytes for
    the same entries on every system (fixed dates and permissions, no extra fields)."""
    import io
    import time
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=time.gmtime(max(timestamp, 315532800))[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return out.getvalue()
