"""Problems found in concept files, with file, line and field: the messages ``quizgen check`` prints.

``schema_issues`` turns JSON Schema errors into sentences an author can act on (``expected …,
found …``, with a suggestion for a misspelt name); ``quizgen.core.concepts`` adds the checks a
schema cannot express.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PathKey = tuple[Any, ...]

_YAML_TEXT_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+")
"""A number YAML 1.1 reads as text: ``1e-5`` (it wants ``1.0e-5``)."""


@dataclass(frozen=True)
class Issue:
    """One problem found in a concept file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


def field_name(path: Iterable[Any]) -> str:
    """``("problems", 1, "params", "tau")`` -> ``problems[1].params.tau``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def line_of(lines: dict[PathKey, int], path: PathKey) -> int:
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        digits = str(abs(value))
        if len(digits) > 20:  # a pasted or generated giant: its size is what matters
            return f"{'-' if value < 0 else ''}{digits[:6]}… (a whole number of {len(digits)} digits)"
        return f"{value} (a whole number)"
    if isinstance(value, float):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{shown!r} (text)"
    if isinstance(value, list):
        if 0 < len(value) <= 4 and all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in value):
            # Short lists of plain values (a [min, max] pair) are shown as they are, so the
            # offending entry can be seen: "found [-0.5, 1.0]".
            shown = "[" + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in value) + "]"
            if len(shown) <= 60:
                return shown
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
}


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_REQUIRED_WORDS = {
    (("flashcards",), "id"): "a short id naming the card, unique in the file, such as 'why-scale' (docs/concepts.md)",
    (("problems",), "generator"): "a built-in family, or an answer: that makes this an authored template (docs/authoring.md)",
}
"""What a missing field should hold, where "it" says too little."""


def schema_issue(error: Any, file: str, lines: dict[PathKey, int]) -> list[Issue]:
    """Turn one jsonschema error into messages a concept author can act on."""
    path = tuple(error.absolute_path)
    if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
        path += (error.instance,)  # a bad name: point at its own line, not its mapping's
    schema = error.schema if isinstance(error.schema, dict) else {}
    v = error.validator
    found = describe(error.instance)
    if v == "required":
        missing = [m for m in schema.get("required", []) if m not in (error.instance or {})]
        return [
            Issue(file, line_of(lines, path), field_name(path + (m,)), f"missing field: expected {_REQUIRED_WORDS.get((path[:1], m), 'it')}, found nothing")
            for m in missing
        ]
    if v == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return [
            Issue(
                file,
                line_of(lines, path + (k,)),
                field_name(path + (k,)),
                f"unknown field{_suggest(str(k), allowed)}; expected one of {', '.join(allowed)}",
            )
            for k in extra
        ]
    if v in ("anyOf", "oneOf") and "x-expected" in schema:
        options = schema["anyOf"][0].get("enum", []) if schema.get("anyOf") else []
        hint = _suggest(error.instance, options) if isinstance(error.instance, str) and options else ""
        return [
            Issue(file, line_of(lines, path), field_name(path), f"expected {schema['x-expected']}, found {found}{hint}")
        ]
    if v == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        want = " or ".join(_TYPE_WORDS.get(t, str(t)) for t in types)
        hint = ""
        if {"number", "integer"} & set(types) and isinstance(error.instance, str) and _YAML_TEXT_NUMBER.fullmatch(error.instance.strip()):
            mantissa, _, exponent = error.instance.strip().lower().partition("e")
            written = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent if exponent[0] in '+-' else '+' + exponent}"
            hint = f" (YAML reads a number in e-notation as text unless it has a decimal point and a signed exponent: write {written})"
        return [Issue(file, line_of(lines, path), field_name(path), f"expected {want}, found {found}{hint}")]
    if v == "enum":
        options = [str(o) for o in error.validator_value]
        hint = _suggest(str(error.instance), options) if isinstance(error.instance, str) else ""
        what = "a generator" if path and path[-1] == "generator" else "one of"
        return [
            Issue(
                file,
                line_of(lines, path),
                field_name(path),
                f"expected {what} {', '.join(options) if what == 'one of' else '(' + ', '.join(options) + ')'}, "
                f"found {found}{hint}",
            )
        ]
    words = {
        "pattern": "expected lower-case words joined by '-' (like 'scaled-dot-product')"
        if str(error.validator_value).startswith("^[a-z0-9]")
        else "expected a name of ASCII letters, digits and _, starting with a letter",
        "minimum": "expected a value >= {}",
        "maximum": "expected a value <= {}",
        "exclusiveMinimum": "expected a value > {}",
        "exclusiveMaximum": "expected a value < {}",
        "minItems": "expected at least {} item(s)",
        "maxItems": "expected at most {} items",
        "maxProperties": "expected at most {} fields",
        "minProperties": "expected at least {} field(s)",
        "minLength": "expected non-empty text",
        "maxLength": "expected at most {} characters",
        "uniqueItems": "expected no repeated items",
    }.get(v)
    if words is not None:
        if v in ("maxProperties", "minProperties") and isinstance(error.instance, dict):
            found = str(len(error.instance))
        limit = error.validator_value
        if isinstance(limit, float) and limit.is_integer():  # 1e15, not 1000000000000000.0
            limit = f"{limit:g}" if abs(limit) >= 1e6 else int(limit)
        message = f"{words.format(limit)}, found {found}"
        return [Issue(file, line_of(lines, path), field_name(path), message)]
    return [Issue(file, line_of(lines, path), field_name(path), error.message)]


def leaf_errors(errors: Iterable[Any]) -> list[Any]:
    """Keep the most specific errors: descend into anyOf/allOf/if-then unless x-expected words it."""
    out: list[Any] = []
    for error in errors:
        schema = error.schema if isinstance(error.schema, dict) else {}
        if error.validator in ("anyOf", "oneOf") and "x-expected" in schema:
            out.append(error)
        elif error.context:
            out.extend(leaf_errors(error.context))
        else:
            out.append(error)
    return out
