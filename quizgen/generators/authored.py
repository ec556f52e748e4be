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
conditions, derived inputs and the answer's shape); ``authored_check`` beside it checks a
template's fields, naming each wrong one. The inputs of a problem carry the expressions, so the
checker needs nothing else.
"""

from __future__ import annotations

import functools
import math
import random
from typing import Any

from quizgen.core import arrays
from quizgen.core.answer import Answer
from quizgen.core.errors import GenerationError
from quizgen.core.expression import Node, Undefined
from quizgen.core.formula import DOMAINS, describe_symbols
from quizgen.core.params import MAX_DRAWS, ParamSpec
from quizgen.core.render import WHOLE_LIMIT, fmt_scalar, format_matrix, format_vector
from quizgen.core.tensor_expression import read_tensor_expression

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
DRAWS = 10 * MAX_DRAWS
"""Draws tried for one variant. ``quizgen check`` passes a template whose conditions hold on 5 of
its 100 sample draws, which a template usable 1% of the time does by luck once in 300; 2,000
tries then still run out only once in 500 million variants, where 200 ran out once in 7."""
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
    "version": {"type": "integer", "minimum": 1, "maximum": 999_999_999,
                "description": "Bump when the same seed should draw other inputs (at most 9 digits, as a quiz file reads it)."},
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


def deciding(params: dict[str, Any]) -> dict[str, Any]:
    """What of a template decides its problems (the values drawn, the answers, the redraws): not
    its texts (labels, the mistakes' names and reasons) nor its worked steps and examples, so that
    polishing those leaves a quiz already written gradeable."""
    out = {k: v for k, v in params.items() if k not in ("steps", "examples")}
    out["inputs"] = {name: {k: v for k, v in spec.items() if k != "label"} for name, spec in params["inputs"].items()}
    out["mistakes"] = [m["value"] for m in params.get("mistakes", [])]
    return out


def drawn(inputs: dict[str, Any]) -> Any:
    """What a problem drew (its inputs also carry the template's texts and expressions)."""
    return inputs.get("values")


def _decimals(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _scalar(spec: dict[str, Any], rng: random.Random) -> float | int:
    if "values" in spec:
        return _measured(spec["values"][rng.randrange(len(spec["values"]))])
    lo, hi = spec["range"]
    step = spec.get("step", 1)
    k = rng.randint(0, int(math.floor((hi - lo) / step + 1e-9)))
    value = round(lo + k * step, _decimals(step))
    whole = float(value).is_integer() and float(step).is_integer() and float(lo).is_integer()
    return _measured(int(value) if whole else value)


def _measured(value: float | int) -> float | int:
    """A number beyond ``WHOLE_LIMIT`` as a float (5.76e+23 FLOPs, not 24 digits of a count)."""
    return float(value) if abs(value) >= WHOLE_LIMIT else value


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
    return int(r) if float(r).is_integer() and abs(r) < WHOLE_LIMIT else r


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
        except arrays.TooMuchWork as exc:
            exc.path = where
            raise
        except Undefined as exc:
            return None, (where, str(exc))
    if not all(math.isfinite(x) for x in answer[1]):
        return None, (("answer",), "an answer that is not finite")
    return values, ((), "")


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The inputs of one variant: values drawn in order until every condition holds and the answer
    is finite (at most ``DRAWS`` times), with the expressions the checker computes."""
    reason: Refusal = ((), "")
    for _ in range(DRAWS):
        try:
            values, reason = _attempt(params, rng)
        except arrays.TooMuchWork as exc:
            raise GenerationError(str(exc)) from None
        if values is not None:
            return inputs_of(params, values)
    raise GenerationError(f"Expected a usable variant within {DRAWS} draws, but every draw failed: {reason[1]}")


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
# Formula keys (a template with symbols)

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
    return all(float(v).is_integer() and abs(v) < WHOLE_LIMIT for v in options)


_WHOLE_OPS = frozenset({"add", "sub", "mul", "neg", "matmul", "T", "index", "cmp"})
_WHOLE_FUNCTIONS = frozenset({"sum", "prod", "max", "min", "maximum", "minimum", "clamp", "abs", "relu", "dot", "outer", "one_hot"})
_ALWAYS_WHOLE = frozenset({"argmax", "argmin", "all", "any", "floor"})


def _whole_tree(node: Node, integral: set[str]) -> bool:
    """Whether an expression of the ``integral`` inputs is a whole number whatever they are:
    sums, products and the like of whole numbers (clamped between whole bounds), positions
    (``argmax``) and ``floor`` of anything."""
    op = node[0]
    if op == "num":
        return float(node[1]).is_integer()
    if op == "sym":
        return node[1] in integral
    if op == "fn" and node[1] in _ALWAYS_WHOLE:
        return True
    if op == "fn":
        bounds = [v for k, v in node[3] if k in ("min", "max")] if node[1] == "clamp" else []
        return (node[1] in _WHOLE_FUNCTIONS and all(_whole_tree(a, integral) for a in node[2])
                and all(float(v).is_integer() for v in bounds))
    if op == "index":
        return _whole_tree(node[1], integral)
    if op == "cmp":
        return True
    if op == "pow":
        return _whole_tree(node[1], integral) and node[2][0] == "num" and float(node[2][1]).is_integer()
    return op in _WHOLE_OPS and all(_whole_tree(a, integral) for a in node[1:])
