"""Reading what a learner types as an answer of a given kind: the one reader of quizgen.

Numbers, vectors and matrices are read by quizgen's one expression parser
(``quizgen.core.expression``), as its entries evaluated in doubles;
shapes have their own small grammar over the same tokens (``(3, 1, 4)``, ``3x1x4``, ``torch.Size([3, 1, 4])``,
``error``). Every refusal says what could not be read and gives examples that work.
"""

from __future__ import annotations

import re
from typing import Any

from quizgen.core.errors import AnswerParseError
from quizgen.core.errors import show_char as _show_char
from quizgen.core.errors import show_typed as _show
from quizgen.core.expression import REFUSED, Node, Undefined, evaluate, read_entries, tokenize
from quizgen.core.expression import Unreadable as Fail
from quizgen.core.expression import clip as _clip
from quizgen.judge.messages import _MAX_SHAPE_DIGITS, _WHAT, MAX_DIMS, MAX_ENTRIES, MAX_LENGTH, _check_kind, _dims_phrase, examples

# --------------------------------------------------------------------------------------------
# Shapes

# Saying "it raises": a closed list (any case, spaces collapsed, a final . or ! ignored), and a
# pasted exception of a closed list of names (_EXCEPTION_RE). Anything else that speaks of errors
# is not read as "error"; a denial (_denies_error) is judged as one.
_ERROR_WORDS = frozenset(
    {
        "error",
        "an error",
        "raises",
        "raise",
        "it raises",
        "raises an error",
        "it raises an error",
        "exception",
        "an exception",
        "raises an exception",
        "it raises an exception",
        "throws",
        "it throws",
        "throws an error",
        "it throws an error",
        "errors",
        "it errors",
    }
)
_EXCEPTION_WORDS = ("runtimeerror", "indexerror", "valueerror", "typeerror", "runtime error", "index error", "value error", "type error")
# An exception named alone or after a verb: "IndexError", "index error", "it raises a RuntimeError".
_ERROR_WORDS |= {*_EXCEPTION_WORDS} | {
    f"{verb} {article}{name}" for verb in ("raises", "it raises", "throws", "it throws") for article in ("", "a ", "an ") for name in _EXCEPTION_WORDS
}
EXCEPTION_NAMES = ("RuntimeError", "IndexError", "ValueError", "TypeError", "OutOfMemoryError", "AssertionError", "NotImplementedError")
"""What torch raises, each read as "it raises" (whichever it names: the question asks whether it raises)."""
_EXCEPTION_NAMES = "|".join(EXCEPTION_NAMES)
_NEGATIONS = frozenset({"no", "not", "never", "none", "nothing", "without", "cannot", "doesnt", "dont", "isnt", "wont", "nope"})
_ERROR_TERMS = frozenset({"error", "errors", "raise", "raises", "raised", "exception", "exceptions", "throw", "throws", "fail", "fails", "crash", "crashes"})
_SUCCESS_WORDS = frozenset({"no", "none", "nope", "works", "it works", "fine", "ok", "okay", "succeeds", "it succeeds"})


def _denies_error(text: str) -> bool:
    """Whether the answer says the operation does *not* raise: a negation beside a word for an
    error (``no error``, ``NotAnError``, ``ItDoesNotRaise``, ``doesn't raise``), or a closed list of
    words for success (``works``, ``fine``, ``no``)."""
    if _EXCEPTION_RE.fullmatch(text.strip()):
        return False  # a pasted exception: its message may say "cannot", and it raised
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text.strip()).lower().replace("n't", "nt").replace("n’t", "nt")
    words = re.findall(r"[a-z]+", spaced)
    if " ".join(words) in _SUCCESS_WORDS:
        return True
    return any(w in _NEGATIONS for w in words) and any(w in _ERROR_TERMS for w in words)
_SIZE_RE = re.compile(r"(?:torch\s*\.\s*)?size\s*\((.*)\)", re.IGNORECASE | re.DOTALL)
_SHAPE_SEPARATORS = tuple((c, ",", c) for c in "xX×")
"""3x1x4: an x separates dimensions as a comma does (the expression tokenizer's extra tokens)."""


def _read_shape(text: str) -> list[int] | str:
    s = text.strip()
    if not s:
        raise Fail("the answer is empty")
    word = " ".join(s.lower().rstrip(".!").split())
    if word in _ERROR_WORDS:
        return "error"
    m = _SIZE_RE.fullmatch(s)
    if m:
        s = m.group(1).strip()
        if not s:
            return []
        if s[0] not in "([":
            raise Fail("inside torch.Size(...) write a list, as in torch.Size([3, 1, 4])")

    # The expression language's tokens; a shape is whole numbers, brackets and separators, and a
    # message quotes the character typed (², not the ^ it reads as). % and = are only unexpected.
    end = next((k for k, c in enumerate(s) if c in REFUSED), len(s))
    toks = [t for t in tokenize(s[:end], _SHAPE_SEPARATORS)[:-1] if t[0] != "nl"]
    for kind, t, i, _ in toks:
        mantissa = t[: len(t) - len(t.lstrip("0123456789."))] if kind == "num" else t
        if kind == "num" and "." in mantissa:
            raise Fail(f"{_clip(mantissa)} is not a whole number; shape entries are whole numbers")
        if kind == "op" and t == "-":
            raise Fail("shape entries cannot be negative")
        if kind not in ("num", ",", "(", ")", "[", "]") or mantissa != t:
            at = i + len(mantissa) if kind == "num" else i  # 1e3: the e
            raise Fail(f"unexpected character '{_show_char(s[at])}' at position {at + 1}")
    if end < len(s):
        raise Fail(f"unexpected character '{s[end]}' at position {end + 1}")

    bracketed = bool(toks) and toks[0][0] in "(["
    if bracketed:
        closer = ")" if toks[0][1] == "(" else "]"
        if toks[-1][0] not in ")]" or len(toks) < 2:
            raise Fail(f"the '{toks[0][1]}' is never closed: add '{closer}'")
        if toks[-1][1] != closer:
            raise Fail(f"'{toks[0][1]}' is closed by '{toks[-1][1]}'")
        toks = toks[1:-1]
    for kind, t, i, _ in toks:
        if kind in "()[]":
            raise Fail(f"unexpected '{t}' at position {i + 1}: a shape is one list of whole numbers")

    dims: list[int] = []
    expect_number = True
    last_sep = ""
    for kind, t, i, space_before in toks:
        if kind == "num":
            if not expect_number and not space_before:
                raise Fail(f"unexpected '{_clip(t)}' at position {i + 1}")
            if len(t.lstrip("0")) > _MAX_SHAPE_DIGITS:
                raise Fail(f"{_clip(t)} is too large for a dimension")
            dims.append(int(t))
            if len(dims) > MAX_DIMS:
                raise Fail(f"it has more than {MAX_DIMS} dimensions")
            expect_number = False
        else:
            if expect_number:
                raise Fail(f"the '{t}' at position {i + 1} has no number before it")
            expect_number = True
            last_sep = t
    if dims and expect_number and not (last_sep == "," and (bracketed or len(dims) == 1)):
        raise Fail(f"it ends with '{last_sep}'")
    if not dims and not bracketed:
        raise Fail("it has no dimensions; write () for a 0-d tensor")
    return dims


# --------------------------------------------------------------------------------------------
# Numbers, vectors and matrices: the expression language's entries, evaluated in doubles


def literal_figures(node: Node) -> tuple[int, int] | None:
    """Significant figures of an entry typed as a plain number (``0.40``, ``-120``), and the decimal
    place of the last one: ``(n, p)``; None for anything else or for a number that is all zeros.

    >>> literal_figures(("num", "0.40")), literal_figures(("neg", ("num", "120"))), literal_figures(("num", "2.5e4"))
    ((2, -2), (2, 1), (2, 3))
    """
    if node[0] == "neg":
        node = node[1]
    if node[0] != "num":
        return None
    mant, _, exp_text = node[1].lower().partition("e")
    exp = int(exp_text) if exp_text else 0
    if "." in mant:
        whole, frac = mant.split(".")
        n = len((whole + frac).lstrip("0"))
        place = exp - len(frac)
    else:
        # Trailing zeros of a whole number are placeholders (120 has two figures): what a learner
        # who rounds 123.4 to "120" means.
        stripped = mant.lstrip("0")
        core = stripped.rstrip("0")
        n = len(core)
        place = exp + len(stripped) - len(core)
    return (n, place) if n else None


def _classify(node: Node) -> tuple[str, Any, Any]:
    """The kind read (number, vector or matrix), its value, and the per-entry figures."""
    if node[0] != "list":
        return "number", evaluate(node, {}), literal_figures(node)
    items = node[1]
    if all(x[0] != "list" for x in items):
        if len(items) > MAX_ENTRIES:
            raise Fail(f"it has {len(items)} numbers; at most {MAX_ENTRIES} are read")
        return "vector", [evaluate(x, {}) for x in items], [literal_figures(x) for x in items]
    if all(x[0] == "list" for x in items):
        if any(x[0] == "list" for row in items for x in row[1]):
            raise Fail("it nests lists deeper than a matrix")
        lengths = [len(row[1]) for row in items]
        for j, n in enumerate(lengths[1:], start=2):
            if n != lengths[0]:
                raise Fail(
                    f"its rows have different lengths: row 1 has {lengths[0]} "
                    f"entr{'y' if lengths[0] == 1 else 'ies'} but row {j} has {n}"
                )
        if sum(lengths) > MAX_ENTRIES:
            raise Fail(f"it has {sum(lengths)} numbers; at most {MAX_ENTRIES} are read")
        return "matrix", [[evaluate(x, {}) for x in row[1]] for row in items], [[literal_figures(x) for x in row[1]] for row in items]
    raise Fail("it mixes numbers and lists in one list")


_DECIMAL_COMMA = re.compile(r"[0-9],[0-9]")
_DECIMAL_COMMA_WHY = (
    "a comma between two digits, with entries also separated by spaces, looks like a decimal "
    "comma: write decimals with a point (1.5, not 1,5)"
)
"""Why 1,8956 3,06704 is not read as four entries (a comma typed for a point), as the card says."""


def _read_numeric(text: str, kind: str) -> tuple[Any, Any]:
    """Read a number, vector or matrix; returns (value, per-entry literal figures)."""
    try:
        stripped = text.strip()
        if not stripped:
            raise Fail("the answer is empty")
        node = read_entries(stripped)
        if node[2] and node[3] and _DECIMAL_COMMA.search(stripped):
            raise Fail(_DECIMAL_COMMA_WHY)
        if len(node[1]) == 1 and not node[2]:
            node = node[1][0]
        read_kind, value, figures = _classify(node)
    except (Fail, Undefined) as exc:
        raise AnswerParseError(f"could not read {_show(text)} as {_WHAT[kind]}: {exc}; try {examples(kind)}") from None

    if kind == read_kind:
        return value, figures
    if kind == "vector":
        if read_kind == "number":
            return [value], [figures]
        if len(value) == 1:
            return list(value[0]), list(figures[0])
        if value and len(value[0]) == 1:
            return [row[0] for row in value], [row[0] for row in figures]
    if kind == "matrix":
        if read_kind == "number":
            return [[value]], [[figures]]
        # A flat list typed for a matrix is read as a single row; the judge says so if the key
        # has several rows.
        return ([list(value)], [list(figures)]) if value else ([], [])

    hint = ""
    if kind == "number" and read_kind == "vector":
        if node[2]:
            hint = " (a comma separates entries: write 0.5, not 0,5, and 1000, not 1,000)"
        elif node[3]:
            hint = " (a space separates entries: write products with *, as in 2*pi, and differences as 1 - 2 or 1-2)"
    raise AnswerParseError(f"expected {_WHAT[kind]}, but read {_dims_phrase(read_kind, value)}{hint}; try {examples(kind)}")


# --------------------------------------------------------------------------------------------
# Public reading and comparing

# What people paste or type around a value, each with one clear meaning (docs/answers.md, "Around
# the value"); card_judge.js tidies the same way, checked by the shared vectors.
_EXCEPTION_RE = re.compile(rf"(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?:{_EXCEPTION_NAMES})(?:\s*:.*)?", re.DOTALL)
_LABEL_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_. ]{0,30}[=:]\s*(\S.*)", re.DOTALL)
_APPROX_RE = re.compile(r"(?:≈|~|about\s+|approx\.?\s+|approximately\s+)\s*(\S.*)", re.DOTALL | re.IGNORECASE)
_ELLIPSIS_RE = re.compile(r"(.*[0-9])\s*(?:\.\.\.|…)", re.DOTALL)
_WRAPPER_RE = re.compile(
    r"(?:torch\.|np\.|numpy\.)?(?:tensor|array)\((.*?)(?:,\s*(?:dtype|device|requires_grad|grad_fn)\s*=.*)?\)", re.DOTALL
)
_SQRT_RE = re.compile(r"sqrt\s+([0-9]+(?:\.[0-9]*)?)")
_VULGAR = {"½": "(1/2)", "⅓": "(1/3)", "⅔": "(2/3)", "¼": "(1/4)", "¾": "(3/4)", "⅕": "(1/5)", "⅙": "(1/6)", "⅛": "(1/8)"}
_MIXED_RE = re.compile(rf"(?<![0-9.])([0-9]+)([{''.join(_VULGAR)}])")
_NOT_LABELS = frozenset({"lambda", "def", "class", "import", "exec", "eval", "return", "torch", "size"})
_SCALAR_WORDS = frozenset({"scalar", "a scalar", "0-d", "0d", "a 0-d tensor", "0-d tensor"})


def _tidy(text: str, kind: str) -> str:
    """The value inside what people paste or type around it: a label (``BP = 0.717``), ``≈`` or
    ``~``, a trailing ``...``, ``tensor(…)`` or ``array(…)`` with its options, ``½``, ``sqrt 55``;
    for shapes also ``shape (2, 1)``, ``2 by 1``, ``scalar`` and a pasted ``RuntimeError: …``."""
    s = text.strip()
    if kind == "shape":
        if _EXCEPTION_RE.fullmatch(s):
            return "error"
        if " ".join(s.lower().split()) in _SCALAR_WORDS:
            return "()"
    if (m := _LABEL_RE.fullmatch(s)) is not None and s.split()[0].rstrip("=:").split(".")[0].lower() not in _NOT_LABELS:
        s = m.group(1).strip()
    # A shape is exact, so "about" has no meaning there, and ~ before a word may be a negation
    # (~error): only numbers take the approximate sign.
    if kind != "shape" and (m := _APPROX_RE.fullmatch(s)) is not None:
        s = m.group(1).strip()
    if (m := _ELLIPSIS_RE.fullmatch(s)) is not None:
        s = m.group(1)
    if (m := _WRAPPER_RE.fullmatch(s)) is not None:
        s = m.group(1).strip()
    # A whole number then a fraction character is a mixed number: 1½ is 1.5, not 1 × ½.
    s = _MIXED_RE.sub(lambda m: f"({m[1]}+{_VULGAR[m[2]][1:-1]})", s)
    for char, fraction in _VULGAR.items():
        s = s.replace(char, fraction)
    s = _SQRT_RE.sub(r"sqrt(\1)", s)
    if kind == "shape":
        s = re.sub(r"(?<=[)\]])[.!]+$", "", s)  # a sentence's stop after the shape: torch.Size([2, 3]).
        s = re.sub(r"^(?:shape|size)\s+(?=[(\[0-9])", "", s, flags=re.IGNORECASE)
        s = re.sub(r"\s+by\s+", " x ", s, flags=re.IGNORECASE)
    return s


def _read(text: str, kind: str) -> tuple[Any, Any]:
    _check_kind(kind)
    if not isinstance(text, str):
        raise TypeError(f"answer text must be a str, but got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise AnswerParseError(
            f"could not read {_show(text)} as {_WHAT[kind]}: the answer is {len(text)} "
            f"characters long and at most {MAX_LENGTH} are read; try {examples(kind)}"
        )
    text = _tidy(text, kind)
    if kind == "shape":
        try:
            return _read_shape(text), None
        except Fail as exc:
            raise AnswerParseError(
                f"could not read {_show(text)} as a shape: {exc}; try {examples('shape')}"
            ) from None
    return _read_numeric(text, kind)


def parse(text: str, kind: str, symbols: dict[str, str] | None = None) -> Any:
    """Read typed text as an answer of ``kind`` (number, vector, matrix, shape or formula).

    Args:
        text: What the learner typed.
        kind: One of ``quizgen.core.answer.ANSWER_KINDS``.
        symbols: For a formula, the symbols the problem declares (name → domain).

    Returns:
        A float (number), a list of floats (vector), a list of rows of floats (matrix), for a
        shape a list of non-negative ints or the string ``"error"``, for a formula its value
        ``{"formula", "symbols"}`` written back in the reader's grammar.

    Raises:
        AnswerParseError: The text cannot be read as that kind; the message says why and gives
            examples that work.
        ValueError: ``kind`` is not an answer kind.

    >>> parse("1/√2", "number")
    0.7071067811865475
    >>> parse("1 2; 3 4", "matrix")
    [[1.0, 2.0], [3.0, 4.0]]
    >>> parse("torch.Size([3, 1, 4])", "shape")
    [3, 1, 4]
    """
    if kind == "formula":
        from quizgen.core.formula import read
        from quizgen.core.formula import text as formula_text

        if symbols is None:
            raise ValueError("a formula is read in the symbols its problem declares: pass symbols")
        return {"formula": formula_text(read(text, symbols)), "symbols": dict(symbols)}
    return _read(text, kind)[0]
