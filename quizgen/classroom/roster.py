"""Rosters: the students of a class, read from a CSV file (an id column, optionally a name)."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from quizgen.classroom.quiz import ROSTER_MAX_BYTES, STUDENT_ID
from quizgen.core.errors import QuizgenError
from quizgen.core.files import column_name, csv_rows, read_text_file


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""


_ID_COLUMNS = ("id", "student_id", "student", "sid")
WINDOWS_DEVICES = frozenset(["con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))])
"""Names Windows keeps for devices, with any extension (``con.txt`` is the console too)."""
_NAME_COLUMNS = ("name", "student_name", "full_name")
CLASS_STEM = "class"
"""The stem of the class's own files beside the students' (``class.worksheets.html``,
``class.key.html``): no student id may be it."""


def read_roster(path: str | Path) -> list[Student]:
    """Students from a CSV file with a header row: an id column (``id``, ``student_id``, ``student``
    or ``sid``) and optionally a name column (``name``).

    Raises:
        QuizgenError: Missing id column, an id that cannot be a file name, a duplicate id (also
            one equal but for case), or no students, with the line.
    """
    text = read_text_file(path, ROSTER_MAX_BYTES, "roster")
    try:
        reader = csv_rows(text)
        # There is a row (read_text_file refuses an empty file); blank lines above the header are skipped.
        header: list[str] = next((row for row in reader if any(cell.strip() for cell in row)), [])
    except csv.Error as exc:
        raise QuizgenError(f"{path}: not a CSV file: {exc}") from None
    columns = [column_name(h) for h in header]
    # Two columns that could hold the ids (id,id or sid,Name,id): which one is meant is a guess.
    for names, what in ((_ID_COLUMNS, "id"), (_NAME_COLUMNS, "name")):
        found = [header[i].strip() for i, c in enumerate(columns) if c in names]
        if len(found) > 1:
            raise QuizgenError(f"{path}: line {reader.line_num}: {len(found)} {what} columns ({', '.join(found)}); keep one, so that "
                               f"no student is read from the wrong column")
    id_col = next((columns.index(c) for c in _ID_COLUMNS if c in columns), None)
    if id_col is None:
        raise QuizgenError(
            f"{path}: line {max(reader.line_num, 1)}: the roster needs a header row with an id column ({', '.join(_ID_COLUMNS)}; "
            f"found {', '.join(header) or 'nothing'}); e.g. 'id,name' then 's001,Student One'"
        )
    name_col = next((columns.index(c) for c in _NAME_COLUMNS if c in columns), None)
    students: list[Student] = []
    seen: dict[str, tuple[str, int]] = {}  # casefolded id -> (the id, its line)
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            sid = row[id_col].strip() if id_col < len(row) else ""
            if not STUDENT_ID.match(sid):
                raise QuizgenError(
                    f"{path}: line {line}: student id {sid!r} must be 1-64 letters, digits, '.', '_' or '-' "
                    "(it becomes a file name), starting with a letter or digit"
                )
            if sid.split(".")[0].lower() in WINDOWS_DEVICES or sid.endswith("."):
                raise QuizgenError(
                    f"{path}: line {line}: student id {sid!r} cannot be a file name on Windows "
                    "(a device name such as con or nul, or a final '.'): choose another id"
                )
            if sid.casefold() == CLASS_STEM:
                raise QuizgenError(
                    f"{path}: line {line}: student id {sid!r} would share its files with the class's "
                    f"({CLASS_STEM}.key.html, {CLASS_STEM}.worksheets.html): choose another id"
                )
            # Ids equal but for case (s001, S001) would share their files on a file system that
            # ignores case (macOS, Windows): one student's quiz would replace the other's.
            folded = sid.casefold()
            if folded in seen:
                first, at = seen[folded]
                same = "already appears" if first == sid else f"differs only in case from {first!r}, which appears"
                raise QuizgenError(
                    f"{path}: line {line}: student id {sid!r} {same} on line {at}"
                    + ("" if first == sid else "; ids become file names, and many file systems ignore case: make them differ")
                )
            seen[folded] = (sid, line)
            name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
            if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name):
                raise QuizgenError(
                    f"{path}: line {line}: the name of {sid!r} holds a control character ({_first_control(name)}); "
                    "names are printed on worksheets and written into answer sheets: remove it"
                )
            students.append(Student(sid, name))
    except csv.Error as exc:
        raise QuizgenError(f"{path}: line {reader.line_num}: not valid CSV: {exc}") from None
    if not students:
        raise QuizgenError(f"{path}: the roster lists no students")
    return students


def _first_control(text: str) -> str:
    return next(f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs"))
