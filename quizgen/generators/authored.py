"""Authored templates: problems whose maths is written in the concept file (docs/authoring.md).

A template with an ``answer`` instead of a ``generator`` is authored. It declares

- ``inputs``: names, in drawing order, each with a learner-facing ``label`` and one of
  ``range`` (``[lo, hi]`` on a grid of ``step``, 1 by default), ``values`` (a list to choose from)
  or ``value`` (an expression of earlier inputs, rounded to ``decimals``); ``shape`` makes a
  vector (``[n]``) or a matrix (``[m, n]``) of such entries, each size a number, a ``[lo, hi]``
  range or the name of an earlier whole-number input;
- ``conditions``: comparisons every usable variant meets (a variant that fails one is drawn
  again, as is one whose answer is not finite);
- ``answer``, ``steps`` (label + value) and ``mistakes`` (name, value, why): expressions in the
  authoring language (``quizgen.core.tensor_expression``), computed by ``checkers.authored`` with
  torch in float64;
- ``examples``: inputs with the answer the author expects, from a source, run by ``quizgen check``;
- ``version``: bump it when a change draws other inputs for the same seed.

This module draws the inputs (plain Python, no torch: ``quizgen.core.arrays`` evaluates the
conditions, derived inputs and the answer's shape) and checks a template's fields, naming each
wrong one. The inputs of a problem carry the expressions, so the checker needs nothing else.
"""

from __future__ import annotations

import functools
import math
import random
from typing import Any

from quizgen.core import arrays
from quizgen.core.answer import Answer
from quizgen.core.errors import AnswerParseError, GenerationError
from quizgen.core.expression import Node, Undefined, Unreadable
from quizgen.core.formula import DOMAINS, describe_symbols, points
from quizgen.core.formula import evaluate as formula_at
from quizgen.core.formula import read as read_formula
from quizgen.core.issues import describe as describe_value
from quizgen.core.params import MAX_DRAWS, ParamSpec
from quizgen.core.render import fmt_scalar, format_matrix, format_vector
from quizgen.core.tensor_expression import FUNCTIONS, names_in, read_tensor_expression

VERSION = 1
PARAMS: dict[str, ParamSpec] = {}
"""An authored template sets no family parameters: its fields are its own (``TEMPLATE_SCHEMA``)."""
INPUT_LABELS: dict[str, str] = {}
"""Each authored template labels its own inputs."""


MAX_INPUTS = 16
MAX_SIZE = 12
"""Largest size of a drawn vector or matrix, in each dimension."""
MAX_INPUT_ENTRIES = 144
MAX_EXPRESSIONS = 12
"""Most conditions, steps, mistakes or examples of one template."""
MAX_WORK = 100_000
"""Most entries computed while drawing one variant (conditions, derived inputs, the answer)."""


_TEXT = {"type": "string", "minLength": 1}
_EXPRESSION = {"type": "string", "minLength": 1, "maxLength": 400, "description": "An expression in the inputs (docs/authoring.md)."}
_NUMBER = {"type": "number"}
_SIZE = {
    "anyOf": [
        {"type": "integer", "minimum": 1, "maximum": MAX_SIZE},
        {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}, "minItems": 2, "maxItems": 2},
        {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
    ],
    "x-expected": f"a size from 1 to {MAX_SIZE}, a [min, max] range of them, or the name of an earlier whole-number input",
}
_LIST = {"type": "array", "maxItems": MAX_EXPRESSIONS}
TEMPLATE_SCHEMA: dict[str, Any] = {
    "inputs": {
        "type": "object",
        "description": "The inputs, in drawing order: each a range, a list of values or an expression of earlier inputs.",
        "minProperties": 1,
        "maxProperties": MAX_INPUTS,
        "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
        "additionalProperties": {
            "type": "object",
            "required": ["label"],
            "additionalProperties": False,
            "properties": {
                "label": {**_TEXT, "description": "What learners read, e.g. 'activations x'."},
                "range": {"type": "array", "items": _NUMBER, "minItems": 2, "maxItems": 2, "description": "[min, max] of a grid of step."},
                "step": {"type": "number", "exclusiveMinimum": 0, "description": "The grid's step (1: whole numbers)."},
                "values": {"type": "array", "items": _NUMBER, "minItems": 1, "maxItems": 100, "description": "Values to choose from."},
                "value": {**_EXPRESSION, "description": "An expression of earlier inputs (a derived input)."},
                "symbol": {"enum": list(DOMAINS), "description": "Not drawn: a symbol of a formula answer, over this domain."},
                "decimals": {"type": "integer", "minimum": 0, "maximum": 8, "description": "Decimals a derived input is rounded to (4)."},
                "shape": {"type": "array", "items": _SIZE, "minItems": 1, "maxItems": 2, "description": "[n] for a vector, [m, n] for a matrix."},
            },
        },
    },
    "conditions": {**_LIST, "items": _EXPRESSION, "description": "Comparisons every variant meets, e.g. sum(mask) >= 1."},
    "answer": {**_EXPRESSION, "description": "The answer, computed by torch in float64."},
    "steps": {**_LIST, "items": {"type": "object", "required": ["label", "value"], "additionalProperties": False,
                                 "properties": {"label": _TEXT, "value": _EXPRESSION}}},
    "mistakes": {**_LIST, "items": {"type": "object", "required": ["name", "value", "why"], "additionalProperties": False,
                                    "properties": {"name": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                                                   "value": _EXPRESSION, "why": _TEXT}}},
    "examples": {**_LIST, "items": {"type": "object", "required": ["inputs", "answer", "source"], "additionalProperties": False,
                                    "properties": {"inputs": {"type": "object"}, "answer": {"type": ["number", "array"]}, "source": _TEXT}}},
    "version": {"type": "integer", "minimum": 1, "description": "Bump when the same seed should draw other inputs."},
}  # fmt: skip
"""The JSON Schema of an authored template's own fields (``quizgen.core.schema`` adds them)."""


# --------------------------------------------------------------------------------------------
# Reading a template's fields


@functools.lru_cache(maxsize=4096)
def parse(text: str, names: tuple[str, ...]) -> Node:
    """The tree of an expression in the input ``names`` (cached: every draw reads the same texts)."""
    return read_tensor_expression(text, dict.fromkeys(names, "input"))


def resolve_params(params: dict[str, Any]) -> dict[str, Any]:
    """The template's own fields, as written: ``check_template`` has vetted them."""
    return params


def version(params: dict[str, Any]) -> int:
    return int(params.get("version", VERSION))


def _decimals(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _scalar(spec: dict[str, Any], rng: random.Random) -> float | int:
    if "values" in spec:
        return spec["values"][rng.randrange(len(spec["values"]))]
    lo, hi = spec["range"]
    step = spec.get("step", 1)
    k = rng.randint(0, int(math.floor((hi - lo) / step + 1e-9)))
    value = round(lo + k * step, _decimals(step))
    return int(value) if float(value).is_integer() and float(step).is_integer() and float(lo).is_integer() else value


def _size(entry: Any, values: dict[str, Any], rng: random.Random) -> int:
    if isinstance(entry, str):
        return int(values[entry])
    if isinstance(entry, list):
        return rng.randint(int(entry[0]), int(entry[1]))
    return int(entry)


def _round(value: Any, decimals: int) -> Any:
    if isinstance(value, list):
        return [_round(v, decimals) for v in value]
    r = round(value, decimals)
    return int(r) if float(r).is_integer() else r


def _draw_input(name: str, spec: dict[str, Any], values: dict[str, Any], names: tuple[str, ...], rng: random.Random) -> Any:
    if "value" in spec:
        result = arrays.nested(arrays.evaluate(parse(spec["value"], names), {n: arrays.array(values[n]) for n in names if n in values}))
        if not all(math.isfinite(x) for x in arrays.array(result)[1]):
            raise Undefined(f"the derived input {name} is not finite")
        return _round(result, int(spec.get("decimals", 4)))
    shape = [_size(e, values, rng) for e in spec.get("shape", [])]
    if len(shape) == 1:
        return [_scalar(spec, rng) for _ in range(shape[0])]
    if len(shape) == 2:
        return [[_scalar(spec, rng) for _ in range(shape[1])] for _ in range(shape[0])]
    return _scalar(spec, rng)


Refusal = tuple[tuple[Any, ...], str]
"""Why a draw is not usable: the field at fault (its path in the template) and what happened."""


def _attempt(spec: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any] | None, Refusal]:
    """One draw: the inputs, or None and why the variant is not usable. Raises
    ``arrays.TooMuchWork`` when the template's expressions cost more than ``MAX_WORK``."""
    symbols = symbols_of(spec["inputs"])
    names = tuple(n for n in spec["inputs"] if n not in symbols)
    values: dict[str, Any] = {}
    where: tuple[Any, ...] = ("inputs",)
    with arrays.budget(MAX_WORK):
        try:
            for name, s in spec["inputs"].items():
                if name not in symbols:
                    where = ("inputs", name, "value")
                    values[name] = _draw_input(name, s, values, names, rng)
            env = {n: arrays.array(v) for n, v in values.items()}
            for index, condition in enumerate(spec.get("conditions", [])):
                where = ("conditions", index)
                held = arrays.evaluate(parse(condition, names), env)
                if not all(x != 0 and not math.isnan(x) for x in held[1]):
                    return None, (where, f"conditions[{index}] ({condition})")
            if symbols:
                return values, ((), "")  # a formula: its value is not a number to check
            where = ("answer",)
            answer = arrays.evaluate(parse(spec["answer"], names), env)
        except arrays.TooMuchWork:
            raise
        except Undefined as exc:
            return None, (where, str(exc))
    if not all(math.isfinite(x) for x in answer[1]):
        return None, (("answer",), "an answer that is not finite")
    return values, ((), "")


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The inputs of one variant: values drawn in order until every condition holds and the answer
    is finite (at most ``MAX_DRAWS`` times), with the expressions the checker computes."""
    reason: Refusal = ((), "")
    for _ in range(MAX_DRAWS):
        try:
            values, reason = _attempt(params, rng)
        except arrays.TooMuchWork as exc:
            raise GenerationError(str(exc)) from None
        if values is not None:
            return inputs_of(params, values)
    raise GenerationError(f"Expected a usable variant within {MAX_DRAWS} draws, but every draw failed: {reason[1]}")


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as a learner reads them, each under its label.

    >>> print(describe({"values": {"p": 0.5, "x": [1, -2]}, "labels": {"p": "drop probability p", "x": "activations x"}}))
    drop probability p = 0.5
    activations x = [1, -2]
    """
    lines = []
    for name, value in inputs["values"].items():
        label = inputs["labels"].get(name, name)
        if isinstance(value, list) and value and isinstance(value[0], list):
            lines.append(format_matrix(label, value))
        elif isinstance(value, list):
            lines.append(format_vector(label, value))
        else:
            lines.append(f"{label} = {fmt_scalar(value)}")
    if inputs.get("symbols"):
        lines.append(describe_symbols(inputs["symbols"], inputs["meanings"]))
    return "\n".join(lines)


def expected(inputs: dict[str, Any]) -> Answer:
    """A number, a vector or a matrix, as the answer's shape is (plain Python, before torch)."""
    names = tuple(inputs["values"])
    env = {n: arrays.array(v) for n, v in inputs["values"].items()}
    shape, _ = arrays.evaluate(parse(inputs["answer"], names), env)
    whole = bool(inputs.get("whole")) and not shape
    if not shape:
        return Answer("number", 0.0, whole)
    if len(shape) == 1:
        return Answer("vector", [0.0] * shape[0], whole)
    return Answer("matrix", [[0.0] * shape[1] for _ in range(shape[0])], whole)


# --------------------------------------------------------------------------------------------
# Checking a template's fields (quizgen check, and every load of a changed file)

Found = tuple[tuple[Any, ...], str, str]
"""An issue: the field's path inside the template, what was expected, what was found."""

_RESERVED = frozenset({"pi", "e", "ln", "True", "False"})
SAMPLE_DRAWS = 100
"""Draws ``check_template`` makes to see that the conditions hold often enough."""
MIN_PASS_RATE = 0.05


def _whole_sizes(spec: dict[str, Any]) -> bool:
    if "shape" in spec or "value" in spec:
        return False
    options = spec["values"] if "values" in spec else list(spec["range"])
    return float(spec.get("step", 1)) == 1 and all(isinstance(v, (int, float)) and float(v).is_integer() and 1 <= v <= MAX_SIZE for v in options)


def _check_inputs(inputs: Any) -> list[Found]:
    found: list[Found] = []
    if not isinstance(inputs, dict) or not inputs:
        return [(("inputs",), "a mapping of input names to how each is drawn", repr(inputs))]
    if len(inputs) > MAX_INPUTS:
        found.append((("inputs",), f"at most {MAX_INPUTS} inputs", f"{len(inputs)}"))
    earlier: list[str] = []
    for name, spec in inputs.items():
        at = ("inputs", name)
        if not isinstance(name, str) or not name.isidentifier() or name in _RESERVED or name.startswith("_"):
            found.append((at, "an input name made of letters, digits and _ (not pi, e, True or False)", repr(name)))
            continue
        if name in FUNCTIONS:
            found.append((at, "a name that is not a function of the authoring language", repr(name)))
        if not isinstance(spec, dict):
            continue  # the schema says so
        ways = [k for k in ("range", "values", "value", "symbol") if k in spec]
        if len(ways) != 1:
            found.append((at, "exactly one of range, values, value or symbol", ", ".join(ways) or "none"))
            continue
        if "symbol" in spec:
            if "shape" in spec:
                found.append(((*at, "shape"), "no shape: a symbol stands for one number", repr(spec["shape"])))
            continue  # not drawn, so never an earlier input of another
        if "range" in spec:
            lo, hi = spec["range"]
            step = spec.get("step", 1)
            if lo > hi:
                found.append(((*at, "range"), "[min, max] with min <= max", f"[{lo}, {hi}]"))
            elif (hi - lo) / step > 1e6:
                found.append(((*at, "step"), "a step that leaves at most a million values in the range", f"{step}"))
        if "value" in spec:
            try:
                tree = parse(spec["value"], tuple(n for n in inputs if n not in symbols_of(inputs)))
                later = sorted(names_in(tree) - set(earlier))
                if later:
                    found.append(((*at, "value"), "an expression of inputs drawn before it", f"{', '.join(later)}, drawn later or itself"))
            except Unreadable as exc:
                found.append(((*at, "value"), "an expression of the earlier inputs", str(exc)))
        entries = 1
        for k, size in enumerate(spec.get("shape", [])):
            where = (*at, "shape", k)
            if isinstance(size, str):
                ok = size in earlier and isinstance(inputs[size], dict) and _whole_sizes(inputs[size])
                if not ok:
                    found.append((where, f"a size: a number, a [min, max] range or an earlier input drawn from whole numbers 1 to {MAX_SIZE}", repr(size)))
                top = MAX_SIZE
            else:
                top = max(size) if isinstance(size, list) else size
                if isinstance(size, list) and size[0] > size[1]:
                    found.append((where, "[min, max] with min <= max", repr(size)))
            entries *= top
        if entries > MAX_INPUT_ENTRIES:
            found.append(((*at, "shape"), f"at most {MAX_INPUT_ENTRIES} entries", f"up to {entries}"))
        earlier.append(name)
    return found


_FORMULA_NODES = frozenset({"num", "sym", "const", "neg", "add", "sub", "mul", "div", "pow", "call"})


_ANSWER_FUNCTIONS = frozenset({"sqrt", "exp", "log", "sin", "cos", "abs"})


def _as_formula(node: Node) -> Node | None:
    """The tree as a formula is typed (``exp(x)`` a one-argument call), or None when it uses what a
    typed formula cannot: tensor functions, keywords, ``@``, indexing, comparisons."""
    op = node[0]
    if op == "fn":
        if node[1] not in _ANSWER_FUNCTIONS or len(node[2]) != 1 or node[3]:
            return None
        arg = _as_formula(node[2][0])
        return None if arg is None else ("call", node[1], arg)
    if op not in _FORMULA_NODES:
        return None
    parts = [_as_formula(p) if isinstance(p, tuple) else p for p in node[1:]]
    return None if any(p is None for p in parts) else (op, *parts)


def _tidy_signs(node: Node) -> Node:
    """Signs folded where a drawn negative number was put in: a - (-b) is a + b, a + (-b) is
    a - b, -(-b) is b, and (-a)*b, (-a)/b are -(a*b), -(a/b)."""
    if not isinstance(node, tuple) or node[0] in ("num", "sym", "const"):
        return node
    node = (node[0], *(_tidy_signs(p) if isinstance(p, tuple) else p for p in node[1:]))
    op = node[0]
    if op == "neg" and node[1][0] == "neg":
        return node[1][1]
    if op in ("add", "sub") and node[2][0] == "neg":
        return ("sub" if op == "add" else "add", node[1], node[2][1])
    if op in ("mul", "div") and node[1][0] == "neg":
        return _tidy_signs(("neg", (op, node[1][1], node[2])))
    if op in ("mul", "div") and node[2][0] == "neg":
        return _tidy_signs(("neg", (op, node[1], node[2][1])))
    return node


def formula_text(text: str, values: dict[str, Any], names: tuple[str, ...]) -> str:
    """A formula expression with the drawn values put in for their names, written out: the key
    (or a mistake) of a template with symbols.

    >>> formula_text("h*4*d^2", {"h": 3}, ("h", "d")), formula_text("(z - v)/(N*T^2)", {"z": 2, "v": -1, "N": 3}, ("z", "v", "N", "T"))
    ('3*4*d^2', '(2 + 1)/(3*T^2)')
    >>> formula_text("-d*exp(-T)", {"d": -2}, ("d", "T"))
    '2*exp(-T)'
    """
    from quizgen.core.expression import text as written

    def put(node: Node) -> Node:
        if node[0] == "sym" and node[1] in values:
            v = values[node[1]]
            if not isinstance(v, (int, float)):
                raise Undefined(f"{node[1]} is a vector or a matrix, and a formula takes numbers")
            return ("num", repr(v)) if v >= 0 else ("neg", ("num", repr(-v)))
        return (node[0], *(put(p) if isinstance(p, tuple) and p and isinstance(p[0], str) else p for p in node[1:]))

    tree = _as_formula(parse(text, names))
    if tree is None:
        raise Undefined("a formula uses numbers, inputs, + - * / ^ and sqrt, exp, log, sin, cos, abs")
    return written(_tidy_signs(put(tree)))


def _check_expressions(tpl: dict[str, Any], names: tuple[str, ...]) -> list[Found]:
    found: list[Found] = []
    symbols = symbols_of(tpl["inputs"])
    drawn = tuple(n for n in names if n not in symbols)

    def read(path: tuple[Any, ...], text: Any, comparison: bool | None) -> None:
        try:
            tree = parse(text, drawn if comparison else names)
        except Unreadable as exc:
            symbol = next((n for n in symbols if comparison and str(exc).startswith(f"'{n}' is neither")), None)
            if symbol is not None:
                found.append((path, "a condition on the drawn inputs", f"{symbol}, a symbol: it is not drawn, so no condition can hold it"))
            else:
                found.append((path, "an expression in the inputs (docs/authoring.md)", str(exc)))
            return
        if symbols and not comparison and _as_formula(tree) is None:
            found.append((path, "a formula in the symbols: numbers, inputs, + - * / ^ and sqrt, exp, log, sin, cos, abs", text))
        if comparison and tree[0] != "cmp":
            found.append((path, "a comparison, as in sum(mask) >= 1", text))
        if comparison is False and tree[0] == "cmp":
            found.append((path, "a value, not a comparison", text))

    read(("answer",), tpl.get("answer"), False)
    for key, field, comparison in (("conditions", None, True), ("steps", "value", False), ("mistakes", "value", False)):
        items = tpl.get(key) or []
        if len(items) > MAX_EXPRESSIONS:
            found.append(((key,), f"at most {MAX_EXPRESSIONS}", f"{len(items)}"))
            continue
        for i, item in enumerate(items):
            if field is None:
                read((key, i), item, comparison)
            elif isinstance(item, dict):
                read((key, i, field), item.get(field), comparison)
    seen: set[str] = set()
    for i, m in enumerate(tpl.get("mistakes") or []):
        if isinstance(m, dict) and m.get("name") in seen:
            found.append((("mistakes", i, "name"), "a name no other mistake of this template has", repr(m.get("name"))))
        seen.add(str(m.get("name")) if isinstance(m, dict) else "")
    return found


def _draws(tpl: dict[str, Any]) -> tuple[dict[Refusal, int], list[dict[str, Any]]]:
    """Of ``SAMPLE_DRAWS`` draws (seeded, the same every time): why the unusable ones are not
    usable (refusal -> count), and the usable ones' inputs."""
    rng = random.Random(0)
    reasons, kept = dict[Refusal, int](), []
    for _ in range(SAMPLE_DRAWS):
        values, reason = _attempt(tpl, rng)
        if values is None:
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            kept.append(values)
    return reasons, kept


def usable(tpl: dict[str, Any]) -> tuple[int, dict[Refusal, int], dict[str, Any] | None]:
    """Of ``SAMPLE_DRAWS`` draws (seeded, the same every time): how many are usable, why the others
    are not (refusal -> count), and the first usable one's inputs. ``quizgen check`` reports it."""
    reasons, kept = _draws(tpl)
    return len(kept), reasons, kept[0] if kept else None


MAX_SAME_AS_ANSWER = 0.25
"""The largest share of usable draws where a mistake may equal the answer (the builder draws
those again, as it does for every family's templates)."""


def _sample(tpl: dict[str, Any], names: tuple[str, ...]) -> list[Found]:
    """Draw ``SAMPLE_DRAWS`` variants: the conditions must hold often enough, and on every usable
    draw each step must have a finite value and each mistake a value of the answer's shape, which
    equals the answer in few of them."""
    from quizgen.core.answer import Tolerance, close

    try:
        reasons, kept = _draws(tpl)
    except arrays.TooMuchWork as exc:
        return [(("answer",), f"expressions that compute at most {MAX_WORK} entries for one variant", str(exc))]
    if not kept or len(kept) < MIN_PASS_RATE * SAMPLE_DRAWS:
        at, why = max(reasons, key=lambda r: reasons[r])
        return [(at or ("answer",), f"a template whose variants are usable in at least {MIN_PASS_RATE:.0%} of draws",
                 f"{len(kept)} of {SAMPLE_DRAWS} usable; most often refused: {why}")]  # fmt: skip
    symbols = symbols_of(tpl["inputs"])
    if symbols:
        return _sample_formulas(tpl, names, kept, symbols)
    tol = tpl.get("tolerance") or {}
    tolerance = Tolerance(rel=float(tol.get("rel", Tolerance().rel)), abs=float(tol.get("abs", Tolerance().abs)))
    problems: dict[tuple[Any, ...], tuple[str, str, int]] = {}  # path -> (expected, the first found, draws)
    same: dict[int, int] = {}
    for values in kept:
        env = {n: arrays.array(v) for n, v in values.items()}
        answer = arrays.evaluate(parse(tpl["answer"], names), env)
        kind = ("number", "vector", "matrix")[len(answer[0])]
        for key in ("steps", "mistakes"):
            for i, item in enumerate(tpl.get(key) or []):
                path = (key, i, "value")
                try:
                    got = arrays.evaluate(parse(item["value"], names), env)
                except Undefined as exc:
                    expected, found = "an expression with a value for every usable draw", str(exc)
                else:
                    if key == "steps" and all(math.isfinite(x) for x in got[1]):
                        continue
                    if key == "mistakes" and got[0] == answer[0]:
                        if close(kind, arrays.nested(answer), arrays.nested(got), tolerance):
                            same[i] = same.get(i, 0) + 1
                        continue
                    if key == "steps":
                        expected, found = "a finite value for every usable draw", f"{arrays.nested(got)} for {_shown(values)}"
                    else:
                        expected, found = f"a value of the answer's shape {list(answer[0])}", f"shape {list(got[0])} for {_shown(values)}"
                first = problems.get(path)
                problems[path] = (expected, found, 1) if first is None else (first[0], first[1], first[2] + 1)
    found_issues = [(path, expected, f"{found} (on {n} of {len(kept)} usable draws)") for path, (expected, found, n) in problems.items()]
    for i, n in same.items():
        if n > MAX_SAME_AS_ANSWER * len(kept):
            found_issues.append((("mistakes", i, "value"), "a mistake whose value differs from the answer in most variants",
                                 f"the answer's value on {n} of {len(kept)} usable draws"))
    return found_issues


def _shown(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())[:120]


def _sample_formulas(tpl: dict[str, Any], names: tuple[str, ...], kept: list[dict[str, Any]], symbols: dict[str, str]) -> list[Found]:
    """Each formula of a drawn variant, read back as answers are read, has a value somewhere; a
    mistake's formula is not the answer's in most of them (the same values at every sample point)."""
    found: dict[tuple[Any, ...], Found] = {}
    where = [(("answer",), tpl["answer"])] + [((key, i, "value"), item["value"]) for key in ("steps", "mistakes") for i, item in enumerate(tpl.get(key) or [])]
    same: dict[tuple[Any, ...], int] = {}
    for values in kept:
        at: dict[tuple[Any, ...], list[float]] = {}
        for path, text in where:
            if path in found:
                continue
            try:
                tree = read_formula(formula_text(text, values, names), symbols)
            except (Undefined, AnswerParseError) as exc:
                found[path] = (path, "a formula in the symbols once the drawn numbers are put in", str(exc))
                continue
            at[path] = [formula_at(tree, p) for p in points(symbols)]
            if not any(math.isfinite(v) for v in at[path]):
                found[path] = (path, "a formula with a value somewhere in its symbols' domains", f"none at the {len(points(symbols))} sample points")
        key = at.get(("answer",))
        for path, vals in at.items():
            if path[0] == "mistakes" and key is not None and all(
                    math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(key, vals) if math.isfinite(a) or math.isfinite(b)):
                same[path] = same.get(path, 0) + 1
    for path, n in same.items():
        if path not in found and n > MAX_SAME_AS_ANSWER * len(kept):
            found[path] = (path, "a mistake whose formula differs from the answer's in most variants",
                           f"the answer's formula on {n} of {len(kept)} usable draws")
    return list(found.values())


def example_values(tpl: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """An example's drawn inputs with the derived ones computed, in drawing order (symbols, which
    are not drawn, are left out)."""
    symbols = symbols_of(tpl["inputs"])
    names = tuple(n for n in tpl["inputs"] if n not in symbols)
    values: dict[str, Any] = {}
    for name, spec in tpl["inputs"].items():
        if name not in symbols:
            values[name] = _draw_input(name, spec, values, names, random.Random(0)) if "value" in spec else given[name]
    return values


def inputs_of(tpl: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A problem's inputs: the values, with the labels and expressions the checker reads, and
    whether the answer is a whole number in every variant (``whole``); a template with symbols
    also names them (``symbols``, and what each means), and its answer is a formula in them."""
    symbols = symbols_of(tpl["inputs"])
    out: dict[str, Any] = {
        "values": values,
        "labels": {name: s.get("label", name) for name, s in tpl["inputs"].items() if name not in symbols},
        "answer": tpl["answer"],
        "steps": [dict(s) for s in tpl.get("steps", [])],
        "mistakes": [dict(m) for m in tpl.get("mistakes", [])],
    }
    if symbols:
        out["symbols"] = symbols
        out["meanings"] = {name: tpl["inputs"][name].get("label", name) for name in symbols}
    else:
        out["whole"] = _whole_tree(parse(tpl["answer"], tuple(tpl["inputs"])), {n for n, s in tpl["inputs"].items() if _integral(s)})
    return out


def symbols_of(inputs: dict[str, Any]) -> dict[str, str]:
    """The template's symbols (inputs that are not drawn): name -> domain."""
    return {n: s["symbol"] for n, s in inputs.items() if isinstance(s, dict) and "symbol" in s}


def _integral(spec: dict[str, Any]) -> bool:
    """Whether an input is drawn from whole numbers only."""
    if "value" in spec:
        return False
    options = spec["values"] if "values" in spec else [*spec["range"], spec.get("step", 1)]
    return all(float(v).is_integer() for v in options)


_WHOLE_OPS = frozenset({"add", "sub", "mul", "neg", "matmul", "T", "index", "cmp"})
_WHOLE_FUNCTIONS = frozenset({"sum", "max", "min", "abs", "relu", "dot", "outer", "argmax", "argmin", "one_hot", "all", "any"})


def _whole_tree(node: Node, integral: set[str]) -> bool:
    """Whether an expression of the ``integral`` inputs is a whole number whatever they are:
    sums, products and the like of whole numbers, and positions (``argmax``)."""
    op = node[0]
    if op == "num":
        return float(node[1]).is_integer()
    if op == "sym":
        return node[1] in integral
    if op == "fn" and node[1] in ("argmax", "argmin", "all", "any"):
        return True
    if op == "fn":
        return node[1] in _WHOLE_FUNCTIONS and all(_whole_tree(a, integral) for a in node[2])
    if op == "index":
        return _whole_tree(node[1], integral)
    if op == "cmp":
        return True
    if op == "pow":
        return _whole_tree(node[1], integral) and node[2][0] == "num" and float(node[2][1]).is_integer()
    return op in _WHOLE_OPS and all(_whole_tree(a, integral) for a in node[1:])


def check_template(tpl: dict[str, Any]) -> list[Found]:
    """Every problem with an authored template's fields, each with its path in the template."""
    found = _check_inputs(tpl.get("inputs"))
    if found:
        return found
    names = tuple(tpl["inputs"])
    found = _check_expressions(tpl, names)
    for i, example in enumerate(tpl.get("examples") or []):
        given = example.get("inputs") if isinstance(example, dict) else None
        if isinstance(given, dict):
            drawn = [n for n, s in tpl["inputs"].items() if "value" not in s]
            missing = [n for n in drawn if n not in given]
            extra = [n for n in given if n not in drawn]
            if missing or extra:
                found.append((("examples", i, "inputs"), f"a value for each drawn input ({', '.join(drawn)})",
                              f"missing {', '.join(missing) or 'none'}; unknown {', '.join(extra) or 'none'}"))  # fmt: skip
            for name in (n for n in drawn if n in given):
                rank = len(tpl["inputs"][name].get("shape", []))
                if not _fits(given[name], rank):
                    what = ("a number", "a list of numbers", "a list of rows of numbers")[rank]
                    found.append((("examples", i, "inputs", name), f"{what}, each size at most {MAX_SIZE}", describe_value(given[name])))
    return found or _sample(tpl, names)


def _fits(value: Any, rank: int) -> bool:
    """Whether an example's value has the rank its input is drawn with, and sizes a draw can have."""
    if rank == 0:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SIZE:
        return False
    return all(_fits(v, rank - 1) for v in value) and (rank == 1 or len({len(row) for row in value}) == 1)

