/*
 * quizgen card judge: grades a typed answer on the back of an Anki problem card.
 *
 * A line-by-line port of quizgen/judge/ (the one judge; docs/answers.md is the spec). The
 * shared table tests/data/judge_vectors.json checks this file and the Python judge alike, and the
 * test suite runs both on every entry. Typed text is only tokenised and parsed by hand-written
 * code: nothing is handed to eval, Function or any other code path that runs text.
 *
 * Two details follow Python exactly where JavaScript differs by default:
 *  - text is handled as Unicode code points (positions and lengths in messages match Python's);
 *  - numbers in messages are formatted like Python's "%g" / "%e", rounding the exact binary value
 *    half to even (JavaScript's toPrecision rounds exact ties up).
 *
 * On a card, the script reads the problem's key and tolerance from the hidden element #qz-check
 * (JSON), reads what was typed from Anki's rendered type-answer comparison (<code id=typeans>),
 * and writes the verdict into #qz-verdict. On a rotating note it first shows the review day's
 * variant (rotate). Under node it only exports the judge (for the tests).
 */
(function (root) {
  "use strict";

  var MAX_LENGTH = 2000;
  var MAX_DEPTH = 16;
  var MAX_ENTRIES = 400;
  var MAX_DIMS = 64;
  var MAX_SHAPE_DIGITS = 15;
  var SLACK = 1e-9;
  var KINDS = ["number", "vector", "matrix", "shape", "formula"];

  var EXAMPLE_LISTS = {
    number: ["0.25", "1/4", "2.5e-3", "sqrt(2)/2"],
    vector: ["[0.5, -1, 2]", "0.5 -1 2", "[1/2, sqrt(2)]"],
    matrix: ["[[1, 2], [3, 4]]", "1 2; 3 4", "[[1/2, 0], [0, sqrt(2)]]"],
    shape: ["(3, 1, 4)", "3x1x4", "torch.Size([3, 1, 4])", "()", "error"],
    formula: ["4*d^2 + 4*d", "d*sigma^4", "sqrt(d)/2", "exp(-t/T)"]
  };
  var WHAT = { number: "a number", vector: "a vector", matrix: "a matrix", shape: "a shape", formula: "a formula" };

  // ------------------------------------------------------------------------------------------
  // Python-compatible helpers

  // Characters for which Python's str.isspace() is true (what str.strip() and str.split() use).
  var PY_SPACE = {};
  ["\t", "\n", "\u000b", "\u000c", "\r", "\u001c", "\u001d", "\u001e", "\u001f", " ", "\u0085",
    "\u00a0", "\u1680", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"].forEach(function (c) {
    PY_SPACE[c] = true;
  });
  for (var sp = 0x2000; sp <= 0x200a; sp++) PY_SPACE[String.fromCharCode(sp)] = true;

  function isSpace(c) {
    return PY_SPACE[c] === true;
  }

  function chars(s) {
    return Array.from(s);
  }

  function strip(s) {
    var cs = chars(s);
    var i = 0;
    var j = cs.length;
    while (i < j && isSpace(cs[i])) i++;
    while (j > i && isSpace(cs[j - 1])) j--;
    return cs.slice(i, j).join("");
  }

  function splitWords(s) {
    var out = [];
    var word = "";
    chars(s).forEach(function (c) {
      if (isSpace(c)) {
        if (word) out.push(word);
        word = "";
      } else {
        word += c;
      }
    });
    if (word) out.push(word);
    return out;
  }

  function rstripChars(s, set) {
    var cs = chars(s);
    var j = cs.length;
    while (j > 0 && set.indexOf(cs[j - 1]) >= 0) j--;
    return cs.slice(0, j).join("");
  }

  var NOT_PRINTABLE;
  try {
    NOT_PRINTABLE = new RegExp("[\\p{Cc}\\p{Cf}\\p{Cs}\\p{Co}\\p{Cn}\\p{Zl}\\p{Zp}\\p{Zs}]", "u");
  } catch (e) {
    NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u00a0\u00ad]/;
  }

  function isPrintable(c) {
    return c === " " || !NOT_PRINTABLE.test(c);
  }

  function hex(code, width) {
    var h = code.toString(16);
    while (h.length < width) h = "0" + h;
    return h;
  }

  function showChar(c) {
    if (isPrintable(c)) return c;
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    var code = c.codePointAt(0);
    return code < 0x100 ? "\\x" + hex(code, 2) : "\\u" + hex(code, 4);
  }

  function show(text, limit) {
    limit = limit === undefined ? 40 : limit;
    var t = chars(strip(text));
    if (t.length > limit) t = t.slice(0, limit - 3).concat(["…"]);
    return "'" + t.map(showChar).join("") + "'";
  }

  function clip(text, limit) {
    limit = limit === undefined ? 24 : limit;
    var t = chars(text);
    if (t.length > limit) t = t.slice(0, limit - 1).concat(["…"]);
    return t.map(showChar).join("");
  }

  // The exact decimal value of a finite double, as digits and a power of ten:
  // x = 0.d1d2d3... × 10^point, sign apart. Needs BigInt; null without it.
  function exactDecimal(x) {
    if (typeof BigInt === "undefined") return null;
    var view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Math.abs(x));
    var hi = view.getUint32(0);
    var lo = view.getUint32(4);
    var biased = (hi >>> 20) & 0x7ff;
    var mant = (BigInt(hi & 0xfffff) << BigInt(32)) + BigInt(lo);
    var e;
    if (biased === 0) {
      e = -1074;
    } else {
      mant += BigInt(1) << BigInt(52);
      e = biased - 1075;
    }
    if (mant === BigInt(0)) return { digits: "0", point: 1 };
    var digits;
    var point;
    if (e >= 0) {
      digits = (mant << BigInt(e)).toString();
      point = digits.length;
    } else {
      // m × 2^e = m × 5^-e / 10^-e
      digits = (mant * BigInt(5) ** BigInt(-e)).toString();
      point = digits.length + e;
    }
    digits = digits.replace(/0+$/, "");
    return { digits: digits, point: point };
  }

  // Round |x| to `sig` significant digits, half to even on the exact value (Python's rule).
  // Returns the digit string (length sig) and the decimal exponent of its first digit.
  function roundSig(x, sig) {
    var ex = exactDecimal(x);
    if (ex === null) {
      var s = Math.abs(x).toExponential(sig - 1);
      var parts = s.split("e");
      return { digits: parts[0].replace(".", ""), exp: parseInt(parts[1], 10) };
    }
    var d = ex.digits;
    var exp = ex.point - 1;
    if (d.length <= sig) {
      while (d.length < sig) d += "0";
      return { digits: d, exp: exp };
    }
    var head = d.slice(0, sig);
    var rest = d.slice(sig);
    var up;
    if (rest[0] > "5") up = true;
    else if (rest[0] < "5") up = false;
    else if (/[1-9]/.test(rest.slice(1))) up = true;
    else up = parseInt(head[head.length - 1], 10) % 2 === 1;
    if (up) {
      var arr = head.split("");
      var i = arr.length - 1;
      while (i >= 0 && arr[i] === "9") {
        arr[i] = "0";
        i--;
      }
      if (i < 0) {
        arr.unshift("1");
        arr.pop();
        exp += 1;
      } else {
        arr[i] = String(parseInt(arr[i], 10) + 1);
      }
      head = arr.join("");
    }
    return { digits: head, exp: exp };
  }

  function isNegative(x) {
    return x < 0 || (x === 0 && 1 / x < 0);
  }

  function expSuffix(exp) {
    var a = Math.abs(exp);
    return "e" + (exp < 0 ? "-" : "+") + (a < 10 ? "0" + a : String(a));
  }

  // Python's format(x, ".{p}g").
  function formatG(x, p) {
    p = p === undefined ? 6 : p;
    if (p === 0) p = 1;
    var sign = isNegative(x) ? "-" : "";
    if (x !== x) return "nan";
    if (x === Infinity || x === -Infinity) return sign + "inf";
    if (x === 0) return sign + "0";
    var r = roundSig(x, p);
    var digits = r.digits;
    var exp = r.exp;
    var out;
    if (exp >= -4 && exp < p) {
      if (exp >= 0) {
        var intPart = digits.slice(0, exp + 1);
        var frac = digits.slice(exp + 1);
        while (intPart.length < exp + 1) intPart += "0";
        frac = frac.replace(/0+$/, "");
        out = frac ? intPart + "." + frac : intPart;
      } else {
        var zeros = "";
        for (var i = 0; i < -exp - 1; i++) zeros += "0";
        out = ("0." + zeros + digits).replace(/0+$/, "");
      }
    } else {
      var mant = digits[0];
      var rest = digits.slice(1).replace(/0+$/, "");
      if (rest) mant += "." + rest;
      out = mant + expSuffix(exp);
    }
    return sign + out;
  }

  // Python's format(x, ".{decimals}e").
  function formatE(x, decimals) {
    var sign = isNegative(x) ? "-" : "";
    if (x === 0) {
      var z = "0";
      if (decimals > 0) {
        z += ".";
        for (var i = 0; i < decimals; i++) z += "0";
      }
      return sign + z + "e+00";
    }
    var r = roundSig(x, decimals + 1);
    var mant = r.digits[0] + (decimals > 0 ? "." + r.digits.slice(1) : "");
    return sign + mant + expSuffix(r.exp);
  }

  // ------------------------------------------------------------------------------------------
  // Tolerance

  function Tolerance(rel, abs) {
    this.rel = rel === undefined || rel === null ? 0.005 : rel;
    this.abs = abs === undefined || abs === null ? 0.0005 : abs;
  }
  Tolerance.prototype.width = function (key) {
    return Math.max(this.abs, this.rel * Math.abs(key));
  };
  Tolerance.prototype.accepts = function (key, x) {
    return Math.abs(x - key) <= this.width(key) * (1 + SLACK);
  };
  Tolerance.prototype.phrase = function () {
    if (this.rel === 0 && this.abs === 0) return "exactly";
    if (this.rel === 0) return "to within " + formatG(this.abs);
    if (this.abs === 0) return "to within " + formatG(this.rel * 100) + "%";
    return "to within " + formatG(this.rel * 100) + "% (or " + formatG(this.abs) + " near zero)";
  };

  function examples(kind) {
    var items = EXAMPLE_LISTS[kind];
    return items.slice(0, -1).join(", ") + " or " + items[items.length - 1];
  }

  function dimsPhrase(kind, value) {
    if (kind === "number") return "a number";
    if (kind === "vector") {
      var n = value.length;
      return "a vector of " + n + " number" + (n === 1 ? "" : "s");
    }
    var rows = value.length;
    var cols = rows ? value[0].length : 0;
    return "a " + rows + "×" + cols + " matrix";
  }

  function Fail(message) {
    this.message = message;
  }

  function ParseError(message) {
    this.message = message;
  }

  // ------------------------------------------------------------------------------------------
  // Tokenizer for numbers, vectors and matrices

  var SPACES = { " ": 1, "\t": 1, "\u00a0": 1, "\u2009": 1, "\u202f": 1 };
  var SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺";
  var OPERATOR_CHARS = { "+": "+", "-": "-", "\u2212": "-", "*": "*", "·": "*", "×": "*", "/": "/", "^": "^" };
  var PUNCT = "()[],;";
  var CONSTANTS = { pi: Math.PI, e: Math.E };

  function isDigit(c) {
    return c !== undefined && c >= "0" && c <= "9";
  }

  function isAlpha(c) {
    return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
  }

  // The number literal starting at cs[i], or null: (digits(.digits?)? | .digits) (e[+-]?digits)?
  function matchNumber(cs, i) {
    var j = i;
    if (isDigit(cs[j])) {
      while (isDigit(cs[j])) j++;
      if (cs[j] === ".") {
        j++;
        while (isDigit(cs[j])) j++;
      }
    } else if (cs[j] === "." && isDigit(cs[j + 1])) {
      j++;
      while (isDigit(cs[j])) j++;
    } else {
      return null;
    }
    if (cs[j] === "e" || cs[j] === "E") {
      var k = j + 1;
      if (cs[k] === "+" || cs[k] === "-") k++;
      if (isDigit(cs[k])) {
        while (isDigit(cs[k])) k++;
        j = k;
      }
    }
    return j;
  }

  function Tok(kind, text, pos, spaceBefore) {
    this.kind = kind;
    this.text = text;
    this.pos = pos;
    this.space_before = spaceBefore;
  }
  Tok.prototype.startsOperand = function () {
    return ["num", "name", "sqrt", "(", "["].indexOf(this.kind) >= 0;
  };

  function tokenize(s) {
    var cs = chars(s);
    var toks = [];
    var i = 0;
    var n = cs.length;
    var space = false;
    while (i < n) {
      var c = cs[i];
      if (SPACES[c]) {
        space = true;
        i += 1;
        continue;
      }
      if (c === "\r" || c === "\n") {
        var j2 = c === "\r" && cs[i + 1] === "\n" ? i + 2 : i + 1;
        toks.push(new Tok("nl", "\n", i, space));
        space = true;
        i = j2;
        continue;
      }
      var end = matchNumber(cs, i);
      if (end !== null) {
        toks.push(new Tok("num", cs.slice(i, end).join(""), i, space));
        i = end;
      } else if (isAlpha(c)) {
        var k = i + 1;
        while (isAlpha(cs[k]) || isDigit(cs[k])) k++;
        toks.push(new Tok("name", cs.slice(i, k).join(""), i, space));
        i = k;
      } else if (c === "π") {
        toks.push(new Tok("name", "pi", i, space));
        i += 1;
      } else if (c === "√") {
        toks.push(new Tok("sqrt", c, i, space));
        i += 1;
      } else if (c === "*" && cs[i + 1] === "*") {
        toks.push(new Tok("op", "^", i, space));
        i += 2;
      } else if (Object.prototype.hasOwnProperty.call(OPERATOR_CHARS, c)) {
        toks.push(new Tok("op", OPERATOR_CHARS[c], i, space));
        i += 1;
      } else if (PUNCT.indexOf(c) >= 0) {
        toks.push(new Tok(c, c, i, space));
        i += 1;
      } else if (c === "%") {
        throw new Fail("percentages are not read: write 50% as 0.5");
      } else if (SUPERSCRIPTS.indexOf(c) >= 0) {
        throw new Fail("write powers with ^, as in 2^3");
      } else if (c === "=") {
        throw new Fail("type only the value, not an equation");
      } else if (c === ".") {
        throw new Fail("a '.' at position " + (i + 1) + " is not part of a number");
      } else {
        throw new Fail("unexpected character '" + showChar(c) + "' at position " + (i + 1));
      }
      space = false;
    }
    toks.push(new Tok("end", "", n, space));
    return toks;
  }

  function literalFigures(text) {
    var lower = text.toLowerCase();
    var at = lower.indexOf("e");
    var mant = at >= 0 ? lower.slice(0, at) : lower;
    var expText = at >= 0 ? lower.slice(at + 1) : "";
    var exp = expText ? parseInt(expText, 10) : 0;
    var n;
    var place;
    if (mant.indexOf(".") >= 0) {
      var parts = mant.split(".");
      n = (parts[0] + parts[1]).replace(/^0+/, "").length;
      place = exp - parts[1].length;
    } else {
      var stripped = mant.replace(/^0+/, "");
      var core = stripped.replace(/0+$/, "");
      n = core.length;
      place = exp + stripped.length - core.length;
    }
    if (n === 0) return null;
    return [n, place];
  }

  // ------------------------------------------------------------------------------------------
  // Parser

  function Scalar(value, figures) {
    this.value = value;
    this.figures = figures === undefined ? null : figures;
  }

  function List(items, comma, space) {
    this.items = items;
    this.comma = !!comma;
    this.space = !!space;
  }

  function finite(v) {
    if (v !== v) throw new Fail("the result is not a number");
    if (v === Infinity || v === -Infinity) throw new Fail("the result is too large");
    return v;
  }

  function pow(base, exponent) {
    if (base === 0 && exponent < 0) throw new Fail("it raises 0 to a negative power");
    var r = Math.pow(base, exponent);
    if (r !== r) throw new Fail("it raises a negative number to a fractional power");
    if (r === Infinity || r === -Infinity) throw new Fail("the result is too large");
    return r;
  }

  function div(a, b) {
    if (b === 0) throw new Fail("it divides by zero");
    return finite(a / b);
  }

  var LOG_DOMAIN = "it takes the log of zero or of a negative number";
  var SQRT_DOMAIN = "it takes the square root of a negative number";

  function mathSqrt(x) {
    if (x < 0) throw new Fail(SQRT_DOMAIN);
    return finite(Math.sqrt(x));
  }

  var FUNCTIONS = {
    sqrt: mathSqrt,
    exp: function (x) {
      return finite(Math.exp(x));
    },
    log: function (x) {
      if (x <= 0) throw new Fail(LOG_DOMAIN);
      return finite(Math.log(x));
    },
    ln: function (x) {
      if (x <= 0) throw new Fail(LOG_DOMAIN);
      return finite(Math.log(x));
    }
  };

  function Parser(toks) {
    this.toks = toks;
    this.i = 0;
    this.depth = 0;
    this.spaceSeparates = [true];
  }

  Parser.prototype.peek = function (k) {
    k = k || 0;
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  };

  Parser.prototype.take = function () {
    var t = this.toks[this.i];
    if (t.kind !== "end") this.i += 1;
    return t;
  };

  Parser.prototype.enter = function () {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw new Fail("brackets are nested more than " + MAX_DEPTH + " deep");
  };

  Parser.prototype.skipNewlines = function () {
    while (this.peek().kind === "nl") this.take();
  };

  Parser.prototype.atClose = function (closer) {
    var t = this.peek();
    if (closer === null) {
      if (t.kind === ")" || t.kind === "]") {
        throw new Fail("a '" + t.kind + "' at position " + (t.pos + 1) + " has no matching opening bracket");
      }
      return t.kind === "end";
    }
    if (t.kind === "end") {
      throw new Fail("a '" + (closer === "]" ? "[" : "(") + "' is never closed: add '" + closer + "'");
    }
    if ((t.kind === ")" || t.kind === "]") && t.kind !== closer) {
      var opener = t.kind === "]" ? "(" : "[";
      throw new Fail("a '" + t.kind + "' at position " + (t.pos + 1) + " closes a '" + opener + "' bracket");
    }
    return t.kind === closer;
  };

  Parser.prototype.rows = function (closer) {
    var rows = [[]];
    var comma = false;
    var space = false;
    this.skipNewlines();
    while (!this.atClose(closer)) {
      var t = this.peek();
      if (t.kind === "," || t.kind === ";") {
        throw new Fail("the '" + t.kind + "' at position " + (t.pos + 1) + " has no entry before it");
      }
      rows[rows.length - 1].push(this.entry());
      t = this.peek();
      if (t.kind === ",") {
        this.take();
        comma = true;
        this.skipNewlines();
        if (this.peek().kind === "," || this.peek().kind === ";") {
          throw new Fail("an empty entry at position " + (this.peek().pos + 1));
        }
        continue;
      }
      if (t.kind === ";" || t.kind === "nl") {
        var semicolons = 0;
        while (this.peek().kind === ";" || this.peek().kind === "nl") {
          if (this.take().kind === ";") semicolons += 1;
        }
        if (semicolons > 1) throw new Fail("an empty row between two ';'");
        if (this.atClose(closer)) break;
        rows.push([]);
        continue;
      }
      if (this.atClose(closer)) break;
      if (this.startsEntryAfterSpace(t)) {
        space = true;
        continue;
      }
      if (t.startsOperand()) throw new Fail(this.adjacentReason(t));
      throw new Fail("unexpected '" + clip(t.text) + "' at position " + (t.pos + 1));
    }
    if (rows.length === 1) return new List(rows[0], comma, space);
    var built = rows.map(function (row) {
      if (row.length === 1 && row[0] instanceof List) return row[0];
      return new List(row);
    });
    return new List(built, comma, space);
  };

  Parser.prototype.startsEntryAfterSpace = function (t) {
    if (!(t.space_before && this.spaceSeparates[this.spaceSeparates.length - 1])) return false;
    if (t.startsOperand()) return true;
    var nxt = this.peek(1);
    return (
      t.kind === "op" &&
      (t.text === "+" || t.text === "-") &&
      !nxt.space_before &&
      (nxt.startsOperand() || nxt.kind === "op")
    );
  };

  Parser.prototype.adjacentReason = function (t) {
    var prev = this.toks[this.i - 1];
    if (prev.kind === "num" && t.kind === "num" && !t.space_before) {
      return "'" + clip(prev.text) + "' runs straight into '" + clip(t.text) + "' at position " + (t.pos + 1);
    }
    if (this.spaceSeparates[this.spaceSeparates.length - 1] || !t.space_before) {
      return (
        "'" + clip(t.text) + "' follows '" + clip(prev.text) + "' with no operator at position " +
        (t.pos + 1) + "; write products with *, as in 2*pi"
      );
    }
    return (
      "'" + clip(t.text) + "' follows '" + clip(prev.text) + "' with no operator at position " +
      (t.pos + 1) + "; inside ( ) separate entries with commas and write products with *"
    );
  };

  Parser.prototype.entry = function () {
    var start = this.i;
    var node = this.expr();
    if (node instanceof Scalar) {
      var span = this.toks.slice(start, this.i);
      var figures = null;
      if (span.length === 1 && span[0].kind === "num") {
        figures = literalFigures(span[0].text);
      } else if (
        span.length === 2 &&
        span[0].kind === "op" &&
        (span[0].text === "+" || span[0].text === "-") &&
        span[1].kind === "num"
      ) {
        figures = literalFigures(span[1].text);
      }
      node = new Scalar(node.value, figures);
    }
    return node;
  };

  function scalarOf(node, op) {
    if (!(node instanceof Scalar)) throw new Fail("'" + op + "' cannot be applied to a list");
    return node.value;
  }

  Parser.prototype.expr = function () {
    var left = this.term();
    for (;;) {
      var t = this.peek();
      if (t.kind !== "op" || (t.text !== "+" && t.text !== "-")) return left;
      if (this.startsEntryAfterSpace(t)) return left;
      this.take();
      var a = scalarOf(left, t.text);
      var b = scalarOf(this.term(), t.text);
      left = new Scalar(finite(t.text === "+" ? a + b : a - b));
    }
  };

  Parser.prototype.term = function () {
    var left = this.unary();
    while (this.peek().kind === "op" && (this.peek().text === "*" || this.peek().text === "/")) {
      var op = this.take().text;
      var a = scalarOf(left, op);
      var b = scalarOf(this.unary(), op);
      left = new Scalar(op === "*" ? finite(a * b) : div(a, b));
    }
    return left;
  };

  Parser.prototype.signs = function () {
    var sign = 1;
    while (this.peek().kind === "op" && (this.peek().text === "+" || this.peek().text === "-")) {
      if (this.take().text === "-") sign = -sign;
    }
    return sign;
  };

  Parser.prototype.unary = function () {
    var t = this.peek();
    if (!(t.kind === "op" && (t.text === "+" || t.text === "-"))) return this.power();
    var sign = this.signs();
    return new Scalar(sign * scalarOf(this.power(), t.text));
  };

  Parser.prototype.power = function () {
    var first = this.root();
    if (!(this.peek().kind === "op" && this.peek().text === "^")) return first;
    var operands = [[1, scalarOf(first, "^")]];
    while (this.peek().kind === "op" && this.peek().text === "^") {
      this.take();
      var sign = this.signs();
      operands.push([sign, scalarOf(this.root(), "^")]);
    }
    var last = operands[operands.length - 1];
    var value = last[0] * last[1];
    for (var k = operands.length - 2; k >= 0; k--) {
      value = operands[k][0] * pow(operands[k][1], value);
    }
    return new Scalar(value);
  };

  Parser.prototype.root = function () {
    var count = 0;
    while (this.peek().kind === "sqrt") {
      this.take();
      count += 1;
    }
    if (count && this.peek().kind === "op") {
      throw new Fail("√ must be followed by a number, a name or a bracket: write √(2)");
    }
    var node = this.primary();
    for (var k = 0; k < count; k++) node = new Scalar(mathSqrt(scalarOf(node, "√")));
    return node;
  };

  Parser.prototype.primary = function () {
    var t = this.take();
    if (t.kind === "num") {
      var value = Number(t.text);
      if (value === Infinity) throw new Fail(clip(t.text) + " is too large (doubles stop near 1.8e308)");
      return new Scalar(value);
    }
    if (t.kind === "name") return this.name(t);
    if (t.kind === "(" || t.kind === "[") {
      this.enter();
      this.spaceSeparates.push(t.kind === "[");
      var closer = t.kind === "(" ? ")" : "]";
      var node = this.rows(closer);
      this.take();
      this.spaceSeparates.pop();
      this.depth -= 1;
      if (t.kind === "(" && !node.comma && node.items.length === 1) return node.items[0];
      return node;
    }
    if (t.kind === "end") {
      var prev = this.i > 0 ? this.toks[this.i - 1] : null;
      if (prev !== null && prev.kind === "op") {
        throw new Fail("'" + clip(prev.text) + "' at the end has nothing after it");
      }
      throw new Fail("the answer ends too early");
    }
    if (t.kind === "nl") throw new Fail("a line ends in the middle of an expression");
    throw new Fail("unexpected '" + clip(t.text) + "' at position " + (t.pos + 1));
  };

  Parser.prototype.name = function (t) {
    var word = t.text.toLowerCase();
    if (Object.prototype.hasOwnProperty.call(CONSTANTS, word)) return new Scalar(CONSTANTS[word]);
    if (Object.prototype.hasOwnProperty.call(FUNCTIONS, word)) {
      if (this.peek().kind !== "(") throw new Fail("write " + word + " with brackets, as in " + word + "(2)");
      this.take();
      this.enter();
      this.spaceSeparates.push(false);
      this.skipNewlines();
      var arg = this.expr();
      this.skipNewlines();
      var closeTok = this.peek();
      if (closeTok.kind === ",") throw new Fail(word + " takes one argument");
      if (closeTok.kind !== ")") {
        if (closeTok.kind === "end") throw new Fail("the '(' after " + word + " is never closed: add ')'");
        if (closeTok.startsOperand()) throw new Fail(this.adjacentReason(closeTok));
        throw new Fail("unexpected '" + clip(closeTok.text) + "' at position " + (closeTok.pos + 1));
      }
      this.take();
      this.spaceSeparates.pop();
      this.depth -= 1;
      return new Scalar(FUNCTIONS[word](scalarOf(arg, word)));
    }
    if (word === "nan" || word === "inf" || word === "infinity") {
      throw new Fail("'" + clip(t.text) + "' is not accepted: every answer here is a finite number");
    }
    throw new Fail("'" + clip(t.text) + "' is not a known name (known: pi, π, e, sqrt, exp, log, ln, √)");
  };

  function classify(node) {
    if (node instanceof Scalar) return ["number", node.value, node.figures];
    var items = node.items;
    var allScalars = items.every(function (x) {
      return x instanceof Scalar;
    });
    if (allScalars) {
      if (items.length > MAX_ENTRIES) {
        throw new Fail("it has " + items.length + " numbers; at most " + MAX_ENTRIES + " are read");
      }
      return [
        "vector",
        items.map(function (x) {
          return x.value;
        }),
        items.map(function (x) {
          return x.figures;
        })
      ];
    }
    var allLists = items.every(function (x) {
      return x instanceof List;
    });
    if (allLists) {
      items.forEach(function (row) {
        var flat = row.items.every(function (x) {
          return x instanceof Scalar;
        });
        if (!flat) throw new Fail("it nests lists deeper than a matrix");
      });
      var lengths = items.map(function (r) {
        return r.items.length;
      });
      for (var j = 1; j < lengths.length; j++) {
        if (lengths[j] !== lengths[0]) {
          throw new Fail(
            "its rows have different lengths: row 1 has " + lengths[0] + " entr" +
            (lengths[0] === 1 ? "y" : "ies") + " but row " + (j + 1) + " has " + lengths[j]
          );
        }
      }
      var total = lengths.reduce(function (a, b) {
        return a + b;
      }, 0);
      if (total > MAX_ENTRIES) throw new Fail("it has " + total + " numbers; at most " + MAX_ENTRIES + " are read");
      return [
        "matrix",
        items.map(function (r) {
          return r.items.map(function (x) {
            return x.value;
          });
        }),
        items.map(function (r) {
          return r.items.map(function (x) {
            return x.figures;
          });
        })
      ];
    }
    throw new Fail("it mixes numbers and lists in one list");
  }

  function readNumeric(text, kind) {
    var node;
    var readKind;
    var value;
    var figures;
    try {
      var stripped = strip(text);
      if (!stripped) throw new Fail("the answer is empty");
      var parser = new Parser(tokenize(stripped));
      node = parser.rows(null);
      if (node.items.length === 1 && !node.comma) node = node.items[0];
      var c = classify(node);
      readKind = c[0];
      value = c[1];
      figures = c[2];
    } catch (exc) {
      if (exc instanceof Fail) {
        throw new ParseError(
          "could not read " + show(text) + " as " + WHAT[kind] + ": " + exc.message + "; try " + examples(kind)
        );
      }
      throw exc;
    }
    if (kind === readKind) return [value, figures];
    if (kind === "vector") {
      if (readKind === "number") return [[value], [figures]];
      if (value.length === 1) return [value[0].slice(), figures[0].slice()];
      if (value.length && value[0].length === 1) {
        return [
          value.map(function (row) {
            return row[0];
          }),
          figures.map(function (row) {
            return row[0];
          })
        ];
      }
    }
    if (kind === "matrix") {
      if (readKind === "number") return [[[value]], [[figures]]];
      return value.length ? [[value.slice()], [figures.slice()]] : [[], []];
    }
    var hint = "";
    if (kind === "number" && readKind === "vector" && node instanceof List) {
      if (node.comma) {
        hint = " (a comma separates entries: write 0.5, not 0,5, and 1000, not 1,000)";
      } else if (node.space) {
        hint = " (a space separates entries: write products with *, as in 2*pi, and differences as 1 - 2 or 1-2)";
      }
    }
    throw new ParseError(
      "expected " + WHAT[kind] + ", but read " + dimsPhrase(readKind, value) + hint + "; try " + examples(kind)
    );
  }

  // ------------------------------------------------------------------------------------------
  // Shapes

  // A port of reader._ERROR_WORDS, _EXCEPTION_NAMES and _denies_error.
  var ERROR_WORDS = [
    "error", "an error", "raises", "raise", "it raises", "raises an error", "it raises an error",
    "exception", "an exception", "raises an exception", "it raises an exception",
    "runtimeerror", "indexerror", "valueerror", "typeerror"
  ];
  var EXCEPTION_NAMES = "RuntimeError|IndexError|ValueError|TypeError|OutOfMemoryError|AssertionError|NotImplementedError";
  var NEGATIONS = ["no", "not", "never", "none", "nothing", "without", "cannot", "doesnt", "dont", "isnt", "wont", "nope"];
  var ERROR_TERMS = ["error", "errors", "raise", "raises", "raised", "exception", "exceptions", "throw", "throws", "fail", "fails", "crash", "crashes"];
  var SUCCESS_WORDS = ["no", "none", "nope", "works", "it works", "fine", "ok", "okay", "succeeds", "it succeeds"];

  function deniesError(text) {
    var s = strip(text);
    if (EXCEPTION_RE.test(s)) return false;
    var spaced = s.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().split("n't").join("nt").split("n\u2019t").join("nt");
    var words = spaced.match(/[a-z]+/g) || [];
    if (SUCCESS_WORDS.indexOf(words.join(" ")) >= 0) return true;
    var negated = words.some(function (w) { return NEGATIONS.indexOf(w) >= 0; });
    return negated && words.some(function (w) { return ERROR_TERMS.indexOf(w) >= 0; });
  }

  function judgeDenial(key, text) {
    if (key === "error") return verdict("wrong", "Wrong: this does raise an error.", "no error");
    return verdict(
      "unreadable",
      "could not read " + show(text) + " as a shape: it says there is no error, so give the shape of the result; try " + examples("shape")
    );
  }
  var SHAPE_SEPARATORS = ",xX×";

  function readShape(text) {
    try {
      return readShapeInner(text);
    } catch (exc) {
      if (exc instanceof Fail) {
        throw new ParseError("could not read " + show(text) + " as a shape: " + exc.message + "; try " + examples("shape"));
      }
      throw exc;
    }
  }

  function skipSpace(cs, i) {
    while (i < cs.length && isSpace(cs[i])) i++;
    return i;
  }

  function matchWordCI(cs, i, word) {
    if (i + word.length > cs.length) return false;
    return cs.slice(i, i + word.length).join("").toLowerCase() === word;
  }

  // (?:torch\s*\.\s*)?size\s*\((.*)\) as a full match, case-insensitive: the text inside the
  // brackets, or null.
  function sizeInner(s) {
    var cs = chars(s);
    var starts = [0];
    if (matchWordCI(cs, 0, "torch")) {
      var j = skipSpace(cs, 5);
      if (cs[j] === ".") starts.push(skipSpace(cs, j + 1));
    }
    for (var k = starts.length - 1; k >= 0; k--) {
      var i = starts[k];
      if (!matchWordCI(cs, i, "size")) continue;
      var o = skipSpace(cs, i + 4);
      if (cs[o] !== "(" || cs.length < o + 2 || cs[cs.length - 1] !== ")") continue;
      return cs.slice(o + 1, cs.length - 1).join("");
    }
    return null;
  }

  function readShapeInner(text) {
    var s = strip(text);
    if (!s) throw new Fail("the answer is empty");
    var word = splitWords(rstripChars(s.toLowerCase(), ".!")).join(" ");
    if (ERROR_WORDS.indexOf(word) >= 0) return "error";
    var inner = sizeInner(s);
    if (inner !== null) {
      s = strip(inner);
      if (!s) return [];
      if (s[0] !== "(" && s[0] !== "[") {
        throw new Fail("inside torch.Size(...) write a list, as in torch.Size([3, 1, 4])");
      }
    }

    var cs = chars(s);
    var toks = [];
    var space = false;
    var i = 0;
    while (i < cs.length) {
      var c = cs[i];
      var pos = i + 1;
      var t;
      if (isDigit(c)) {
        var j = i;
        while (isDigit(cs[j])) j++;
        if (cs[j] === ".") {
          j++;
          while (isDigit(cs[j])) j++;
        }
        t = cs.slice(i, j).join("");
        i = j;
      } else if (c === "." && isDigit(cs[i + 1])) {
        var j3 = i + 1;
        while (isDigit(cs[j3])) j3++;
        t = cs.slice(i, j3).join("");
        i = j3;
      } else {
        t = c;
        i += 1;
      }
      if (SPACES[t] || t === "\r" || t === "\n") {
        space = true;
        continue;
      }
      if (/^[0-9]+$/.test(t)) {
        toks.push(["int", t, pos, space]);
      } else if ("0123456789.".indexOf(t[0]) >= 0) {
        if (t === ".") throw new Fail("a '.' at position " + pos + " is not part of a number");
        throw new Fail(clip(t) + " is not a whole number; shape entries are whole numbers");
      } else if (SHAPE_SEPARATORS.indexOf(t) >= 0) {
        toks.push(["sep", t, pos, space]);
      } else if (t === "(" || t === "[") {
        toks.push(["open", t, pos, space]);
      } else if (t === ")" || t === "]") {
        toks.push(["close", t, pos, space]);
      } else if (t === "-" || t === "\u2212") {
        throw new Fail("shape entries cannot be negative");
      } else {
        throw new Fail("unexpected character '" + showChar(t) + "' at position " + pos);
      }
      space = false;
    }

    var bracketed = toks.length > 0 && toks[0][0] === "open";
    if (bracketed) {
      var closer = toks[0][1] === "(" ? ")" : "]";
      if (toks[toks.length - 1][0] !== "close" || toks.length < 2) {
        throw new Fail("the '" + toks[0][1] + "' is never closed: add '" + closer + "'");
      }
      if (toks[toks.length - 1][1] !== closer) {
        throw new Fail("'" + toks[0][1] + "' is closed by '" + toks[toks.length - 1][1] + "'");
      }
      toks = toks.slice(1, -1);
    }
    toks.forEach(function (tk) {
      if (tk[0] === "open" || tk[0] === "close") {
        throw new Fail("unexpected '" + clip(tk[1]) + "' at position " + tk[2] + ": a shape is one list of whole numbers");
      }
    });

    var dims = [];
    var expectNumber = true;
    var lastSep = "";
    toks.forEach(function (tk) {
      if (tk[0] === "int") {
        if (!expectNumber && !tk[3]) throw new Fail("unexpected '" + clip(tk[1]) + "' at position " + tk[2]);
        if (tk[1].replace(/^0+/, "").length > MAX_SHAPE_DIGITS) throw new Fail(clip(tk[1]) + " is too large for a dimension");
        dims.push(parseInt(tk[1], 10));
        if (dims.length > MAX_DIMS) throw new Fail("it has more than " + MAX_DIMS + " dimensions");
        expectNumber = false;
      } else {
        if (expectNumber) throw new Fail("the '" + clip(tk[1]) + "' at position " + tk[2] + " has no number before it");
        expectNumber = true;
        lastSep = tk[1];
      }
    });
    if (dims.length && expectNumber && !(lastSep === "," && (bracketed || dims.length === 1))) {
      throw new Fail("it ends with '" + lastSep + "'");
    }
    if (!dims.length && !bracketed) throw new Fail("it has no dimensions; write () for a 0-d tensor");
    return dims;
  }

  // ------------------------------------------------------------------------------------------
  // Reading and comparing

  // What people paste or type around a value (a port of reader._tidy in Python).
  var EXCEPTION_RE = new RegExp("^(?:[A-Za-z_][A-Za-z0-9_]*\\.)*(?:" + EXCEPTION_NAMES + ")(?:\\s*:[\\s\\S]*)?$");
  var LABEL_RE = /^[A-Za-z_][A-Za-z0-9_ ]{0,30}[=:]\s*(\S[\s\S]*)$/;
  var APPROX_RE = /^(?:≈|~|about\s+|approx\.?\s+|approximately\s+)\s*(\S[\s\S]*)$/i;
  var ELLIPSIS_RE = /^([\s\S]*[0-9])\s*(?:\.\.\.|…)$/;
  var WRAPPER_RE = /^(?:torch\.|np\.|numpy\.)?(?:tensor|array)\(([\s\S]*?)(?:,\s*(?:dtype|device|requires_grad|grad_fn)\s*=[\s\S]*)?\)$/;
  var SQRT_RE = /sqrt\s+([0-9]+(?:\.[0-9]*)?)/g;
  var VULGAR = [["½", "(1/2)"], ["⅓", "(1/3)"], ["⅔", "(2/3)"], ["¼", "(1/4)"], ["¾", "(3/4)"], ["⅕", "(1/5)"], ["⅙", "(1/6)"], ["⅛", "(1/8)"]];
  var NOT_LABELS = ["lambda", "def", "class", "import", "exec", "eval", "return", "torch", "size"];
  var SCALAR_WORDS = ["scalar", "a scalar", "0-d", "0d", "a 0-d tensor", "0-d tensor"];

  function tidy(text, kind) {
    var s = strip(text);
    var m;
    if (kind === "shape") {
      if (EXCEPTION_RE.test(s)) return "error";
      if (SCALAR_WORDS.indexOf(splitWords(s.toLowerCase()).join(" ")) >= 0) return "()";
    }
    m = LABEL_RE.exec(s);
    if (m !== null && NOT_LABELS.indexOf(rstripChars(splitWords(s)[0], "=:").toLowerCase()) < 0) s = strip(m[1]);
    m = kind === "shape" ? null : APPROX_RE.exec(s);
    if (m !== null) s = strip(m[1]);
    m = ELLIPSIS_RE.exec(s);
    if (m !== null) s = m[1];
    m = WRAPPER_RE.exec(s);
    if (m !== null) s = strip(m[1]);
    VULGAR.forEach(function (pair) {
      s = s.split(pair[0]).join(pair[1]);
    });
    s = s.replace(SQRT_RE, "sqrt($1)");
    if (kind === "shape") {
      s = s.replace(/^(?:shape|size)\s+(?=[(\[0-9])/i, "");
      s = s.replace(/\s+by\s+/gi, " x ");
    }
    return s;
  }

  function read(text, kind) {
    if (KINDS.indexOf(kind) < 0) throw new Error("unknown answer kind " + kind);
    if (chars(text).length > MAX_LENGTH) {
      throw new ParseError(
        "could not read " + show(text) + " as " + WHAT[kind] + ": the answer is " + chars(text).length +
        " characters long and at most " + MAX_LENGTH + " are read; try " + examples(kind)
      );
    }
    text = tidy(text, kind);
    if (kind === "shape") return [readShape(text), null];
    return readNumeric(text, kind);
  }

  function parse(text, kind) {
    return read(text, kind)[0];
  }

  function asNumber(x) {
    return typeof x === "number" && isFinite(x) ? x : null;
  }

  function asVector(x) {
    if (!Array.isArray(x)) return null;
    var out = x.map(asNumber);
    return out.some(function (v) {
      return v === null;
    }) ? null : out;
  }

  function asMatrix(x) {
    if (!Array.isArray(x)) return null;
    var rows = x.map(asVector);
    if (rows.some(function (r) {
      return r === null;
    })) return null;
    if (rows.length && rows.some(function (r) {
      return r.length !== rows[0].length;
    })) return null;
    return rows;
  }

  function asShape(x) {
    if (x === "error") return "error";
    if (!Array.isArray(x)) return null;
    if (x.some(function (v) {
      return typeof v !== "number" || Math.floor(v) !== v || v < 0;
    })) return null;
    return x.slice();
  }

  function matrixDims(m) {
    return [m.length, m.length ? m[0].length : 0];
  }

  function close(kind, key, other, tol) {
    if (kind === "formula") return formulaEquivalent(key, other);
    if (kind === "shape") {
      var a = asShape(key);
      var b = asShape(other);
      if (a === null || b === null) return false;
      if (a === "error" || b === "error") return a === b;
      return a.length === b.length && a.every(function (v, i) {
        return v === b[i];
      });
    }
    if (kind === "number") {
      var k = asNumber(key);
      var x = asNumber(other);
      return k !== null && x !== null && tol.accepts(k, x);
    }
    if (kind === "vector") {
      var kv = asVector(key);
      var xv = asVector(other);
      if (kv === null || xv === null || kv.length !== xv.length) return false;
      return kv.every(function (kk, i) {
        return tol.accepts(kk, xv[i]);
      });
    }
    var km = asMatrix(key);
    var xm = asMatrix(other);
    if (km === null || xm === null) return false;
    var dk = matrixDims(km);
    var dx = matrixDims(xm);
    if (dk[0] !== dx[0] || dk[1] !== dx[1]) return false;
    return km.every(function (row, r) {
      return row.every(function (kk, c) {
        return tol.accepts(kk, xm[r][c]);
      });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Describing and formatting

  function describeExpected(kind, value) {
    if (kind === "number") return "a number";
    if (kind === "vector") return dimsPhrase("vector", value);
    if (kind === "matrix") return dimsPhrase("matrix", value);
    if (kind === "formula") {
      var names = Object.keys(value.symbols);
      return "a formula in " + (names.length > 1 ? names.slice(0, -1).join(", ") + " and " + names[names.length - 1] : names[0]);
    }
    return "a shape such as (3, 1, 4), or error";
  }

  function formatNumber(x) {
    // Six significant figures; a whole number (a count) exactly, whatever its size.
    x = Number(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x === 0 ? 0 : x);
    return formatG(x, 6);
  }

  function formatValue(kind, value) {
    if (kind === "formula") return formulaText(readFormula(value.formula, value.symbols));
    if (kind === "number") return formatNumber(value);
    if (kind === "vector") return "[" + value.map(formatNumber).join(", ") + "]";
    if (kind === "matrix") {
      return "[" + value.map(function (row) {
        return formatValue("vector", row);
      }).join(", ") + "]";
    }
    if (value === "error") return "error";
    return "torch.Size([" + value.map(function (v) {
      return String(v);
    }).join(", ") + "])";
  }

  // ------------------------------------------------------------------------------------------
  // Judging

  function isRounding(typed, figures, key) {
    if (figures === null || figures === undefined || key === 0 || typed === 0 || (typed > 0) !== (key > 0)) {
      return false;
    }
    var n = figures[0];
    var place = figures[1];
    var unit = Math.pow(10, place);
    var lead = Math.pow(10, place + n - 1);
    if (!isFinite(unit) || !isFinite(lead)) return false;
    if (Math.abs(typed - key) > 0.5 * unit * (1 + SLACK)) return false;
    return Math.abs(key) >= (lead - 0.05 * unit) * (1 - SLACK);
  }

  function figuresNeeded(key, tol) {
    for (var m = 1; m < 18; m++) {
      if (tol.accepts(key, Number(formatE(key, m - 1)))) return m;
    }
    return 17;
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function entries(n) {
    return n + " entr" + (n === 1 ? "y" : "ies");
  }

  function rstrip(s) {
    var cs = chars(s);
    var j = cs.length;
    while (j > 0 && isSpace(cs[j - 1])) j--;
    return cs.slice(0, j).join("");
  }

  // Every known mistake the answer matches is named (two can give the same value here).
  function misconceptionNote(ms) {
    if (ms.length === 1) {
      return rstrip("that is the value you get from a known mistake (" + ms[0].name + "). " + (ms[0].description || ""));
    }
    var names = ms.map(function (m) {
      return m.name;
    }).join(", ");
    var descriptions = ms.map(function (m) {
      return m.description || "";
    }).join(" ");
    return rstrip("that is the value you get from any of " + ms.length + " known mistakes (" + names + "). " + descriptions);
  }

  function findMisconceptions(kind, given, misconceptions, tol) {
    return misconceptions.filter(function (m) {
      return close(kind, m.value, given, tol);
    });
  }

  function first(ms) {
    return ms.length ? ms[0] : null;
  }

  function where(kind, wrong, limit) {
    limit = limit === undefined ? 6 : limit;
    var parts;
    var head;
    if (kind === "vector") {
      parts = wrong.slice(0, limit).map(function (w) {
        return String(w[0] + 1);
      });
      head = wrong.length === 1 ? "entry " : "entries ";
    } else {
      parts = wrong.slice(0, limit).map(function (w) {
        return "row " + (w[0] + 1) + ", column " + (w[1] + 1);
      });
      head = "";
    }
    if (wrong.length > limit) {
      var listed = kind === "matrix" ? parts.join("; ") : parts.join(", ");
      return head + listed + " and " + (wrong.length - limit) + " more";
    }
    if (parts.length === 1) return head + parts[0];
    var joiner = kind === "matrix" ? "; " : ", ";
    return head + parts.slice(0, -1).join(joiner) + " and " + parts[parts.length - 1];
  }

  function verdict(status, message, given, misconception, right, total, wrong) {
    return {
      status: status,
      message: message,
      given: given === undefined ? null : given,
      misconception: misconception || null,
      entries_right: right === undefined ? null : right,
      entries_total: total === undefined ? null : total,
      wrong_entries: wrong || []
    };
  }

  function judgeShape(key, given, misconceptions, tol) {
    var shown = formatValue("shape", given);
    if (close("shape", key, given, tol)) {
      return verdict("right", given === "error" ? "Right: it raises an error." : "Right: " + shown + ".", given);
    }
    var ms = findMisconceptions("shape", given, misconceptions, tol);
    var message = given === "error" ? "Wrong: this does not raise an error." : "Wrong: the result is not " + shown + ".";
    if (ms.length) message = message.slice(0, -1) + "; " + misconceptionNote(ms);
    return verdict("wrong", message, given, first(ms));
  }

  function judgeNumber(key, given, figures, tol, misconceptions) {
    var shown = formatValue("number", given);
    if (tol.accepts(key, given)) return verdict("right", "Right: the answer is " + formatValue("number", key) + ".", given);
    var ms = findMisconceptions("number", given, misconceptions, tol);
    if (ms.length) return verdict("wrong", "Wrong: " + shown + " — " + misconceptionNote(ms), given, ms[0]);
    if (isRounding(given, figures, key)) {
      var need = figuresNeeded(key, tol);
      return verdict(
        "too-few-figures",
        shown + " is the answer rounded to " + plural(figures[0], "significant figure") +
          ", which is too coarse to check: give at least " + need + " significant figures.",
        given
      );
    }
    return verdict("wrong", "Wrong: " + shown + " does not match the answer " + tol.phrase() + ".", given);
  }

  function judgeArray(kind, keyValue, given, figures, tol, misconceptions) {
    var keyRows;
    var givenRows;
    var figureRows;
    var dimsKey;
    var dimsGiven;
    if (kind === "vector") {
      keyRows = [keyValue.map(Number)];
      givenRows = [given];
      figureRows = [figures];
      dimsKey = [keyRows[0].length];
      dimsGiven = [given.length];
    } else {
      keyRows = keyValue.map(function (row) {
        return row.map(Number);
      });
      givenRows = given;
      figureRows = figures;
      dimsKey = matrixDims(keyRows);
      dimsGiven = matrixDims(given);
    }
    var keyDesc = describeExpected(kind, keyValue);
    var total = keyRows.reduce(function (a, r) {
      return a + r.length;
    }, 0);

    var sameDims = dimsKey.length === dimsGiven.length && dimsKey.every(function (d, i) {
      return d === dimsGiven[i];
    });
    var m;
    var message;
    if (!sameDims) {
      var dimsMs = findMisconceptions(kind, given, misconceptions, tol);
      var got;
      if (kind === "vector") {
        got = "got " + dimsGiven[0];
      } else {
        got = "got " + dimsGiven[0] + "×" + dimsGiven[1];
      }
      message = "Wrong: expected " + keyDesc + ", " + got + ".";
      if (dimsMs.length) message = message.slice(0, -1) + "; " + misconceptionNote(dimsMs);
      return verdict("wrong", message, given, first(dimsMs), 0, total, []);
    }

    var wrong = [];
    var coarse = 0;
    var need = 0;
    keyRows.forEach(function (krow, r) {
      krow.forEach(function (k, c) {
        var x = givenRows[r][c];
        var f = figureRows[r][c];
        if (tol.accepts(k, x)) return;
        wrong.push(kind === "vector" ? [c] : [r, c]);
        if (isRounding(x, f, k)) {
          coarse += 1;
          need = Math.max(need, figuresNeeded(k, tol));
        }
      });
    });
    var right = total - wrong.length;
    if (!wrong.length) return verdict("right", "Right: all " + entries(total) + " match.", given, null, right, total, []);
    var ms = findMisconceptions(kind, given, misconceptions, tol);
    m = first(ms);
    if (coarse === wrong.length && m === null) {
      var verb = wrong.length === 1 ? "is" : "are";
      return verdict(
        "too-few-figures",
        right + " of " + entries(total) + " are right, and " + where(kind, wrong) + " " + verb +
          " the answer rounded to too few significant figures (counting from 1): give at least " + need + ".",
        given, null, right, total, wrong
      );
    }
    message = "Wrong: " + right + " of " + entries(total) + " right; wrong: " + where(kind, wrong) + " (counting from 1).";
    if (ms.length) message = message.slice(0, -1) + "; " + misconceptionNote(ms);
    return verdict("wrong", message, given, m, right, total, wrong);
  }

  /**
   * Judge typed text against a key, exactly as quizgen.judge.judge does.
   *
   * kind: number | vector | matrix | shape; key: the answer's JSON value;
   * tolerance: {rel, abs} (null for the defaults); misconceptions: [{name, value, description}].
   * Returns {status, message, given, misconception, entries_right, entries_total, wrong_entries}.
   */
  // ------------------------------------------------------------------------------------------
  // Formulas: a port of quizgen/core/formula.py (reader, sample points, equivalence)

  var MAX_FORMULA_LENGTH = 400;
  var MAX_FORMULA_DEPTH = 16;
  var MAX_FORMULA_NODES = 200;
  var MAX_EXPONENT = 64;
  var FORMULA_FUNCTIONS = ["sqrt", "exp", "log", "ln", "sin", "cos", "abs"];
  var GREEK = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", eta: "η", theta: "θ",
    lambda: "λ", mu: "μ", rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", omega: "ω"
  };
  var DOMAINS = {
    size: [3, 7, 2, 11, 5, 13, 4, 9],
    positive: [0.7, 1.9, 3.1, 0.35, 2.6, 5.3, 1.15, 4.4],
    real: [0.7, -1.3, 2.2, -0.45, 1.6, -2.7, 3.4, -0.9],
    unit: [0.15, 0.35, 0.55, 0.75, 0.9, 0.25, 0.65, 0.45]
  };
  var POINTS = 8;
  var RTOL = 1e-9;
  var FORMULA_OPS = { "+": "+", "-": "-", "\u2212": "-", "*": "*", "·": "*", "×": "*", "/": "/", "÷": "/", "^": "^" };
  var CHARACTER_NAMES = { "π": "pi" };
  Object.keys(GREEK).forEach(function (name) {
    CHARACTER_NAMES[GREEK[name]] = name;
  });
  var PRECEDENCE = { add: 1, sub: 1, mul: 2, div: 2, neg: 3, pow: 4 };
  var SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";

  function has(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  function formulaTokens(text) {
    var cs = chars(text);
    var out = [];
    var i = 0;
    var space = false;
    while (i < cs.length) {
      var c = cs[i];
      if (has(SPACES, c)) {
        space = true;
        i++;
        continue;
      }
      var end = matchNumber(cs, i);
      if (end !== null) {
        out.push(["num", cs.slice(i, end).join(""), space]);
        i = end;
      } else if (isAlpha(c)) {
        var j = i + 1;
        while (isAlpha(cs[j]) || isDigit(cs[j])) j++;
        out.push(["name", cs.slice(i, j).join(""), space]);
        i = j;
      } else if (has(CHARACTER_NAMES, c)) {
        out.push(["name", CHARACTER_NAMES[c], space]);
        i++;
      } else if (c === "√") {
        out.push(["sqrt", c, space]);
        i++;
      } else if (c === "*" && cs[i + 1] === "*") {
        out.push(["op", "^", space]);
        i += 2;
      } else if (has(FORMULA_OPS, c)) {
        out.push(["op", FORMULA_OPS[c], space]);
        i++;
      } else if (SUPERSCRIPT_DIGITS.indexOf(c) >= 0) {
        var k = i;
        var digits = "";
        while (k < cs.length && SUPERSCRIPT_DIGITS.indexOf(cs[k]) >= 0) digits += String(SUPERSCRIPT_DIGITS.indexOf(cs[k++]));
        out.push(["op", "^", space]);
        out.push(["num", digits, false]);
        i = k;
      } else if (c === "(" || c === ")") {
        out.push([c, c, space]);
        i++;
      } else if (c === "=") {
        throw new Fail("type only the expression, not an equation");
      } else {
        throw new Fail("unexpected character '" + showChar(c) + "' at position " + (i + 1));
      }
      space = false;
    }
    out.push(["end", "", space]);
    return out;
  }

  // The one way name splits into declared names, or null (none or several).
  function splitName(name, names) {
    var cs = chars(name);
    var count = [1];
    var path = [[]];
    for (var end = 1; end <= cs.length; end++) {
      count[end] = 0;
      path[end] = null;
      for (var start = 0; start < end; start++) {
        var piece = cs.slice(start, end).join("");
        if (count[start] > 0 && has(names, piece)) {
          count[end] = Math.min(2, count[end] + count[start]);
          if (path[end] === null) path[end] = path[start].concat([piece]);
        }
      }
    }
    return count[cs.length] === 1 ? path[cs.length] : null;
  }

  function FormulaParser(text, names) {
    this.toks = formulaTokens(text);
    this.names = names;
    this.i = 0;
    this.depth = 0;
    this.nodes = 0;
  }
  FormulaParser.prototype.peek = function () {
    return this.toks[this.i];
  };
  FormulaParser.prototype.take = function () {
    return this.toks[this.i++];
  };
  FormulaParser.prototype.node = function () {
    this.nodes += 1;
    if (this.nodes > MAX_FORMULA_NODES) throw new Fail("the formula has more than " + MAX_FORMULA_NODES + " parts");
    return Array.prototype.slice.call(arguments);
  };
  FormulaParser.prototype.parse = function () {
    if (this.peek()[0] === "end") throw new Fail("the answer is empty");
    var tree = this.sum();
    var t = this.peek();
    if (t[0] !== "end") throw new Fail("unexpected '" + t[1] + "' after a complete expression");
    return tree;
  };
  FormulaParser.prototype.isOp = function (set) {
    var t = this.peek();
    return t[0] === "op" && set.indexOf(t[1]) >= 0;
  };
  FormulaParser.prototype.sum = function () {
    var left = this.product();
    while (this.isOp("+-")) {
      var op = this.take()[1];
      left = this.node(op === "+" ? "add" : "sub", left, this.product());
    }
    return left;
  };
  FormulaParser.prototype.startsFactor = function () {
    return ["num", "name", "sqrt", "("].indexOf(this.peek()[0]) >= 0;
  };
  FormulaParser.prototype.product = function () {
    var left = this.unary();
    var afterDivision = false;
    for (;;) {
      if (this.isOp("*/")) {
        var op = this.take()[1];
        afterDivision = op === "/";
        left = this.node(op === "*" ? "mul" : "div", left, this.unary());
      } else if (this.startsFactor()) {
        if (afterDivision) throw new Fail("a division followed by a product without '*' is ambiguous: write 1/(2*d) or d/2");
        left = this.node("mul", left, this.power());
      } else {
        return left;
      }
    }
  };
  FormulaParser.prototype.unary = function () {
    if (this.isOp("+-")) {
      var op = this.take()[1];
      var inner = this.unary();
      return op === "+" ? inner : this.node("neg", inner);
    }
    return this.power();
  };
  FormulaParser.prototype.power = function () {
    var base = this.atom();
    if (this.isOp("^")) {
      this.take();
      var exponent = this.unary();
      if (!hasSymbol(exponent)) {
        var value = evaluateFormula(exponent, {});
        if (!(Math.abs(value) <= MAX_EXPONENT)) throw new Fail("an exponent is larger than " + MAX_EXPONENT);
      }
      return this.node("pow", base, exponent);
    }
    return base;
  };
  FormulaParser.prototype.nested = function () {
    this.depth += 1;
    if (this.depth > MAX_FORMULA_DEPTH) throw new Fail("brackets and functions are nested more than " + MAX_FORMULA_DEPTH + " deep");
    var inner = this.sum();
    if (this.take()[0] !== ")") throw new Fail("a '(' is not closed");
    this.depth -= 1;
    return inner;
  };
  FormulaParser.prototype.atom = function () {
    var t = this.take();
    if (t[0] === "num") {
      if (!isFinite(Number(t[1]))) throw new Fail("the number " + t[1] + " is too large");
      return this.node("num", t[1]);
    }
    if (t[0] === "(") return this.nested();
    if (t[0] === "sqrt") {
      if (this.peek()[0] === "(") {
        this.take();
        return this.node("call", "sqrt", this.nested());
      }
      return this.node("call", "sqrt", this.atom());
    }
    if (t[0] === "name") return this.name(t[1]);
    if (t[0] === "end") throw new Fail("the expression ends too early");
    throw new Fail("unexpected '" + t[1] + "'");
  };
  FormulaParser.prototype.name = function (text) {
    if (FORMULA_FUNCTIONS.indexOf(text) >= 0) {
      if (this.peek()[0] !== "(") throw new Fail("write " + text + "(…) with brackets");
      this.take();
      return this.node("call", text === "ln" ? "log" : text, this.nested());
    }
    if (has(this.names, text)) return this.node("sym", text);
    if (text === "pi" || text === "e") return this.node("const", text);
    var parts = splitName(text, this.names);
    if (parts === null) {
      var allowed = Object.keys(this.names).concat(["pi", "e"]).join(", ");
      throw new Fail("unknown name '" + text + "': use " + allowed + " and the functions " + FORMULA_FUNCTIONS.join(", ") + ", with * between names");
    }
    var rest = parts.slice(1).map(function (p) {
      return ["name", p, false];
    });
    Array.prototype.splice.apply(this.toks, [this.i, 0].concat(rest));
    return this.node("sym", parts[0]);
  };

  function hasSymbol(node) {
    if (node[0] === "sym") return true;
    for (var k = 1; k < node.length; k++) {
      if (Array.isArray(node[k]) && hasSymbol(node[k])) return true;
    }
    return false;
  }

  function formulaExample(symbols) {
    var names = Object.keys(symbols);
    if (!names.length) names = ["x"];
    var a = names[0];
    var b = names[names.length - 1];
    return "an expression such as 2*" + a + "^2 + " + b + "/4, sqrt(" + a + ") or exp(-" + b + ")";
  }

  function readFormula(text, symbols) {
    try {
      var n = chars(text).length;
      if (n > MAX_FORMULA_LENGTH) throw new Fail("it is " + n + " characters long and at most " + MAX_FORMULA_LENGTH + " are read");
      return new FormulaParser(text, symbols).parse();
    } catch (exc) {
      if (exc instanceof Fail) {
        throw new ParseError("could not read " + show(text) + " as a formula: " + exc.message + "; try " + formulaExample(symbols));
      }
      throw exc;
    }
  }

  // Python's math functions raise where JavaScript returns NaN or ±Infinity; both are
  // "no finite value" here, which is all the comparisons use.
  function evaluateFormula(node, values) {
    var op = node[0];
    if (op === "num") return Number(node[1]);
    if (op === "sym") return values[node[1]];
    if (op === "const") return node[1] === "pi" ? Math.PI : Math.E;
    if (op === "neg") return -evaluateFormula(node[1], values);
    if (op === "call") {
      var x = evaluateFormula(node[2], values);
      var f = { sqrt: Math.sqrt, exp: Math.exp, log: Math.log, sin: Math.sin, cos: Math.cos, abs: Math.abs }[node[1]];
      return f(x);
    }
    var a = evaluateFormula(node[1], values);
    var b = evaluateFormula(node[2], values);
    if (op === "add") return a + b;
    if (op === "sub") return a - b;
    if (op === "mul") return a * b;
    if (op === "div") return b === 0 ? NaN : a / b;
    return Math.pow(a, b);
  }

  function formulaPoints(symbols) {
    var names = Object.keys(symbols);
    var out = [];
    for (var j = 0; j < POINTS; j++) {
      var p = {};
      names.forEach(function (name, i) {
        p[name] = DOMAINS[symbols[name]][(j + 3 * i) % POINTS];
      });
      out.push(p);
    }
    return out;
  }

  // A port of formula.sample_points: the readable points, then DRAWN points from mulberry32
  // seeded by FNV-1a of the two written formulas.
  var DRAWN = 16;

  function mulberry32(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = Math.imul(a ^ (a >>> 15), a | 1) >>> 0;
      t = ((t + (Math.imul(t ^ (t >>> 7), t | 61) >>> 0)) >>> 0) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
  }

  function drawnValue(domain, r) {
    if (domain === "size") return 1 + (r % 100);
    if (domain === "positive") return (1 + (r % 1000)) / 100;
    if (domain === "unit") return (1 + (r % 999)) / 1000;
    return ((r % 2001) - 1000) / 100;
  }

  function samplePoints(key, other, symbols) {
    var next = mulberry32(hashText(formulaText(key) + "\n" + formulaText(other)));
    var out = formulaPoints(symbols);
    for (var j = 0; j < DRAWN; j++) {
      var p = {};
      Object.keys(symbols).forEach(function (name) {
        p[name] = drawnValue(symbols[name], next());
      });
      out.push(p);
    }
    return out;
  }

  function agree(a, b) {
    return Math.abs(a - b) <= RTOL * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
  }

  // The card's decision (docs/answers.md says what it guarantees): the two agree at every sample
  // point where both have a value, and there is at least one such point.
  function numericallyEqual(key, other, symbols) {
    var used = 0;
    var pts = samplePoints(key, other, symbols);
    for (var j = 0; j < pts.length; j++) {
      var k = evaluateFormula(key, pts[j]);
      var x = evaluateFormula(other, pts[j]);
      if (!isFinite(k) || !isFinite(x)) continue;
      if (!agree(k, x)) return false;
      used += 1;
    }
    return used > 0;
  }

  function differsAt(key, other, values) {
    var k = evaluateFormula(key, values);
    var x = evaluateFormula(other, values);
    return isFinite(k) && !(isFinite(x) && agree(k, x));
  }

  function formulaEquivalent(key, other) {
    try {
      var a = readFormula(key.formula, key.symbols);
      var b = readFormula(other.formula, key.symbols);
      return numericallyEqual(a, b, key.symbols);
    } catch (exc) {
      return false;
    }
  }

  function formulaText(node, parent, right) {
    parent = parent || 0;
    var op = node[0];
    if (op === "num" || op === "sym" || op === "const") return String(node[1]);
    if (op === "call") return node[1] + "(" + formulaText(node[2]) + ")";
    var mine = PRECEDENCE[op];
    var out;
    if (op === "neg") {
      out = "-" + formulaText(node[1], mine);
    } else if (op === "pow") {
      out = formulaText(node[1], mine + 1) + "^" + formulaText(node[2], mine, true);
    } else {
      var sign = { add: " + ", sub: " - ", mul: "*", div: "/" }[op];
      out = formulaText(node[1], mine) + sign + formulaText(node[2], mine, true);
    }
    var needs = mine < parent || (mine === parent && right && op !== "pow");
    return needs ? "(" + out + ")" : out;
  }

  function finiteOrUndefined(x) {
    return isFinite(x) ? formatNumber(x) : "no finite value";
  }

  function judgeFormula(key, text, misconceptions) {
    var symbols = key.symbols;
    var typed;
    try {
      typed = readFormula(text, symbols);
    } catch (exc) {
      if (exc instanceof ParseError) return verdict("unreadable", exc.message);
      throw exc;
    }
    var shown = formulaText(typed);
    var given = { formula: shown, symbols: symbols };
    var keyNode = readFormula(key.formula, symbols);
    if (numericallyEqual(keyNode, typed, symbols)) {
      return verdict("right", "Right: " + shown + " equals the answer " + formulaText(keyNode) + ".", given);
    }
    var ms = findMisconceptions("formula", given, misconceptions, null);
    var pts = samplePoints(keyNode, typed, symbols);
    var point = null;
    for (var j = 0; j < pts.length; j++) {
      if (differsAt(keyNode, typed, pts[j])) {
        point = pts[j];
        break;
      }
    }
    var message;
    if (point === null) {
      message = "Wrong: " + shown + " is not the answer; it differs from the answer.";
    } else {
      var at = Object.keys(point).map(function (name) {
        return name + " = " + formatNumber(point[name]);
      }).join(", ");
      message = "Wrong: " + shown + " is not the answer; at " + at + " it gives " +
        finiteOrUndefined(evaluateFormula(typed, point)) + ", the answer " + finiteOrUndefined(evaluateFormula(keyNode, point)) + ".";
    }
    if (ms.length) message = message.slice(0, -1) + "; " + misconceptionNote(ms);
    return verdict("wrong", message, given, first(ms));
  }

  // A port of verdict._one_row_hint.
  function oneRowHint(key, given) {
    var dims = matrixDims(key);
    var rows = dims[0];
    var cols = dims[1];
    if (rows < 2 || given.length !== 1 || given[0].length !== rows * cols) return "";
    var parts = [];
    for (var r = 0; r < rows; r++) {
      parts.push(given[0].slice(r * cols, (r + 1) * cols).map(formatNumber).join(" "));
    }
    return "it is one row of " + rows * cols + " numbers, and rows are separated by ; or a new line; try " + parts.join("; ");
  }

  function judge(kind, key, text, tolerance, misconceptions, whole) {
    var tol = new Tolerance(tolerance ? tolerance.rel : undefined, tolerance ? tolerance.abs : undefined);
    misconceptions = misconceptions || [];
    if (kind === "formula") return judgeFormula(key, String(text), misconceptions);
    if (kind === "shape" && chars(String(text)).length <= 200 && deniesError(String(text))) return judgeDenial(key, String(text));
    var got;
    try {
      got = read(String(text), kind);
    } catch (exc) {
      if (exc instanceof ParseError) return verdict("unreadable", exc.message);
      throw exc;
    }
    var given = got[0];
    var figures = got[1];
    if (kind === "shape") return judgeShape(key, given, misconceptions, tol);
    if (kind === "number") {
      if (whole && !Number.isInteger(given)) {
        return verdict("wrong", "Wrong: " + show(String(text)) + " is not a whole number, and the answer counts things, so it is one.", given);
      }
      return judgeNumber(Number(key), given, figures, tol, misconceptions);
    }
    if (kind === "matrix") {
      var hint = oneRowHint(key, given);
      if (hint) return verdict("unreadable", "could not read " + show(String(text)) + " as " + describeExpected(kind, key) + ": " + hint);
    }
    return judgeArray(kind, key, given, figures, tol, misconceptions);
  }

  // ------------------------------------------------------------------------------------------
  // On the card

  /**
   * What the learner typed, read from Anki's type-answer comparison (<code id=typeans>).
   *
   * Anki shows the typed text on the first line (its characters in typeGood/typeBad spans, with
   * typeMissed spans of "-" marking characters it lacks), then an arrow and the expected text.
   * When the typed text equals the expected text there is one line of typeGood spans; when
   * nothing was typed the element holds only the expected text, with no spans. Returns null
   * when there is no comparison (a preview, or a client without type-in answers).
   */
  function readTyped(doc) {
    var box = doc.getElementById("typeans");
    if (!box || box.tagName.toLowerCase() === "input") return null;
    var typed = "";
    var sawSpan = false;
    var nodes = box.childNodes;
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (node.nodeType === 1) {
        var tag = node.tagName.toLowerCase();
        if (tag === "br" || node.id === "typearrow") break;
        sawSpan = true;
        if ((" " + node.className + " ").indexOf(" typeMissed ") >= 0) continue;
        typed += node.textContent;
      } else if (node.nodeType === 3 && sawSpan) {
        typed += node.nodeValue;
      }
    }
    return sawSpan ? typed : "";
  }

  // ------------------------------------------------------------------------------------------
  // Fresh numbers at every review (the rotating note type; docs/anki.md)

  var DAY_MS = 86400000;
  var ROLLOVER_MS = 4 * 3600000; // Anki's default: a new day starts at 4 am local time
  var SLOTS = {
    prompt: ".qz-prompt", inputs: ".qz-inputs", solution: ".qz-solution-body",
    mistakes: ".qz-mistakes-body", tolerance: ".qz-tolerance", id: ".qz-id", check: "#qz-check"
  };
  var shownHere = {}; // where no storage is available: what this page showed

  /** The review day (days since 1970 in local time, starting at 4 am) of the time ``now``. */
  function reviewDay(now) {
    var offset = new Date(now).getTimezoneOffset() * 60000;
    return Math.floor((now - offset - ROLLOVER_MS) / DAY_MS);
  }

  function hashText(text) {
    var h = 2166136261; // FNV-1a, 32 bits
    for (var i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 16777619) >>> 0;
    }
    return h;
  }

  /**
   * The variant to show on ``day`` of a note with ``count`` variants. Notes walk through their
   * variants one per day, each from its own starting point; ``last`` ({day, variant}, or null)
   * is what the previous showing used: the same day keeps it, another day never repeats it.
   */
  function chooseVariant(note, count, day, last) {
    if (last && last.day === day && last.variant >= 0 && last.variant < count) return last.variant;
    var v = (((hashText(note) + day) % count) + count) % count;
    if (last && last.variant === v && count > 1) v = (v + 1) % count;
    return v;
  }

  function storage() {
    try {
      var s = root.localStorage || root.sessionStorage;
      s.setItem("quizgen:probe", "1");
      s.removeItem("quizgen:probe");
      return s;
    } catch (e) {
      return null;
    }
  }

  function recall(store, note) {
    var text = store ? store.getItem("quizgen:shown:" + note) : shownHere[note];
    try {
      var rec = text ? JSON.parse(text) : null;
      return rec && typeof rec.day === "number" && typeof rec.variant === "number" ? rec : null;
    } catch (e) {
      return null;
    }
  }

  function remember(store, note, rec) {
    var text = JSON.stringify(rec);
    try {
      if (store) store.setItem("quizgen:shown:" + note, text);
      else shownHere[note] = text;
    } catch (e) {
      shownHere[note] = text;
    }
  }

  /**
   * Show one variant of a rotating note: the front picks it from the review day and records it;
   * the back shows what the front recorded (else the day's choice), so both sides always agree.
   * The chosen variant's parts move into the card's slots; variant 0 is what the fields hold.
   */
  function rotate(doc, now) {
    var boxes = doc.querySelectorAll(".qz-rotation");
    if (!boxes.length) return null;
    var note = boxes[0].getAttribute("data-qz-note") || "";
    var count = parseInt(boxes[0].getAttribute("data-qz-count"), 10) || 1;
    var day = reviewDay(now === undefined ? Date.now() : now);
    var store = storage();
    var last = recall(store, note);
    var variant;
    if (doc.getElementById("qz-verdict")) {
      variant = last && last.variant < count ? last.variant : chooseVariant(note, count, day, null);
    } else {
      variant = chooseVariant(note, count, day, last);
      remember(store, note, { day: day, variant: variant });
    }
    for (var b = 0; b < boxes.length; b++) {
      var box = boxes[b];
      if (box.getAttribute("data-qz-shown") !== null) continue;
      box.setAttribute("data-qz-shown", String(variant));
      var chosen = box.querySelector('[data-qz-variant="' + variant + '"]');
      var parts = chosen ? chosen.children : [];
      for (var p = 0; p < parts.length; p++) {
        var slot = doc.querySelector(SLOTS[parts[p].getAttribute("data-qz-part")] || "#qz-none");
        if (!slot) continue;
        while (slot.firstChild) slot.removeChild(slot.firstChild);
        while (parts[p].firstChild) slot.appendChild(parts[p].firstChild);
      }
    }
    var known = doc.querySelector(".qz-known");
    var mistakes = doc.querySelector(".qz-mistakes-body");
    if (known && mistakes) known.style.display = mistakes.children.length ? "" : "none";
    var card = doc.querySelector(".qz-problem");
    if (card) card.setAttribute("data-qz-variant", String(variant));
    return variant;
  }

  function run(doc) {
    rotate(doc);
    var data = doc.getElementById("qz-check");
    var out = doc.getElementById("qz-verdict");
    if (!data || !out) return null;
    var check;
    try {
      check = JSON.parse(data.textContent);
    } catch (e) {
      out.textContent = "This card's answer data is damaged; rebuild the deck.";
      out.setAttribute("data-status", "error");
      return null;
    }
    var typed = readTyped(doc);
    while (out.firstChild) out.removeChild(out.firstChild);
    if (typed === null) {
      out.setAttribute("data-status", "none");
      return null;
    }
    var v = judge(check.kind, check.key, typed, check.tolerance, check.misconceptions, check.whole === true);
    out.setAttribute("data-status", v.status);
    out.setAttribute("data-misconception", v.misconception ? v.misconception.name : "");
    out.className = "qz-verdict qz-" + v.status;
    if (v.misconception) {
      // The message says right or wrong already; a heading only names a known mistake.
      var head = doc.createElement("div");
      head.className = "qz-verdict-head";
      head.textContent = "Known mistake: " + v.misconception.name;
      out.appendChild(head);
    }
    var body = doc.createElement("div");
    body.className = "qz-verdict-message";
    body.textContent = v.message;
    out.appendChild(body);
    // One verdict on the card: what was typed is shown here, and Anki's own character-by-
    // character comparison (which marks a right "0.437" red against "0.437212") is hidden.
    var typedLine = doc.createElement("div");
    typedLine.className = "qz-verdict-typed";
    typedLine.textContent = "You typed: " + typed;
    out.appendChild(typedLine);
    if (doc.documentElement && doc.documentElement.classList) doc.documentElement.classList.add("qz-judged");
    return v;
  }

  var api = {
    judge: judge,
    parse: parse,
    close: function (kind, key, other, tolerance) {
      return close(kind, key, other, new Tolerance(tolerance ? tolerance.rel : undefined, tolerance ? tolerance.abs : undefined));
    },
    formatG: formatG,
    formatE: formatE,
    formatValue: formatValue,
    readTyped: readTyped,
    reviewDay: reviewDay,
    chooseVariant: chooseVariant,
    rotate: rotate,
    run: run
  };

  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.quizgenJudge = api;
    if (typeof document !== "undefined") run(document);
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
