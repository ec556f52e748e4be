"""The JSON Schema of a concept file, built from the generator registry.

The published copy lives at ``quizgen/schema/concept.schema.json`` (editors validate against it as
people type; every concept file points to it on its first line). ``quizgen schema`` prints the
schema built from the registry, and a test keeps the published copy equal to it.

Each schema node that can fail in more than one way carries ``x-expected``: the human wording of
what is expected, used by ``quizgen check`` in its messages.
"""

from __future__ import annotations

from typing import Any

from quizgen.core.params import Choice, Flag, FloatRange, IntRange, ParamSpec

SCHEMA_ID = "https://quizgen.invalid/schema/concept.schema.json"
MAX_TEMPLATES = 50
"""The most problem templates one concept file holds (checking one takes up to a second or two:
a file of 1,000 took minutes before a command could start)."""

SLUG = "^[a-z0-9]+(-[a-z0-9]+)*$"
FLASHCARD_ID_MAX = 40
"""Longest flashcard id: a short name, not a sentence."""


def _bounds_text(spec: IntRange | FloatRange) -> str:
    parts = []
    if isinstance(spec, FloatRange) and spec.exclusive_minimum is not None:
        parts.append(f"> {spec.exclusive_minimum:g}")
    if spec.minimum is not None:
        parts.append(f">= {spec.minimum:g}")
    if spec.maximum is not None:
        parts.append(f"<= {spec.maximum:g}")
    return " and ".join(parts)


def param_schema(spec: ParamSpec) -> dict[str, Any]:
    """The schema of one generator parameter."""
    if isinstance(spec, Flag):
        return {"type": "boolean", "description": spec.doc, "default": spec.default}
    if isinstance(spec, Choice):
        one = {"type": "string", "enum": list(spec.options)}
        return {
            "description": spec.doc,
            "anyOf": [one, {"type": "array", "items": one, "minItems": 1, "uniqueItems": True}],
            "x-expected": "one of " + ", ".join(repr(o) for o in spec.options) + ", or a list of them",
            "default": list(spec.default),
        }
    kind = "integer" if isinstance(spec, IntRange) else "number"
    item: dict[str, Any] = {"type": kind}
    if spec.minimum is not None:
        item["minimum"] = spec.minimum
    if spec.maximum is not None:
        item["maximum"] = spec.maximum
    if isinstance(spec, FloatRange) and spec.exclusive_minimum is not None:
        item["exclusiveMinimum"] = spec.exclusive_minimum
    noun = "a whole number" if kind == "integer" else "a number"
    bounds = _bounds_text(spec)
    expected = f"{noun}{' ' + bounds if bounds else ''}, or a [min, max] pair of them"
    return {
        "description": spec.doc,
        "anyOf": [item, {"type": "array", "items": item, "minItems": 2, "maxItems": 2}],
        "x-expected": expected,
        "default": list(spec.default),
    }


def concept_schema() -> dict[str, Any]:
    """The whole concept-file schema (JSON Schema draft 2020-12)."""
    from quizgen.generators import GENERATORS

    families = sorted(f for f in GENERATORS if f != "authored")
    authored: dict[str, Any] = GENERATORS["authored"].TEMPLATE_SCHEMA
    # A template names a family and its params, or carries its own maths (docs/authoring.md).
    branches: list[dict[str, Any]] = [{"if": {"not": {"required": ["answer"]}}, "then": {"required": ["generator"]}}]
    for family in families:
        specs: dict[str, ParamSpec] = GENERATORS[family].PARAMS
        branches.append(
            {
                "if": {"properties": {"generator": {"const": family}}, "required": ["generator"]},
                "then": {
                    "properties": {
                        "params": {
                            "type": "object",
                            "properties": {name: param_schema(s) for name, s in specs.items()},
                            "additionalProperties": False,
                        }
                    }
                },
            }
        )
    text = {"type": "string", "minLength": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "quizgen concept file",
        "description": "A concept: flashcards and problem templates. See docs/concepts.md.",
        "type": "object",
        "required": ["id", "title", "tags", "summary", "sources", "flashcards", "problems"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": SLUG, "description": "Equals the file stem."},
            "title": text,
            "tags": {"type": "array", "items": {"type": "string", "pattern": SLUG}, "minItems": 1},
            "summary": text,
            "deck": {"type": "string", "minLength": 1, "description": "Anki deck path, e.g. Transformers::Attention"},
            "sources": {
                "type": "array",
                "items": text,
                "minItems": 1,
                "description": "The notes the concept's facts come from, by title; cards show them.",
            },
            "flashcards": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "front", "back"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {
                            "type": "string",
                            "pattern": SLUG,
                            "maxLength": FLASHCARD_ID_MAX,
                            "description": "The card's identity, unique in the file; never changes (its review "
                            "history hangs on it). Lower-case words joined by '-'.",
                        },
                        "front": text,
                        "back": text,
                        "extra": {"type": "string"},
                        "sources": {
                            "type": "array",
                            "items": text,
                            "minItems": 1,
                            "description": "The notes this card's facts come from, by title, when not the concept's sources.",
                        },
                        "legacy-position": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Only on cards older than flashcard ids: the card's place in the "
                            "file then (0 first); it keeps the card's existing Anki note. Never edit it; new "
                            "cards have none.",
                        },
                    },
                },
            },
            "problems": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_TEMPLATES,
                "description": f"The concept's problem templates, at most {MAX_TEMPLATES}: each is checked by drawing "
                "variants, and more belong in concept files of their own.",
                "items": {
                    "type": "object",
                    "required": ["name", "prompt"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "pattern": SLUG},
                        "generator": {"type": "string", "enum": families},
                        "difficulty": {"type": "integer", "minimum": 1, "maximum": 5},
                        "params": {"type": "object"},
                        **authored,
                        "prompt": text,
                        "tolerance": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                # Above a tenth, "within 10%" no longer tells a key from its mistakes.
                                "rel": {"type": "number", "minimum": 0, "maximum": 0.1},
                                "abs": {"type": "number", "minimum": 0},
                            },
                        },
                    },
                    "allOf": branches,
                },
            },
        },
    }
