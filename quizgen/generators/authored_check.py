"""Checking an authored template's fields (``quizgen check``, and every load of a changed file).

Each check names the field at fault, what was expected and what was found. The structure comes
first (inputs, expressions); then ``SAMPLE_DRAWS`` seeded draws must be usable often enough, and
on every usable one each step must have a finite value and each mistake a value of the answer's
shape that is not the answer's in most of them (docs/authoring.md, section 3).
"""

from __future__ import annotations

import math
import random
from typing import Any

from quizgen.core import arrays
from quizgen.core.errors import AnswerParseError
from quizgen.core.expression import Undefined, Unreadable
from quizgen.core.formula import evaluate as formula_at
from quizgen.core.formula import points
from quizgen.core.formula import read as read_formula
from quizgen.core.issues import describe as describe_value
from quizgen.core.tensor_expression import FUNCTIONS, names_in
from quizgen.generators.authored import (
    MAX_EXPRESSIONS,
    MAX_INPUT_ENTRIES,
    MAX_INPUTS,
    MAX_SIZE,
    MAX_WORK,
    Refusal,
    _as_formula,
    _attempt,
    formula_text,
    parse,
    symbols_of,
)

Found = tuple[tuple[Any, ...], str, str]
"""An issue: the field's path inside the template, what was expected, what was found."""

_RESERVED = frozenset({"pi", "e", "ln", "True", "False"})
SAMPLE_DRAWS = 100
"""Draws ``check_template`` makes to see that the conditions hold often enough."""
CHECK_WORK = 2_000_000
"""Entries the sample draws may compute in all, steps and mistakes included (about two seconds
of plain Python; the shipped templates need at most 20,000): a file from a stranger cannot make
``quizgen check`` run for minutes within the per-variant limit."""
MIN_PASS_RATE = 0.05


def _whole_sizes(spec: dict[str, Any]) -> bool:
    if "shape" in spec or "value" in spec:
        return False
    options = spec["values"] if "values" in spec else list(spec["range"])
    return float(spec.get("step", 1)) == 1 and all(isinstance(v, (int, float)) and float(v).is_integer() and 1 <= v <= MAX_SIZE for v in options)


def _check_inputs(inputs: Any) -> list[Found]:
    found: list[Found] = []
    if not isinstance(inputs, dict) or not inputs:
        given = "no inputs field" if inputs is None else repr(inputs)
        return [(("inputs",), "a mapping of input names to how each is drawn (inputs:, docs/authoring.md)", given)]
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
        # A field that only one way of drawing reads, beside another: it would be ignored.
        for field, way in (("step", "range"), ("decimals", "value")):
            if field in spec and way not in spec:
                found.append(((*at, field), f"{field} only beside {way} (it would be ignored here)", repr(spec[field])))
        if "symbol" in spec:
            if "shape" in spec:
                found.append(((*at, "shape"), "no shape: a symbol stands for one number", repr(spec["shape"])))
            continue  # not drawn, so never an earlier input of another
        if "range" in spec:
            lo, hi = spec["range"]
            step = spec.get("step", 1)
            if lo > hi:
                found.append(((*at, "range"), "[min, max] with min <= max", f"[{lo}, {hi}]"))
            elif (hi - lo) / step > 1e6 and "step" in spec:
                found.append(((*at, "step"), "a step that leaves at most a million values in the range", f"{step}"))
            elif (hi - lo) / step > 1e6:  # whole numbers, as no step was written
                found.append(((*at, "range"), "a range of at most a million whole numbers (or a step: a range of "
                              "decimals takes one, such as step: 0.01)", f"[{lo}, {hi}]"))
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
        if comparison and tree[0] != "cmp" and not (tree[0] == "fn" and tree[1] in ("any", "all")):
            found.append((path, "a comparison, as in sum(mask) >= 1, or any(…) or all(…) of one", text))
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


def usable_values(tpl: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs of the usable draws among ``SAMPLE_DRAWS`` (seeded, the same every time)."""
    return _draws(tpl)[1]


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
    draw each step and each mistake must have a finite value, a mistake one of the answer's shape,
    which equals the answer in few of them."""

    try:
        with arrays.budget(CHECK_WORK):
            return _sample_within(tpl, names)
    except arrays.TooMuchWork as exc:
        if exc.outer:  # the whole sample went over: no one field is at fault
            return [(("answer",), f"a template whose {SAMPLE_DRAWS} sample draws compute at most {CHECK_WORK:,} entries in all, "
                     "steps and mistakes included", "more (make the inputs smaller, or the expressions fewer)")]  # fmt: skip
        return [(exc.path, f"expressions that compute at most {MAX_WORK:,} entries for one variant, steps and mistakes included",
                 "more")]  # fmt: skip


def _sample_within(tpl: dict[str, Any], names: tuple[str, ...]) -> list[Found]:
    """``_sample`` inside the check's budget."""
    from quizgen.core.answer import Tolerance, close

    reasons, kept = _draws(tpl)
    # Shapes that fit on some draws only: the inputs' sizes are drawn apart where one size input
    # should give both (a condition is the way to refuse a variant, not a shape that cannot fit).
    unfit = [(at, why, n) for (at, why), n in reasons.items() if why.startswith(arrays.SHAPES_DO_NOT_FIT)]
    if unfit:
        at, why, _ = unfit[0]
        n = sum(count for _, _, count in unfit)
        return [(at or ("answer",), "shapes that fit on every draw (draw one size input and use it in each shape: [n])",
                 f"{why} (shapes that do not fit on {n} of {SAMPLE_DRAWS} draws)")]
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
    twins: dict[tuple[int, int], int] = {}  # two mistakes with one value: the judge names both
    answers = []
    for values in kept:
        env = {n: arrays.array(v) for n, v in values.items()}
        with arrays.budget(MAX_WORK):
            answers.append(_sample_one(tpl, names, env, values, tolerance, problems, same, twins))
    found_issues = [(path, expected, f"{found} (on {n} of {len(kept)} usable draws)") for path, (expected, found, n) in problems.items()]
    # A variant must be worth computing: one that is always the same question, or always has the
    # same answer, is learnt by heart, not computed.
    kind = ("number", "vector", "matrix")[len(arrays.array(answers[0])[0])]
    if all(values == kept[0] for values in kept):
        found_issues.append((("inputs",), "inputs that vary from one variant to the next",
                             f"the same inputs in all {len(kept)} usable draws ({_shown(kept[0])})"))
    elif all(close(kind, answers[0], a, tolerance) for a in answers):
        found_issues.append((("answer",), "an answer that depends on the inputs drawn",
                             f"the same answer, {answers[0]}, in all {len(kept)} usable draws"))
    for (i, j), n in twins.items():
        if n > MAX_SAME_AS_ANSWER * len(kept):
            other = (tpl.get("mistakes") or [])[i].get("name")
            found_issues.append((("mistakes", j, "value"), "a mistake whose value differs from the other mistakes' in most variants",
                                 f"the value of mistakes[{i}] ({other}) on {n} of {len(kept)} usable draws"))
    for i, n in same.items():
        if n > MAX_SAME_AS_ANSWER * len(kept):
            found_issues.append((("mistakes", i, "value"), "a mistake whose value differs from the answer in most variants",
                                 f"the answer's value on {n} of {len(kept)} usable draws"))
    return found_issues


def _sample_one(
    tpl: dict[str, Any], names: tuple[str, ...], env: dict[str, Any], values: dict[str, Any], tolerance: Any,
    problems: dict[tuple[Any, ...], tuple[str, str, int]], same: dict[int, int], twins: dict[tuple[int, int], int],
) -> Any:
    """One usable draw of the sample: its steps' and mistakes' values, tallied into ``problems``
    (path -> expected, the first found, draws), ``same`` (mistakes equal to the answer) and
    ``twins`` (two mistakes with one value). Returns the answer's value."""
    from quizgen.core.answer import close

    answer = arrays.evaluate(parse(tpl["answer"], names), env)
    kind = ("number", "vector", "matrix")[len(answer[0])]
    usable_mistakes: dict[int, Any] = {}
    for key in ("steps", "mistakes"):
        for i, item in enumerate(tpl.get(key) or []):
            path = (key, i, "value")
            try:
                got = arrays.evaluate(parse(item["value"], names), env)
            except arrays.TooMuchWork as exc:
                exc.path = path  # the field that went over
                raise
            except Undefined as exc:
                expected, found = "an expression with a value for every usable draw", str(exc)
            else:
                finite = all(math.isfinite(x) for x in got[1])
                if key == "steps" and finite:
                    continue
                if key == "mistakes" and got[0] == answer[0] and finite:
                    if close(kind, arrays.nested(answer), arrays.nested(got), tolerance):
                        same[i] = same.get(i, 0) + 1
                    usable_mistakes[i] = arrays.nested(got)
                    continue
                if not finite:
                    expected, found = "a finite value for every usable draw", f"{arrays.nested(got)} for {_shown(values)}"
                else:
                    expected, found = f"a value of the answer's shape {list(answer[0])}", f"shape {list(got[0])} for {_shown(values)}"
            first = problems.get(path)
            problems[path] = (expected, found, 1) if first is None else (first[0], first[1], first[2] + 1)
    for i, a in usable_mistakes.items():
        for j, b in usable_mistakes.items():
            if i < j and close(kind, a, b, tolerance):
                twins[i, j] = twins.get((i, j), 0) + 1
    return arrays.nested(answer)


def _shown(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())[:120]


def _alike(one: list[float], other: list[float]) -> bool:
    """Two formulas' values at the sample points are the same wherever either has one."""
    return all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(one, other) if math.isfinite(a) or math.isfinite(b))


def _sample_formulas(tpl: dict[str, Any], names: tuple[str, ...], kept: list[dict[str, Any]], symbols: dict[str, str]) -> list[Found]:
    """Each formula of a drawn variant, read back as answers are read, has a value somewhere; a
    mistake's formula is not the answer's in most of them (the same values at every sample point)."""
    found: dict[tuple[Any, ...], Found] = {}
    where = [(("answer",), tpl["answer"])] + [((key, i, "value"), item["value"]) for key in ("steps", "mistakes") for i, item in enumerate(tpl.get(key) or [])]
    same: dict[tuple[Any, ...], int] = {}
    twins: dict[tuple[tuple[Any, ...], tuple[Any, ...]], int] = {}
    keys: list[list[float]] = []
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
            elif path == ("answer",) and not all(math.isfinite(v) for v in at[path]):
                # The judge compares answers where the key has a value: a key without one over part
                # of a domain leaves equivalent answers undecided (declare the symbol positive).
                where_not = next(p for p, v in zip(points(symbols), at[path]) if not math.isfinite(v))
                shown = ", ".join(f"{n} = {v:g}" for n, v in where_not.items())
                found[path] = (path, "a formula with a value everywhere in its symbols' domains (a symbol that must be "
                               "positive is declared symbol: positive)", f"no value at {shown}")
        key = at.get(("answer",))
        if key is not None:
            keys.append(key)
        mistakes = [(path, vals) for path, vals in at.items() if path[0] == "mistakes"]
        for path, vals in mistakes:
            if key is not None and _alike(key, vals):
                same[path] = same.get(path, 0) + 1
        for k, (first, one) in enumerate(mistakes):  # two mistakes with one formula: the judge names both
            for path, other in mistakes[k + 1 :]:
                if _alike(one, other):
                    twins[first, path] = twins.get((first, path), 0) + 1
    # A formula's answer must be worth deriving, as a number's must be worth computing: it holds
    # its symbols, and where numbers are drawn, they change the question and its answer.
    drawn = [n for n, spec in tpl["inputs"].items() if "symbol" not in spec and "value" not in spec]
    if ("answer",) not in found and keys:
        if all(_alike(k, [k[0]] * len(k)) for k in keys):
            found[("answer",)] = (("answer",), f"a formula that depends on its symbols ({', '.join(symbols)})",
                                  "the same value at every sample point: the symbols play no part")
        elif drawn and all(values == kept[0] for values in kept):
            found[("inputs",)] = (("inputs",), "inputs that vary from one variant to the next",
                                  f"the same inputs in all {len(kept)} usable draws ({_shown(kept[0])})")
        elif drawn and all(_alike(keys[0], k) for k in keys):
            found[("answer",)] = (("answer",), "an answer that depends on the inputs drawn",
                                  f"the same formula in all {len(kept)} usable draws")
    for path, n in same.items():
        if path not in found and n > MAX_SAME_AS_ANSWER * len(kept):
            found[path] = (path, "a mistake whose formula differs from the answer's in most variants",
                           f"the answer's formula on {n} of {len(kept)} usable draws")
    for (first, path), n in twins.items():
        if path not in found and n > MAX_SAME_AS_ANSWER * len(kept):
            other = (tpl.get("mistakes") or [])[first[1]].get("name")
            found[path] = (path, "a mistake whose formula differs from the other mistakes' in most variants",
                           f"the formula of mistakes[{first[1]}] ({other}) on {n} of {len(kept)} usable draws")
    return list(found.values())


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
                computed = [n for n in extra if n in tpl["inputs"]]
                parts = [f"missing {', '.join(missing)}"] if missing else []
                parts += [f"{', '.join(computed)}, computed from the others (value:): leave {'it' if len(computed) == 1 else 'them'} out"] if computed else []
                parts += [f"unknown {', '.join(n for n in extra if n not in computed)}"] if len(computed) < len(extra) else []
                found.append((("examples", i, "inputs"), f"a value for each drawn input ({', '.join(drawn)})", "; ".join(parts)))
            for name in (n for n in drawn if n in given):
                shape = tpl["inputs"][name].get("shape", [])
                if not _fits(given[name], len(shape)):
                    what = ("a number", "a list of numbers", "a list of rows of numbers")[len(shape)]
                    found.append((("examples", i, "inputs", name), f"{what}, each size at most {MAX_SIZE}", describe_value(given[name])))
                    continue
                # A size given by another input must be that input's value in the example too.
                sizes = ([len(given[name])] if shape else []) + ([len(given[name][0])] if len(shape) == 2 else [])
                for size, entry in zip(sizes, shape):
                    if isinstance(entry, str) and isinstance(given.get(entry), (int, float)) and given[entry] != size:
                        says = f"a size of {entry} = {given[entry]:g}, as the shape [{', '.join(map(str, shape))}] says"
                        found.append((("examples", i, "inputs", name), says, f"{size} entries"))
    return found or _sample(tpl, names)


def _fits(value: Any, rank: int) -> bool:
    """Whether an example's value has the rank its input is drawn with, and sizes a draw can have."""
    if rank == 0:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SIZE:
        return False
    return all(_fits(v, rank - 1) for v in value) and (rank == 1 or len({len(row) for row in value}) == 1)
