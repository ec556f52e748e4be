"""Checker for authored templates: the answer, worked steps and named mistakes a concept file
writes as expressions, computed with torch in float64.

Every function of the authoring language is the torch function of that name
(``quizgen.core.tensor_expression.FUNCTIONS`` lists them with torch's own name), every operator
torch's operator (``*`` elementwise with broadcasting, ``@`` ``torch.matmul``, ``^``
``torch.pow``), so the answer is what PyTorch computes for these inputs. Indices and class
targets are read as whole numbers (``long``), as torch needs them; ``argmax`` and ``argmin`` come
back as float64 so that they can take part in arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F

from quizgen.core.answer import Misconception, Solution, Step
from quizgen.core.expression import CONSTANTS, Node, Undefined
from quizgen.generators.authored import parse

_F64 = torch.float64
MAX_ELEMENTS = 10_000
"""Most entries of any tensor an authored expression builds (the same cap as the drawing's)."""


def _whole(t: torch.Tensor, what: str) -> torch.Tensor:
    if not bool(torch.all(t == torch.round(t))):
        raise Undefined(f"{what} must be whole numbers")
    return t.long()


def _index(t: torch.Tensor, indices: list[torch.Tensor]) -> torch.Tensor:
    if len(indices) > t.dim():
        raise Undefined(f"{len(indices)} indices for a value of shape {list(t.shape)}")
    picks = []
    for size, index in zip(t.shape, indices):
        if index.dim():
            raise Undefined("an index is one whole number")
        i = int(_whole(index, "an index"))
        if not -size <= i < size:
            raise Undefined(f"index {i} is out of range for a dimension of size {size}")
        picks.append(i)
    return t[tuple(picks)]


def _reduce(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def reduce(x: torch.Tensor, dim: int | None = None, keepdim: int = 0, **kw: Any) -> torch.Tensor:
        if dim is None:
            out = fn(x, **kw)
            return out.reshape([1] * x.dim()) if keepdim else out
        if not -max(x.dim(), 1) <= dim < max(x.dim(), 1):
            raise Undefined(f"dim={dim} does not exist for a value of shape {list(x.shape)}")
        return fn(x, dim=dim, keepdim=bool(keepdim), **kw)

    return reduce


def _arg(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def arg(x: torch.Tensor, dim: int | None = None, keepdim: int = 0) -> torch.Tensor:
        out = fn(x) if dim is None else fn(x, dim=dim, keepdim=bool(keepdim))
        if dim is None and keepdim:
            out = out.reshape([1] * x.dim())
        return out.to(_F64)

    return arg


def _vectors(name: str, a: torch.Tensor, b: torch.Tensor) -> None:
    if a.dim() != 1 or b.dim() != 1:
        raise Undefined(f"{name} takes two vectors")


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    if logits.dim() not in (1, 2):
        raise Undefined("cross_entropy takes a vector or a matrix of logits")
    if target.shape != logits.shape:
        if target.shape != logits.shape[:-1]:
            raise Undefined(
                f"cross_entropy's target of shape {list(target.shape)} fits logits of shape {list(logits.shape)} "
                "neither as indices nor as probabilities"
            )
        target = _whole(target, "class indices")
        if bool(torch.any((target < 0) | (target >= logits.shape[-1]))):
            raise Undefined("a class index is out of range")
    return F.cross_entropy(logits, target, label_smoothing=label_smoothing)


def _one_hot(index: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    c = int(_whole(classes, "the number of classes"))
    i = _whole(index, "one_hot's indices")
    if c < 1 or c > MAX_ELEMENTS or bool(torch.any((i < 0) | (i >= c))):
        raise Undefined("one_hot's index is out of range")
    return F.one_hot(i, c).to(_F64)


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    _vectors("dot", a, b)
    if a.shape != b.shape:
        raise Undefined("dot takes two vectors of one length")
    return torch.dot(a, b)


def _outer(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    _vectors("outer", a, b)
    return torch.outer(a, b)


def _clamp(x: torch.Tensor, min: float | None = None, max: float | None = None) -> torch.Tensor:  # noqa: A002
    return torch.clamp(x, min=min, max=max)


FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "floor": torch.floor,
    "log2": torch.log2,
    "softplus": F.softplus,
    "gelu": F.gelu,
    "silu": F.silu,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "clamp": _clamp,
    "softmax": lambda x, dim=-1: torch.softmax(x, dim=dim),
    "log_softmax": lambda x, dim=-1: torch.log_softmax(x, dim=dim),
    "sum": _reduce(torch.sum),
    "mean": _reduce(torch.mean),
    "var": _reduce(torch.var),
    "std": _reduce(torch.std),
    "prod": _reduce(torch.prod),
    "logsumexp": _reduce(lambda x, **kw: torch.logsumexp(x, **kw) if "dim" in kw else torch.logsumexp(x.reshape(-1), dim=0)),
    "max": _reduce(torch.amax),
    "min": _reduce(torch.amin),
    "argmax": _arg(torch.argmax),
    "argmin": _arg(torch.argmin),
    "norm": lambda x, p=2, dim=None, keepdim=0: torch.linalg.vector_norm(x, ord=p, dim=dim, keepdim=bool(keepdim)),
    "dot": _dot,
    "outer": _outer,
    "cosine": lambda a, b, dim=-1, eps=1e-8: F.cosine_similarity(a, b, dim=dim, eps=eps),
    "one_hot": _one_hot,
    "cross_entropy": _cross_entropy,
    "kl_div": lambda a, b: F.kl_div(a, b, reduction="sum"),
    "mse_loss": lambda a, b: F.mse_loss(*torch.broadcast_tensors(a, b)),
    "binary_cross_entropy": lambda p, y: F.binary_cross_entropy(*torch.broadcast_tensors(p, y)),
    "all": lambda x: torch.all(x != 0).to(_F64),
    "any": lambda x: torch.any(x != 0).to(_F64),
}
"""The torch function each name of the authoring language is."""

_BINARY: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "pow": torch.pow,
    "matmul": torch.matmul,
}
_COMPARE = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge, "==": torch.eq, "!=": torch.ne}


def evaluate(node: Node, env: Mapping[str, torch.Tensor], known: dict[Node, torch.Tensor] | None = None) -> torch.Tensor:
    """An authored expression's value with torch in float64; raises Undefined with the reason.

    ``known`` holds the values of subexpressions already computed in this ``env``: an answer,
    its steps and its mistakes share parts (``softmax(z)``), and no operation here works in
    place, so each part is computed once.
    """
    if known is None:
        known = {}
    elif node in known:
        return known[node]
    out = _evaluate(node, env, known)
    known[node] = out
    return out


def _evaluate(node: Node, env: Mapping[str, torch.Tensor], known: dict[Node, torch.Tensor]) -> torch.Tensor:
    op = node[0]
    if op == "num":
        return torch.tensor(float(node[1]), dtype=_F64)
    if op == "sym":
        return env[node[1]]
    if op == "const":
        return torch.tensor(CONSTANTS[node[1]], dtype=_F64)
    if op == "neg":
        out = torch.neg(evaluate(node[1], env, known))
    elif op in _BINARY:
        a, b = evaluate(node[1], env, known), evaluate(node[2], env, known)
        if op == "matmul" and (a.dim() == 0 or b.dim() == 0):
            raise Undefined("@ needs vectors or matrices, not numbers")
        try:
            out = _BINARY[op](a, b)
        except RuntimeError as exc:
            raise Undefined(f"{op} of shapes {list(a.shape)} and {list(b.shape)}: {str(exc).splitlines()[0]}") from None
    elif op == "cmp":
        a, b = evaluate(node[2], env, known), evaluate(node[3], env, known)
        out = _COMPARE[node[1]](a, b).to(_F64)
    elif op == "T":
        x = evaluate(node[1], env, known)
        out = x.mT if x.dim() == 2 else x
    elif op == "index":
        out = _index(evaluate(node[1], env, known), [evaluate(i, env, known) for i in node[2]])
    elif op == "call":
        out = FUNCTIONS[node[1]](evaluate(node[2], env, known))
    else:
        args = [evaluate(a, env, known) for a in node[2]]
        try:
            out = FUNCTIONS[node[1]](*args, **dict(node[3]))
        except (RuntimeError, IndexError, ValueError) as exc:
            raise Undefined(f"{node[1]}: {str(exc).splitlines()[0]}") from None
    if out.numel() > MAX_ELEMENTS:
        raise Undefined(f"a value has {out.numel()} entries; at most {MAX_ELEMENTS} are allowed")
    return out


def _plain(t: torch.Tensor) -> Any:
    return float(t) if t.dim() == 0 else t.tolist()


def _finite(v: Any) -> bool:
    """Whether every entry of a value torch computed, as ``_plain`` gives it, is finite."""
    if isinstance(v, (int, float)):
        return math.isfinite(v)
    return all(_finite(x) for x in v)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """The answer, steps and mistakes of an authored problem.

    >>> s = solve({"values": {"p": 0.5, "x": [2.0, 4.0], "m": [1, 0]}, "labels": {}, "answer": "x * m / (1 - p)",
    ...            "steps": [{"label": "kept", "value": "x * m"}], "mistakes": [{"name": "no-rescale", "value": "x * m", "why": "…"}]})
    >>> s.value, s.steps[0].value, s.misconceptions[0].value
    ([4.0, 0.0], [2.0, 0.0], [2.0, 0.0])
    """
    values = inputs["values"]
    if inputs.get("symbols"):
        return _solve_formula(inputs)
    names = tuple(values)
    env = {name: torch.tensor(value, dtype=_F64) for name, value in values.items()}

    known: dict[Node, torch.Tensor] = {}

    def value_of(text: str) -> torch.Tensor:
        return evaluate(parse(text, names), env, known)

    def defined(text: str) -> tuple[torch.Tensor, Any] | None:
        """A step's or mistake's value, as a tensor and as ``_plain`` gives it; None where it has
        none, or no finite one, for these inputs (``quizgen check`` refuses a template where that
        happens on its sample draws)."""
        try:
            t = value_of(text)
        except Undefined:
            return None
        v = _plain(t)
        return (t, v) if _finite(v) else None

    answer = value_of(inputs["answer"])
    steps = []
    for step in inputs.get("steps", []):
        if (found := defined(step["value"])) is not None:
            t, v = found
            steps.append(Step(step["label"], v, list(t.shape) if t.dim() else None))
    mistakes = []
    for m in inputs.get("mistakes", []):
        if (found := defined(m["value"])) is not None and found[0].shape == answer.shape:
            mistakes.append(Misconception(m["name"], " ".join(str(m.get("why", "")).split()), found[1]))
    value = _plain(answer)
    if not _finite(value):
        raise Undefined("the answer is not finite for these inputs")
    # A worked solution ends at the answer: when the file's last step is not it, the answer's own
    # expression is the last step (a solution that stopped at the KL left out the × T² it asked for).
    last = inputs.get("steps", [])[-1:]
    if not (steps and last and last[0]["label"] == steps[-1].label and _same(value_of(last[0]["value"]), answer)):
        steps.append(Step("answer = " + " ".join(str(inputs["answer"]).split()), value, list(answer.shape) if answer.dim() else None))
    return Solution(value, tuple(steps), tuple(mistakes))


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    # The same tensor (the last step's expression is the answer's, computed once) is the same
    # value: solve checks the answer is finite, where allclose(a, a) holds.
    return a is b or (a.shape == b.shape and bool(torch.allclose(a, b, rtol=1e-12, atol=1e-15)))


def _solve_formula(inputs: Mapping[str, Any]) -> Solution:
    """A template with symbols: its answer, steps and mistakes are formulas, the drawn numbers put
    in (a formula's key is written, not computed; the examples check it at given values).

    The key and the mistakes have their numbers worked out (``formula.folded``); a worked
    solution shows the numbers put in, then the simplified form.

    >>> solved = _solve_formula({"values": {"h": 3}, "symbols": {"d": "size"}, "answer": "h*4*d^2", "mistakes": [], "steps": []})
    >>> solved.value, [(s.label, s.value) for s in solved.steps]
    ({'formula': '12*d^2', 'symbols': {'d': 'size'}}, [('the answer', '3*4*d^2'), ('simplified', '12*d^2')])
    """
    from quizgen.core.formula import folded
    from quizgen.core.formula import value as formula_value
    from quizgen.generators.authored import formula_text

    symbols = dict(inputs["symbols"])
    names = (*inputs["values"], *symbols)

    def written(text: str) -> str:
        return str(formula_value(formula_text(text, inputs["values"], names), symbols)["formula"])

    steps = [Step(s["label"], written(s["value"])) for s in inputs.get("steps", [])]
    mistakes = tuple(Misconception(m["name"], " ".join(str(m.get("why", "")).split()), formula_value(folded(written(m["value"]), symbols), symbols))
                     for m in inputs.get("mistakes", []))
    put_in = written(inputs["answer"])
    key = formula_value(folded(put_in, symbols), symbols)
    # The worked solution ends at the answer: as written with the numbers put in, then simplified.
    for label, formula in (("the answer", put_in), ("simplified", key["formula"])):
        if not steps or steps[-1].value != formula:
            steps.append(Step(label, formula))
    return Solution(key, tuple(steps), mistakes)


TORCH_DRAWS = 20
"""How many of ``quizgen check``'s usable draws are also computed with torch."""


def check_with_torch(tpl: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, str]]:
    """``quizgen check``'s computations with torch, as every command builds problems: each
    example compared with the answer its author expects, and the first ``TORCH_DRAWS`` usable
    draws of the check's sample, where the answer, each step and each mistake must have a finite
    value. The plain-Python evaluator that decides a draw usable follows torch's rules; this
    finds where it does not, naming the field, before a learner meets a traceback."""
    return check_examples(tpl) + _check_draws(tpl)


def _check_draws(tpl: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, str]]:
    from quizgen.generators.authored import symbols_of
    from quizgen.generators.authored_check import usable_values

    if symbols_of(tpl["inputs"]):
        return []  # a formula's key is written, not computed
    fields: list[tuple[tuple[Any, ...], str]] = [(("answer",), tpl["answer"])]
    fields += [((key, i, "value"), item["value"]) for key in ("steps", "mistakes") for i, item in enumerate(tpl.get(key) or [])]
    failed: dict[tuple[Any, ...], tuple[str, int]] = {}  # path -> (the first failure, how many draws)
    kept = usable_values(tpl)[:TORCH_DRAWS]
    for values in kept:
        names = tuple(values)
        env = {name: torch.tensor(value, dtype=_F64) for name, value in values.items()}
        known: dict[Node, torch.Tensor] = {}
        for path, text in fields:
            try:
                t = evaluate(parse(text, names), env, known)
                why = "" if bool(torch.all(torch.isfinite(t))) else f"{_plain(t)}"
            except Undefined as exc:
                why = str(exc)
            if why:
                first = failed.get(path)
                shown = ", ".join(f"{k} = {v}" for k, v in values.items())[:120]
                failed[path] = (f"{why} for {shown}", 1) if first is None else (first[0], first[1] + 1)
    return [(path, "a finite value torch computes for every usable draw", f"{why} (on {n} of {len(kept)} usable draws)")
            for path, (why, n) in failed.items()]


def check_examples(tpl: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, str]]:
    """Each of an authored template's examples computed and compared with the answer its author
    expects, within the template's tolerance: ``(path, expected, found)`` for each that differs."""
    from quizgen.core.answer import Tolerance, close
    from quizgen.core.formula import evaluate as formula_at
    from quizgen.core.formula import read as read_formula
    from quizgen.core.render import fmt_inline
    from quizgen.generators.authored import example_values, expected, inputs_of, symbols_of

    tol = tpl.get("tolerance") or {}
    tolerance = Tolerance(rel=float(tol.get("rel", Tolerance().rel)), abs=float(tol.get("abs", Tolerance().abs)))
    found = []
    for i, example in enumerate(tpl.get("examples") or []):
        symbols = symbols_of(tpl["inputs"])
        try:
            inputs = inputs_of(tpl, example_values(tpl, example["inputs"]))
            kind = "number" if symbols else expected(inputs).kind
            value = solve(inputs).value
            if symbols:  # the key formula's value where the example puts its symbols
                point = {n: float(example["inputs"][n]) for n in symbols}
                value = formula_at(read_formula(value["formula"], symbols), point)
                if not math.isfinite(value):
                    raise Undefined(f"the answer has no finite value at {point}")
        except Undefined as exc:
            found.append((("examples", i, "inputs"), "inputs the answer has a finite value for", str(exc)))
            continue
        if not close(kind, value, example["answer"], tolerance):
            what = "the key formula's value there" if symbols else "what torch computes for these inputs"
            found.append((("examples", i, "answer"), f"{what}, {fmt_inline(_rounded(value))}", fmt_inline(example["answer"])))
    return found


def _rounded(value: Any) -> Any:
    return [_rounded(v) for v in value] if isinstance(value, list) else float(f"{value:.6g}")
