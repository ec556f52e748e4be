/*
 * quizgen card judge: grades a typed answer on the back of an Anki problem card.
 *
 * A port of quizgen/judge/ and quizgen/core/formula.py (docs/answers.md is the spec). The shared
 * table tests/data/judge_vectors.json checks this file and the Python judge alike, and the test
 * suite runs both on every entry. Typed text is only tokenised and parsed by hand-written code:
 * nothing is handed to eval, Function or any other code path that runs text.
 *
 * Two details follow Python exactly where JavaScript differs by default:
 *  - text is handled as Unicode code points (positions and lengths in messages match Python's),
 *    and "space" is what Python's str.isspace() says;
 *  - numbers in messages are formatted like Python's "%g" / "%e", rounding the exact binary value
 *    half to even (JavaScript's toExponential rounds exact ties up).
 *
 * On a card, the script reads the problem's key and tolerance from the hidden element #qz-check
 * (JSON), reads what was typed from Anki's rendered type-answer comparison (<code id=typeans>),
 * and writes the verdict into #qz-verdict. On a rotating note it first shows the review day's
 * variant (rotate). Under node it only exports the judge (for the tests).
 */
(function (root) {
  "use strict";

  // The judge's data (limits, example answers, word lists, the formula sample domains) is
  // written once, in Python: a deck puts it here (quizgen/judge/card.py), each under the name
  // of its Python original.
  var C = /* the judge's constants: filled in by quizgen/judge/card.py */ null;
  var { MAX_LENGTH, MAX_DEPTH, MAX_ENTRIES, MAX_DIMS, MAX_SHAPE_DIGITS, SLACK, TOLERANCE, EXAMPLES, WHAT } = C;
  var { MAX_PARTS, MAX_EXPONENT, FUNCTIONS, CONSTANTS, SPACES, OPERATORS, SUPERSCRIPTS, CHARACTERS, REFUSED, BINARY, PRECEDENCE } = C;
  var { ERROR_WORDS, EXCEPTION_NAMES, NEGATIONS, ERROR_TERMS, SUCCESS_WORDS, VULGAR, NOT_LABELS, SCALAR_WORDS } = C;
  var { DECIMAL_COMMA_WHY, MAX_FORMULA_LENGTH, DOMAINS, POINTS, DRAWN, DRAWN_RANGES, RTOL } = C;

  // ------------------------------------------------------------------------------------------
  // Python-compatible text helpers

  // The characters for which Python's str.isspace() is true (what strip(), split() and the \s
  // of its regular expressions use), as a regular-expression class; NS is its complement.
  var WS = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var NS = "[^" + WS.slice(1);
  var EDGE_SPACE = new RegExp("^" + WS + "+|" + WS + "+$", "g");
  var TRAILING_SPACE = new RegExp(WS + "+$");
  var SPACE_RUN = new RegExp(WS + "+");

  function has(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  function chars(s) {
    return Array.from(s);
  }

  function strip(s) {
    return s.replace(EDGE_SPACE, "");
  }

  // Python's " ".join(s.split()).
  function collapse(s) {
    return strip(s).split(SPACE_RUN).join(" ");
  }

  // What Python's str.isprintable() refuses (Unicode property escapes: every current Anki client has them).
  var NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

  // One character for a message: printable as is, others as an escape (\n, \x00, \u200b).
  function showChar(c) {
    if (c === " " || !NOT_PRINTABLE.test(c)) return c;
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    var code = c.codePointAt(0);
    return code < 0x100 ? "\\x" + code.toString(16).padStart(2, "0") : "\\u" + code.toString(16).padStart(4, "0");
  }

  function shorten(text, limit, keep) {
    var cs = chars(text);
    if (cs.length > limit) cs = cs.slice(0, keep).concat(["…"]);
    return cs.map(showChar).join("");
  }

  // The typed text, quoted for a message (errors.show_typed).
  function show(text) {
    return "'" + shorten(strip(text), 40, 37) + "'";
  }

  // A piece of the typed text for a message (messages._clip).
  function clip(text) {
    return shorten(text, 24, 23);
  }

  // ------------------------------------------------------------------------------------------
  // Python's number formatting

  // |x| (not 0) rounded to `sig` significant digits, an exact tie half to even as Python does
  // (toExponential takes the larger): the digit string and the decimal exponent of its first
  // digit. A double that can tie has at most 18 digits, so toExponential(100) spells it exactly.
  function roundSig(x, sig) {
    var exact = Math.abs(x).toExponential(100).split("e");
    var digits = exact[0].replace(".", "").replace(/0+$/, "");
    if (digits.length === sig + 1 && /[02468]5$/.test(digits)) return { digits: digits.slice(0, sig), exp: Number(exact[1]) };
    var parts = Math.abs(x).toExponential(sig - 1).split("e");
    return { digits: parts[0].replace(".", ""), exp: Number(parts[1]) };
  }

  // The digits with a decimal point after the first n of them (none when nothing follows).
  function pointAfter(digits, n) {
    return digits.length > n ? digits.slice(0, n) + "." + digits.slice(n) : digits;
  }

  // Python's format(x, ".{p}g").
  function formatG(x, p) {
    p = p === undefined ? 6 : Math.max(p, 1);
    var sign = x < 0 || Object.is(x, -0) ? "-" : "";
    if (x !== x) return "nan";
    if (x === Infinity || x === -Infinity) return sign + "inf";
    if (x === 0) return sign + "0";
    var r = roundSig(x, p);
    var digits = r.digits.replace(/0+$/, "");
    if (r.exp < -4 || r.exp >= p) return sign + pointAfter(digits, 1) + "e" + (r.exp < 0 ? "-" : "+") + String(Math.abs(r.exp)).padStart(2, "0");
    if (r.exp < 0) return sign + "0." + "0".repeat(-r.exp - 1) + digits;
    return sign + pointAfter(digits.padEnd(r.exp + 1, "0"), r.exp + 1);
  }

  // Six significant figures; a whole number (a count) exactly, whatever its size.
  function formatNumber(x) {
    x = Number(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x === 0 ? 0 : x);
    return formatG(x, 6);
  }

  // ------------------------------------------------------------------------------------------
  // Tolerance and messages

  function Tolerance(tolerance) {
    var given = (name) => (tolerance && tolerance[name] !== undefined && tolerance[name] !== null ? tolerance[name] : TOLERANCE[name]);
    this.rel = given("rel");
    this.abs = given("abs");
  }
  Tolerance.prototype.accepts = function (key, x) {
    return Math.abs(x - key) <= Math.max(this.abs, this.rel * Math.abs(key)) * (1 + SLACK);
  };
  Tolerance.prototype.phrase = function () {
    if (this.rel === 0 && this.abs === 0) return "exactly";
    if (this.rel === 0) return "to within " + formatG(this.abs);
    if (this.abs === 0) return "to within " + formatG(this.rel * 100) + "%";
    return "to within " + formatG(this.rel * 100) + "% (or " + formatG(this.abs) + " near zero)";
  };

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function entries(n) {
    return n + " entr" + (n === 1 ? "y" : "ies");
  }

  function dimsPhrase(kind, value) {
    if (kind === "vector") return "a vector of " + plural(value.length, "number");
    return "a " + value.length + "×" + (value.length ? value[0].length : 0) + " matrix";
  }

  // A reason the text could not be read (the caller says what was being read), or why an
  // expression has no value (large: it overflows).
  function Fail(message, large) {
    this.message = message;
    this.large = large === true;
  }

  // The full message of unreadable text.
  function ParseError(message) {
    this.message = message;
  }

  // Runs read(); a Fail becomes "could not read <text> as <what>: <reason>; try <examples>".
  function reading(text, what, tryThis, read) {
    try {
      return read();
    } catch (exc) {
      if (exc instanceof Fail) throw new ParseError("could not read " + show(text) + " as " + what + ": " + exc.message + "; try " + tryThis);
      throw exc;
    }
  }

  // ------------------------------------------------------------------------------------------
  // The one expression language: a port of quizgen/core/expression.py (its grammar is there)


  // One token at a time: a number, a name, **, a superscript power (², ⁻³), a line break or one
  // character (one UTF-16 unit: a character beyond them is refused where it stands, so the
  // positions before it count characters as Python does).
  var TOKEN_RE = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-\u2212]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|\*\*|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\r\n|[\s\S]/y;

  // Tokens {kind, text, pos, space (before)}; kinds num, name, op, sqrt, nl, end, ( ) [ ] , ;
  // each character of separators is read as a comma (a shape's 3x1x4).
  function tokenize(s, separators) {
    var toks = [];
    var space = false;
    var add = function (kind, text, pos) {
      toks.push({ kind: kind, text: text, pos: pos, space: space });
      space = false;
    };
    TOKEN_RE.lastIndex = 0;
    for (var i = 0; i < s.length; i = TOKEN_RE.lastIndex) {
      if (separators && separators.indexOf(s[i]) >= 0) {
        add(",", s[i], i);
        TOKEN_RE.lastIndex = i + 1;
        continue;
      }
      var t = TOKEN_RE.exec(s)[0];
      if (SPACES.indexOf(t) >= 0) {
        space = true;
      } else if (t === "\n" || t === "\r" || t === "\r\n") {
        add("nl", "\n", i);
        space = true;
      } else if (/^[0-9]|^\.[0-9]/.test(t)) {
        add("num", t.replace("\u2212", "-"), i);
      } else if (/^[A-Za-z_]/.test(t)) {
        add("name", t, i);
      } else if (has(CHARACTERS, t)) {
        add("name", CHARACTERS[t], i);
      } else if (t === "√") {
        add("sqrt", t, i);
      } else if (t === "**" || has(OPERATORS, t)) {
        add("op", t === "**" ? "^" : OPERATORS[t], i);
      } else if ("()[],;".indexOf(t) >= 0) {
        add(t, t, i);
      } else if (SUPERSCRIPTS.indexOf(t[t.length - 1]) >= 0) {
        add("op", "^", i);
        if (t[0] === "⁻" || t[0] === "⁺") add("op", t[0] === "⁻" ? "-" : "+", i);
        add("num", Array.from(t.replace(/^[⁻⁺]/, ""), (d) => SUPERSCRIPTS.indexOf(d)).join(""), i);
      } else if (has(REFUSED, t)) {
        throw new Fail(REFUSED[t]);
      } else if (t === ".") {
        throw new Fail("a '.' at position " + (i + 1) + " is not part of a number");
      } else {
        throw new Fail("unexpected character '" + showChar(String.fromCodePoint(s.codePointAt(i))) + "' at position " + (i + 1));
      }
    }
    add("end", "", s.length);
    return toks;
  }

  // The one way name (ASCII, as names are) splits into declared names, or null (none or several).
  function splitName(name, names) {
    var ways = [[[]]]; // ways[end]: at most two ways to split name[0:end]
    for (var end = 1; end <= name.length; end++) {
      ways[end] = [];
      for (var start = 0; start < end; start++) {
        var piece = name.slice(start, end);
        if (has(names, piece)) ways[end] = ways[end].concat(ways[start].map((w) => w.concat([piece]))).slice(0, 2);
      }
    }
    return ways[name.length].length === 1 ? ways[name.length][0] : null;
  }

  function isOp(t, ops) {
    return t.kind === "op" && ops.indexOf(t.text) >= 0;
  }

  function startsOperand(t) {
    return ["num", "name", "sqrt", "(", "["].indexOf(t.kind) >= 0;
  }

  // Recursive descent over the tokens of text; each method reads one precedence level. The tree
  // is arrays: ["num", text], ["sym", name], ["const", "pi" | "e"], ["neg", a], [add | sub | mul |
  // div | pow, a, b], ["call", name, a], and for entries ["list", items, comma, space].
  // symbols: a formula's declared names (null for numbers, vectors and matrices); entries:
  // whether brackets, commas and rows build lists.
  function Parser(text, symbols, entries) {
    this.toks = tokenize(text);
    this.symbols = symbols;
    this.entries = entries;
    this.i = 0;
    this.parts = 0;
    // Whether a space may separate entries in the innermost bracket: yes at the top level and
    // inside [...] of a vector or matrix, no inside (...), function calls and formulas. Its
    // length less one is the depth of brackets (MAX_DEPTH).
    this.spaceSeparates = [entries];
  }

  Parser.prototype.peek = function (k) {
    return this.toks[Math.min(this.i + (k || 0), this.toks.length - 1)];
  };

  Parser.prototype.take = function () {
    var t = this.toks[this.i];
    if (t.kind !== "end") this.i += 1;
    return t;
  };

  // node, which an operation op takes: refused when it is a list.
  Parser.prototype.scalar = function (node, op) {
    if (node[0] === "list") throw new Fail("'" + op + "' cannot be applied to a list");
    return node;
  };

  Parser.prototype.node = function () {
    this.parts += 1;
    if (this.parts > MAX_PARTS) throw new Fail("it has more than " + MAX_PARTS + " numbers, names and operations in one expression");
    return Array.from(arguments);
  };

  Parser.prototype.enter = function (spaceSeparates) {
    if (this.spaceSeparates.length > MAX_DEPTH) throw new Fail("brackets are nested more than " + MAX_DEPTH + " deep");
    this.spaceSeparates.push(spaceSeparates);
  };

  Parser.prototype.leave = function () {
    this.spaceSeparates.pop();
  };

  Parser.prototype.formula = function () {
    if (this.peek().kind === "end") throw new Fail("the answer is empty");
    var tree = this.expr();
    if (this.peek().kind !== "end") throw new Fail(this.unexpected(this.peek()));
    return tree;
  };

  // Entries up to closer (or the end of the text), as a list node; rows of one list stand for that list.
  Parser.prototype.rows = function (closer) {
    var rows = [[]];
    var comma = false;
    var space = false;
    this.skipNewlines();
    while (!this.atClose(closer)) {
      var t = this.peek();
      if (t.kind === "," || t.kind === ";") throw new Fail("the '" + t.kind + "' at position " + (t.pos + 1) + " has no entry before it");
      this.parts = 0;
      rows[rows.length - 1].push(this.expr());
      t = this.peek();
      if (t.kind === ",") {
        this.take();
        comma = true;
        this.skipNewlines();
        t = this.peek();
        if (t.kind === "," || t.kind === ";") throw new Fail("an empty entry at position " + (t.pos + 1));
      } else if (t.kind === ";" || t.kind === "nl") {
        var semicolons = 0;
        while (this.peek().kind === ";" || this.peek().kind === "nl") {
          if (this.take().kind === ";") semicolons += 1;
        }
        if (semicolons > 1) throw new Fail("an empty row between two ';'");
        if (this.atClose(closer)) break;
        rows.push([]);
      } else if (this.atClose(closer)) {
        break;
      } else if (this.startsEntryAfterSpace(t)) {
        space = true;
      } else {
        throw new Fail(this.unexpected(t));
      }
    }
    var items = rows.length === 1 ? rows[0] : rows.map((row) => (row.length === 1 && row[0][0] === "list" ? row[0] : ["list", row, false, false]));
    return ["list", items, comma, space];
  };

  Parser.prototype.skipNewlines = function () {
    while (this.peek().kind === "nl") this.take();
  };

  Parser.prototype.atClose = function (closer) {
    var t = this.peek();
    var at = "' at position " + (t.pos + 1);
    if (closer === null) {
      if (t.kind === ")" || t.kind === "]") throw new Fail("a '" + t.kind + at + " has no matching opening bracket");
      return t.kind === "end";
    }
    if (t.kind === "end") throw new Fail("a '" + (closer === "]" ? "[" : "(") + "' is never closed: add '" + closer + "'");
    if ((t.kind === ")" || t.kind === "]") && t.kind !== closer) {
      throw new Fail("a '" + t.kind + at + " closes a '" + (t.kind === "]" ? "(" : "[") + "' bracket");
    }
    return t.kind === closer;
  };

  // Whether t begins a new space-separated entry (2 or -2 in [1 2 -2]).
  Parser.prototype.startsEntryAfterSpace = function (t) {
    if (!(t.space && this.spaceSeparates[this.spaceSeparates.length - 1])) return false;
    if (startsOperand(t)) return true;
    var nxt = this.peek(1);
    return isOp(t, "+-") && !nxt.space && (startsOperand(nxt) || nxt.kind === "op");
  };

  // Why token t cannot come where it stands.
  Parser.prototype.unexpected = function (t) {
    var at = " at position " + (t.pos + 1);
    if (t.kind === "nl") return "unexpected line break" + at;
    if ([",", ";", "[", "]"].indexOf(t.kind) >= 0 && !this.entries) return "unexpected '" + t.text + "'" + at + ": a formula is one expression";
    if (!startsOperand(t)) return "unexpected '" + clip(t.text) + "'" + at;
    var prev = this.toks[this.i - 1];
    if (prev.kind === "num" && t.kind === "num" && !t.space) return "'" + clip(prev.text) + "' runs straight into '" + clip(t.text) + "'" + at;
    var hint = t.space && this.entries ? "inside ( ) separate entries with commas and write products with *" : "write products with *, as in 2*pi";
    return "'" + clip(t.text) + "' follows '" + clip(prev.text) + "' with no operator" + at + "; " + hint;
  };

  Parser.prototype.expr = function () {
    var left = this.term();
    var t;
    while (isOp((t = this.peek()), "+-") && !this.startsEntryAfterSpace(t)) {
      this.take();
      left = this.node(BINARY[t.text], this.scalar(left, t.text), this.scalar(this.term(), t.text));
    }
    return left;
  };

  // Whether the next token is the right factor of a product written without '*'.
  Parser.prototype.implicitFactor = function () {
    var t = this.peek();
    return ["name", "sqrt", "("].indexOf(t.kind) >= 0 && (!t.space || !this.entries);
  };

  Parser.prototype.term = function () {
    var left = this.unary();
    var afterDivision = false;
    for (;;) {
      var t = this.peek();
      if (isOp(t, "*/")) {
        this.take();
        afterDivision = t.text === "/";
        left = this.node(BINARY[t.text], this.scalar(left, t.text), this.scalar(this.unary(), t.text));
      } else if (this.implicitFactor()) {
        if (afterDivision) {
          var x = t.kind === "name" && t.text.length <= 12 && FUNCTIONS.indexOf(t.text.toLowerCase()) < 0 ? t.text : "x"; // the example in the name typed next
          throw new Fail("a division followed by a product without '*' is ambiguous: write 1/(2*" + x + ") or " + x + "/2");
        }
        left = this.node("mul", this.scalar(left, "*"), this.scalar(this.power(), "*"));
      } else {
        return left;
      }
    }
  };

  Parser.prototype.unary = function () {
    var negative = false;
    while (isOp(this.peek(), "+-")) negative = negative !== (this.take().text === "-");
    var inner = this.power();
    return negative ? this.node("neg", this.scalar(inner, "-")) : inner;
  };

  Parser.prototype.power = function () {
    var base = this.root();
    if (!isOp(this.peek(), "^")) return base;
    this.take();
    base = this.scalar(base, "^");
    var exponent = this.scalar(this.unary(), "^");
    if (this.symbols !== null && !(exponentSize(exponent) <= MAX_EXPONENT)) throw new Fail("an exponent is larger than " + MAX_EXPONENT);
    return this.node("pow", base, exponent);
  };

  Parser.prototype.root = function () {
    var roots = 0;
    while (this.peek().kind === "sqrt") {
      this.take();
      roots += 1;
    }
    if (roots && this.peek().kind === "op") throw new Fail("√ must be followed by a number, a name or a bracket: write √(2)");
    var node = this.primary();
    for (var k = 0; k < roots; k++) node = this.node("call", "sqrt", this.scalar(node, "√"));
    return node;
  };

  Parser.prototype.primary = function () {
    var t = this.take();
    if (t.kind === "num") {
      if (!isFinite(Number(t.text))) throw new Fail(clip(t.text) + " is too large (doubles stop near 1.8e308)");
      return this.node("num", t.text);
    }
    if (t.kind === "name") return this.name(t.text);
    if (t.kind === "(" || (t.kind === "[" && this.entries)) {
      this.enter(t.kind === "[");
      var closer = t.kind === "(" ? ")" : "]";
      var inner;
      if (this.entries) {
        inner = this.rows(closer);
        // (expression) groups; (a, b) and (a,) are lists, as in Python.
        if (t.kind === "(" && !inner[2] && inner[1].length === 1) inner = inner[1][0];
      } else {
        inner = this.expr();
        this.close(closer);
      }
      this.take();
      this.leave();
      return inner;
    }
    if (t.kind === "end") {
      var prev = this.i > 0 ? this.toks[this.i - 1] : null;
      if (prev !== null && prev.kind === "op") throw new Fail("'" + clip(prev.text) + "' at the end has nothing after it");
      throw new Fail("the answer ends too early");
    }
    if (t.kind === "nl") throw new Fail("a line ends in the middle of an expression");
    throw new Fail(this.unexpected(t));
  };

  Parser.prototype.close = function (closer) {
    if (!this.atClose(closer)) throw new Fail(this.unexpected(this.peek()));
  };

  Parser.prototype.name = function (text) {
    var symbols = this.symbols || {};
    if (has(symbols, text)) return this.node("sym", text);
    var word = text.toLowerCase();
    if (FUNCTIONS.indexOf(word) >= 0) {
      if (this.peek().kind !== "(") throw new Fail("write " + word + " with brackets, as in " + word + "(2)");
      this.take();
      this.enter(false);
      this.skipNewlines();
      var arg = this.expr();
      this.skipNewlines();
      if (this.peek().kind === ",") throw new Fail(word + " takes one argument");
      this.close(")");
      this.take();
      this.leave();
      return this.node("call", word === "ln" ? "log" : word, this.scalar(arg, word));
    }
    if (has(CONSTANTS, word)) return this.node("const", word);
    if (["nan", "inf", "infinity"].indexOf(word) >= 0) throw new Fail("'" + clip(text) + "' is not accepted: every answer here is a finite number");
    var parts = splitName(text, symbols);
    if (parts === null) {
      var known = Object.keys(symbols).concat(["pi", "e"]).join(", ");
      var putIn = this.symbols === null ? ": type the number it stands for" : ""; // 1/sqrt(d_k) wants d_k's value
      throw new Fail("'" + clip(text) + "' is not a known name" + putIn + " (use " + known + ", √ and the functions " + FUNCTIONS.join(", ") + ")");
    }
    // The other names are read next, as factors of a product: 4hd^2 is 4*h*d^2.
    var pos = this.peek().pos;
    this.toks.splice(this.i, 0, ...parts.slice(1).map((part) => ({ kind: "name", text: part, pos: pos, space: false })));
    return this.node("sym", parts[0]);
  };

  // ------------------------------------------------------------------------------------------
  // Values in doubles (expression.evaluate): a Fail says why there is none (large: it overflows)

  var MISSING = {}; // thrown for a symbol without a value

  // The functions and operations in doubles: [f, then each [a test of the arguments, why f takes
  // none that fail it]].
  var CALLS = {
    sqrt: [Math.sqrt, [(x) => x >= 0, "it takes the square root of a negative number"]],
    exp: [Math.exp],
    log: [Math.log, [(x) => x > 0, "it takes the log of zero or of a negative number"]],
    sin: [Math.sin],
    cos: [Math.cos],
    abs: [Math.abs]
  };
  var OPERATIONS = {
    add: [(a, b) => a + b],
    sub: [(a, b) => a - b],
    mul: [(a, b) => a * b],
    div: [(a, b) => a / b, [(a, b) => b !== 0, "it divides by zero"]],
    pow: [
      Math.pow,
      [(a, b) => a !== 0 || b >= 0, "it raises 0 to a negative power"],
      [(a, b) => a >= 0 || Number.isInteger(b), "it raises a negative number to a fractional power"]
    ]
  };

  function apply(f, args) {
    for (var k = 1; k < f.length; k++) {
      if (!f[k][0].apply(null, args)) throw new Fail(f[k][1]);
    }
    var v = f[0].apply(null, args);
    if (v !== v) throw new Fail("the result is not a number");
    if (v === Infinity || v === -Infinity) throw new Fail("the result is too large", true);
    return v;
  }

  function evaluate(node, values) {
    var op = node[0];
    if (op === "num") return Number(node[1]);
    if (op === "sym" && !has(values, node[1])) throw MISSING;
    if (op === "sym") return values[node[1]];
    if (op === "const") return CONSTANTS[node[1]];
    if (op === "neg") return -evaluate(node[1], values);
    if (op === "call") return apply(CALLS[node[1]], [evaluate(node[2], values)]);
    if (op === "list") throw new Fail("a list is not a number");
    return apply(OPERATIONS[op], [evaluate(node[1], values), evaluate(node[2], values)]);
  }

  // The size of an exponent in a formula: 0 with symbols (their degree is capped where formulas
  // are compared), NaN or Infinity without a value.
  function exponentSize(node) {
    try {
      return Math.abs(formulaValue(node, {}));
    } catch (exc) {
      if (exc === MISSING) return 0;
      throw exc;
    }
  }

  // Significant figures of an entry typed as a plain number (0.40, -120) and the decimal place of
  // the last one, [n, place]; null for anything else or for a number that is all zeros.
  function literalFigures(node) {
    if (node[0] === "neg") node = node[1];
    if (node[0] !== "num") return null;
    var m = /^([0-9]*)(\.[0-9]*)?(?:e(.*))?$/.exec(node[1].toLowerCase());
    var exp = m[3] ? parseInt(m[3], 10) : 0;
    var digits = (m[1] + (m[2] || "").slice(1)).replace(/^0+/, "");
    // Trailing zeros of a whole number are placeholders (120 has two figures).
    var core = m[2] ? digits : digits.replace(/0+$/, "");
    var place = m[2] ? exp - (m[2].length - 1) : exp + digits.length - core.length;
    return core.length ? [core.length, place] : null;
  }

  // ------------------------------------------------------------------------------------------
  // Numbers, vectors and matrices: the language's entries in doubles (reader._classify)

  function countEntries(n) {
    if (n > MAX_ENTRIES) throw new Fail("it has " + n + " numbers; at most " + MAX_ENTRIES + " are read");
  }

  // The kind read (number, vector or matrix), its value, and the per-entry figures.
  function classify(node) {
    var isList = (x) => x[0] === "list";
    var values = (row) => row.map((x) => evaluate(x, {}));
    if (!isList(node)) return ["number", evaluate(node, {}), literalFigures(node)];
    var items = node[1];
    if (!items.some(isList)) {
      countEntries(items.length);
      return ["vector", values(items), items.map(literalFigures)];
    }
    if (!items.every(isList)) throw new Fail("it mixes numbers and lists in one list");
    var rows = items.map((row) => row[1]);
    if (rows.some((row) => row.some(isList))) throw new Fail("it nests lists deeper than a matrix");
    var j = rows.findIndex((row) => row.length !== rows[0].length);
    if (j > 0) throw new Fail("its rows have different lengths: row 1 has " + entries(rows[0].length) + " but row " + (j + 1) + " has " + rows[j].length);
    countEntries(rows.length ? rows.length * rows[0].length : 0);
    return ["matrix", rows.map(values), rows.map((row) => row.map(literalFigures))];
  }

  // A number, vector or matrix and its per-entry literal figures.
  function readNumeric(text, kind) {
    var node;
    var [readKind, value, figures] = reading(text, WHAT[kind], EXAMPLES[kind], function () {
      var stripped = strip(text);
      if (!stripped) throw new Fail("the answer is empty");
      node = new Parser(stripped, null, true).rows(null);
      if (node[2] && node[3] && /[0-9],[0-9]/.test(stripped)) throw new Fail(DECIMAL_COMMA_WHY);
      if (node[1].length === 1 && !node[2]) node = node[1][0];
      return classify(node);
    });
    if (kind === readKind) return [value, figures];
    if (kind === "vector") {
      if (readKind === "number") return [[value], [figures]];
      if (value.length === 1) return [value[0], figures[0]];
      if (value.length && value[0].length === 1) return [value.map((row) => row[0]), figures.map((row) => row[0])];
    }
    if (kind === "matrix") {
      if (readKind === "number") return [[[value]], [[figures]]];
      // A flat list typed for a matrix is read as one row; the judge says so if the key has several.
      return value.length ? [[value], [figures]] : [[], []];
    }
    var hint = "";
    if (kind === "number" && readKind === "vector" && node[2]) {
      hint = " (a comma separates entries: write 0.5, not 0,5, and 1000, not 1,000)";
    } else if (kind === "number" && readKind === "vector" && node[3]) {
      hint = " (a space separates entries: write products with *, as in 2*pi, and differences as 1 - 2 or 1-2)";
    }
    throw new ParseError("expected " + WHAT[kind] + ", but read " + dimsPhrase(readKind, value) + hint + "; try " + EXAMPLES[kind]);
  }

  // A formula in the declared symbols (formula.read).
  function readFormula(text, symbols) {
    var names = Object.keys(symbols);
    var a = names.length ? names[0] : "x";
    var b = names.length ? names[names.length - 1] : "x";
    var tryThis = "an expression such as 2*" + a + "^2 + " + b + "/4, sqrt(" + a + ") or exp(-" + b + ")";
    return reading(text, "a formula", tryThis, function () {
      var n = chars(text).length;
      if (n > MAX_FORMULA_LENGTH) throw new Fail("it is " + n + " characters long and at most " + MAX_FORMULA_LENGTH + " are read");
      return new Parser(text, symbols, false).formula();
    });
  }

  // A formula's value at values: NaN where it has none, Infinity where it overflows (formula.evaluate).
  function formulaValue(node, values) {
    try {
      return evaluate(node, values);
    } catch (exc) {
      if (exc instanceof Fail) return exc.large ? Infinity : NaN;
      throw exc;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Shapes: a port of quizgen/judge/reader.py

  var SIZE_RE = new RegExp("^(?:torch" + WS + "*\\." + WS + "*)?size" + WS + "*\\(([\\s\\S]*)\\)$", "i");

  function deniesError(text) {
    var s = strip(text);
    if (EXCEPTION_RE.test(s)) return false; // a pasted exception: its message may say "cannot", and it raised
    var spaced = s.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().split("n't").join("nt").split("n\u2019t").join("nt");
    var words = spaced.match(/[a-z]+/g) || [];
    if (SUCCESS_WORDS.indexOf(words.join(" ")) >= 0) return true;
    return words.some((w) => NEGATIONS.indexOf(w) >= 0) && words.some((w) => ERROR_TERMS.indexOf(w) >= 0);
  }

  function readShape(text) {
    var s = strip(text);
    if (!s) throw new Fail("the answer is empty");
    if (ERROR_WORDS.indexOf(collapse(s.toLowerCase().replace(/[.!]+$/, ""))) >= 0) return "error";
    var m = SIZE_RE.exec(s);
    if (m !== null) {
      s = strip(m[1]);
      if (!s) return [];
      if (s[0] !== "(" && s[0] !== "[") throw new Fail("inside torch.Size(...) write a list, as in torch.Size([3, 1, 4])");
    }

    // The expression language's tokens; a shape is whole numbers, brackets and separators, and a
    // message quotes the character typed (², not the ^ it reads as). % and = are only unexpected.
    var end = 0;
    while (end < s.length && !has(REFUSED, s[end])) end++;
    var toks = tokenize(s.slice(0, end), "xX×").filter((tk) => tk.kind !== "nl" && tk.kind !== "end");
    for (var tk of toks) {
      var mantissa = tk.kind === "num" ? /^[0-9.]*/.exec(tk.text)[0] : tk.text;
      if (tk.kind === "num" && mantissa.indexOf(".") >= 0) throw new Fail(clip(mantissa) + " is not a whole number; shape entries are whole numbers");
      if (tk.kind === "op" && tk.text === "-") throw new Fail("shape entries cannot be negative");
      if (["num", ",", "(", ")", "[", "]"].indexOf(tk.kind) < 0 || mantissa !== tk.text) {
        var at = tk.kind === "num" ? tk.pos + mantissa.length : tk.pos; // 1e3: the e
        throw new Fail("unexpected character '" + showChar(s[at]) + "' at position " + (at + 1));
      }
    }
    if (end < s.length) throw new Fail("unexpected character '" + s[end] + "' at position " + (end + 1));
    var bracketed = toks.length > 0 && "([".indexOf(toks[0].kind) >= 0;
    if (bracketed) {
      var last = toks[toks.length - 1];
      var closer = toks[0].text === "(" ? ")" : "]";
      if (")]".indexOf(last.kind) < 0 || toks.length < 2) throw new Fail("the '" + toks[0].text + "' is never closed: add '" + closer + "'");
      if (last.text !== closer) throw new Fail("'" + toks[0].text + "' is closed by '" + last.text + "'");
      toks = toks.slice(1, -1);
    }
    var inner = toks.find((tk) => "()[]".indexOf(tk.kind) >= 0);
    if (inner) throw new Fail("unexpected '" + inner.text + "' at position " + (inner.pos + 1) + ": a shape is one list of whole numbers");
    var dims = [];
    var expectNumber = true;
    var lastSep = "";
    for (tk of toks) {
      if (tk.kind === ",") {
        if (expectNumber) throw new Fail("the '" + tk.text + "' at position " + (tk.pos + 1) + " has no number before it");
        expectNumber = true;
        lastSep = tk.text;
        continue;
      }
      if (!expectNumber && !tk.space) throw new Fail("unexpected '" + clip(tk.text) + "' at position " + (tk.pos + 1));
      if (tk.text.replace(/^0+/, "").length > MAX_SHAPE_DIGITS) throw new Fail(clip(tk.text) + " is too large for a dimension");
      dims.push(parseInt(tk.text, 10));
      if (dims.length > MAX_DIMS) throw new Fail("it has more than " + MAX_DIMS + " dimensions");
      expectNumber = false;
    }
    if (dims.length && expectNumber && !(lastSep === "," && (bracketed || dims.length === 1))) throw new Fail("it ends with '" + lastSep + "'");
    if (!dims.length && !bracketed) throw new Fail("it has no dimensions; write () for a 0-d tensor");
    return dims;
  }

  // ------------------------------------------------------------------------------------------
  // Reading and comparing

  // What people paste or type around a value (a port of reader._tidy in Python).
  var EXCEPTION_RE = new RegExp("^(?:[A-Za-z_][A-Za-z0-9_]*\\.)*(?:" + EXCEPTION_NAMES + ")(?:" + WS + "*:[\\s\\S]*)?$");
  var LABEL_RE = new RegExp("^[A-Za-z_][A-Za-z0-9_. ]{0,30}[=:]" + WS + "*(" + NS + "[\\s\\S]*)$");
  var APPROX_RE = new RegExp("^(?:≈|~|about" + WS + "+|approx\\.?" + WS + "+|approximately" + WS + "+)" + WS + "*(" + NS + "[\\s\\S]*)$", "i");
  var ELLIPSIS_RE = new RegExp("^([\\s\\S]*[0-9])" + WS + "*(?:\\.\\.\\.|…)$");
  var WRAPPER_RE = new RegExp(
    "^(?:torch\\.|np\\.|numpy\\.)?(?:tensor|array)\\(([\\s\\S]*?)(?:," + WS + "*(?:dtype|device|requires_grad|grad_fn)" + WS + "*=[\\s\\S]*)?\\)$"
  );
  var SQRT_RE = new RegExp("sqrt" + WS + "+([0-9]+(?:\\.[0-9]*)?)", "g");
  var SHAPE_WORD_RE = new RegExp("^(?:shape|size)" + WS + "+(?=[(\\[0-9])", "i");
  var BY_RE = new RegExp(WS + "+by" + WS + "+", "gi");
  var FRACTION = "[" + Object.keys(VULGAR).join("") + "]";

  function tidy(text, kind) {
    var s = strip(text);
    var m;
    if (kind === "shape" && EXCEPTION_RE.test(s)) return "error";
    if (kind === "shape" && SCALAR_WORDS.indexOf(collapse(s.toLowerCase())) >= 0) return "()";
    m = LABEL_RE.exec(s);
    if (m !== null && NOT_LABELS.indexOf(s.split(SPACE_RUN)[0].replace(/[=:]+$/, "").split(".")[0].toLowerCase()) < 0) s = strip(m[1]);
    // A shape is exact, and ~ before a word may be a negation (~error): only numbers are approximate.
    m = kind === "shape" ? null : APPROX_RE.exec(s);
    if (m !== null) s = strip(m[1]);
    m = ELLIPSIS_RE.exec(s);
    if (m !== null) s = m[1];
    m = WRAPPER_RE.exec(s);
    if (m !== null) s = strip(m[1]);
    // A whole number then a fraction character is a mixed number: 1½ is 1.5, not 1 × ½.
    s = s.replace(new RegExp("([0-9]+)(" + FRACTION + ")", "g"), (m, whole, c, at) => (s[at - 1] === "." ? m : "(" + whole + "+" + VULGAR[c].slice(1, -1) + ")"));
    s = s.replace(new RegExp(FRACTION, "g"), (c) => VULGAR[c]).replace(SQRT_RE, "sqrt($1)");
    return kind === "shape" ? s.replace(/([)\]])[.!]+$/, "$1").replace(SHAPE_WORD_RE, "").replace(BY_RE, " x ") : s;
  }

  // The value typed, and the figures of each number (null for shapes).
  function read(text, kind) {
    if (!has(WHAT, kind)) throw new Error("unknown answer kind " + kind);
    var length = chars(text).length;
    reading(text, WHAT[kind], EXAMPLES[kind], function () {
      if (length > MAX_LENGTH) throw new Fail("the answer is " + length + " characters long and at most " + MAX_LENGTH + " are read");
    });
    text = tidy(text, kind);
    if (kind === "shape") return [reading(text, "a shape", EXAMPLES.shape, () => readShape(text)), null];
    return readNumeric(text, kind);
  }

  function matrixDims(m) {
    return [m.length, m.length ? m[0].length : 0];
  }

  // Whether other matches key (answer.close in Python). The values are the deck's own and the
  // reader's; a value with no finite number ("inf", as a deck writes one) never matches.
  function close(kind, key, other, tol) {
    if (kind === "formula") return formulaEquivalent(key, other);
    if (kind === "shape") return JSON.stringify(key) === JSON.stringify(other);
    if (kind === "number") return tol.accepts(Number(key), other);
    var km = kind === "vector" ? [key] : key;
    var xm = kind === "vector" ? [other] : other;
    if (String(matrixDims(km)) !== String(matrixDims(xm))) return false;
    return km.every((row, r) => row.length === xm[r].length && row.every((k, c) => tol.accepts(Number(k), xm[r][c])));
  }

  // ------------------------------------------------------------------------------------------
  // Judging: a port of quizgen/judge/verdict.py

  // Whether typed (a literal with figures [n, place]) is key rounded to that many figures.
  function isRounding(typed, figures, key) {
    if (figures === null || figures === undefined || key === 0 || typed === 0 || (typed > 0) !== (key > 0)) return false;
    var unit = Math.pow(10, figures[1]);
    var lead = Math.pow(10, figures[1] + figures[0] - 1);
    if (!isFinite(unit) || !isFinite(lead)) return false;
    if (Math.abs(typed - key) > 0.5 * unit * (1 + SLACK)) return false;
    return Math.abs(key) >= (lead - 0.05 * unit) * (1 - SLACK);
  }

  // The fewest significant figures (at most 17) whose rounding of key, as Python rounds it, is within
  // tolerance and nearer the key than each of the mistakes' values (verdict._apart).
  function figuresNeeded(key, tol, mistakes) {
    var apart = (r) => tol.accepts(key, r) && (mistakes || []).every((v) => Math.abs(r - key) < Math.abs(r - v));
    var m = 1;
    while (m < 17 && !apart(Number(formatG(key, m)))) m++;
    return m;
  }

  // Every known mistake the answer matches is named (two can give the same value here).
  function misconceptionNote(ms) {
    var note = ms.length === 1
      ? "that is the value you get from a known mistake (" + ms[0].name + "). "
      : "that is the value you get from any of " + ms.length + " known mistakes (" + ms.map((m) => m.name).join(", ") + "). ";
    return (note + ms.map((m) => m.description || "").join(" ")).replace(TRAILING_SPACE, "");
  }

  // A "Wrong: …." sentence, with the known mistakes ms (if any) named in place of its stop.
  function naming(message, ms) {
    return ms.length ? message.slice(0, -1) + "; " + misconceptionNote(ms) : message;
  }

  // The card's verdict: what it shows (status, message, the first mistake named).
  function verdict(status, message, ms) {
    return { status: status, message: message, misconception: ms && ms.length ? ms[0] : null };
  }

  // Where the wrong entries are: the first six, counting from 1.
  function where(kind, wrong) {
    var limit = 6;
    var joiner = kind === "matrix" ? "; " : ", ";
    var head = kind === "matrix" ? "" : wrong.length === 1 ? "entry " : "entries ";
    var parts = wrong.slice(0, limit).map((w) => (kind === "matrix" ? "row " + (w[0] + 1) + ", column " + (w[1] + 1) : String(w[0] + 1)));
    if (wrong.length > limit) return head + parts.join(joiner) + " and " + (wrong.length - limit) + " more";
    if (parts.length === 1) return head + parts[0];
    return head + parts.slice(0, -1).join(joiner) + " and " + parts[parts.length - 1];
  }

  function judgeShape(key, given, misconceptions, tol) {
    var shown = given === "error" ? "error" : "torch.Size([" + given.join(", ") + "])";
    if (close("shape", key, given, tol)) return verdict("right", given === "error" ? "Right: it raises an error." : "Right: " + shown + ".");
    var ms = misconceptions.filter((m) => close("shape", m.value, given, tol));
    var message = given === "error" ? "Wrong: this does not raise an error."
      : key === "error" ? "Wrong: this raises an error, so there is no result and no shape."
        : "Wrong: the result is not " + shown + ".";
    return verdict("wrong", naming(message, ms), ms);
  }

  function judgeDenial(key, text) {
    if (key === "error") return verdict("wrong", "Wrong: this does raise an error.");
    var why = "it says there is no error, so give the shape of the result";
    return verdict("unreadable", "could not read " + show(text) + " as a shape: " + why + "; try " + EXAMPLES.shape);
  }

  function judgeNumber(key, given, figures, tol, misconceptions) {
    var shown = formatNumber(given);
    if (tol.accepts(key, given)) {
      // Within tolerance, but nearer the value of a named mistake than the key: these figures cannot tell which was computed.
      var nearer = misconceptions.map((m) => (typeof m.value === "number" ? m.value : NaN)).filter((v) => isFinite(v) && Math.abs(given - v) < Math.abs(given - key));
      if (!nearer.length) return verdict("right", "Right: the answer is " + formatNumber(key) + ".");
      var need = figuresNeeded(key, tol, nearer);
      if (figures) need = Math.max(need, figures[0] + 1);
      return verdict("too-few-figures", shown + " is within tolerance of the answer, but nearer the value a known mistake gives: give at least " + need + " significant figures.");
    }
    // A value that equals a named mistake is stronger evidence than a coarse rounding of the key.
    var ms = misconceptions.filter((m) => close("number", m.value, given, tol));
    if (!ms.length && isRounding(given, figures, key)) {
      var coarse = shown + " is the answer rounded to " + plural(figures[0], "significant figure") + ", which is too coarse to check";
      return verdict("too-few-figures", coarse + ": give at least " + figuresNeeded(key, tol) + " significant figures.");
    }
    // A coarse rounding of a mistake's value names the mistake (0.71 where a mistake gives 0.714286).
    if (!ms.length) ms = misconceptions.filter((m) => typeof m.value === "number" && isFinite(m.value) && roundsMistake(given, figures, m.value));
    if (ms.length) return verdict("wrong", "Wrong: " + shown + " — " + misconceptionNote(ms), ms);
    return verdict("wrong", "Wrong: " + shown + " does not match the answer " + tol.phrase() + ".");
  }

  // Whether typed is a mistake's value rounded to two figures or more (one says too little).
  function roundsMistake(typed, figures, value) {
    return figures !== null && figures !== undefined && figures[0] >= 2 && isRounding(typed, figures, value);
  }

  // Whether every typed entry is within tolerance of, or a rounding of, the mistake's (same size).
  function roundsTo(rows, figureRows, value, vector, tol) {
    if (!Array.isArray(value)) return false;
    var valueRows = (vector ? [value] : value).map((row) => (Array.isArray(row) ? row.map(Number) : [NaN]));
    if (String(matrixDims(valueRows)) !== String(matrixDims(rows))) return false;
    return valueRows.every((vrow, r) => vrow.length === rows[r].length &&
      vrow.every((m, c) => isFinite(m) && (tol.accepts(m, rows[r][c]) || roundsMistake(rows[r][c], figureRows[r][c], m))));
  }

  function transpose(rows) {
    return rows.length ? rows[0].map((_, c) => rows.map((row) => row[c])) : [];
  }

  // A vector is judged as a matrix of one row; only the messages and the indices differ.
  function judgeArray(kind, keyValue, given, figures, tol, misconceptions) {
    var vector = kind === "vector";
    var keyRows = (vector ? [keyValue] : keyValue).map((row) => row.map(Number));
    var givenRows = vector ? [given] : given;
    var figureRows = vector ? [figures] : figures;
    var dimsGiven = matrixDims(givenRows);
    var total = keyRows.reduce((a, r) => a + r.length, 0);
    var ms = misconceptions.filter((m) => close(kind, m.value, given, tol));
    var transposed = !vector && close("matrix", transpose(keyRows), given, tol);
    if (String(matrixDims(keyRows)) !== String(dimsGiven)) {
      var got = vector ? "got " + dimsGiven[1] : "got " + dimsGiven[0] + "×" + dimsGiven[1];
      var swapped = transposed && !ms.length ? ": the answer transposed (its rows and columns swapped)" : "";
      return verdict("wrong", naming("Wrong: expected " + dimsPhrase(kind, keyValue) + ", " + got + swapped + ".", ms), ms);
    }
    var wrong = [];
    var coarse = 0;
    var need = 0;
    keyRows.forEach(function (krow, r) {
      krow.forEach(function (k, c) {
        var x = givenRows[r][c];
        if (tol.accepts(k, x)) return;
        wrong.push(vector ? [c] : [r, c]);
        if (isRounding(x, figureRows[r][c], k)) {
          coarse += 1;
          need = Math.max(need, figuresNeeded(k, tol));
        }
      });
    });
    var right = total - wrong.length;
    if (!wrong.length) return verdict("right", "Right: all " + entries(total) + " match.");
    if (!ms.length && coarse < wrong.length) ms = misconceptions.filter((m) => roundsTo(givenRows, figureRows, m.value, vector, tol));
    if (coarse === wrong.length && !ms.length) {
      var verb = wrong.length === 1 ? " is" : " are";
      var which = right ? right + " of " + entries(total) + " are right, and " + where(kind, wrong) + verb
        : (total === 1 ? "The entry" : total === 2 ? "Both entries" : "All " + total + " entries") + verb;
      return verdict(
        "too-few-figures",
        which + " the answer rounded to too few significant figures" + (right ? " (counting from 1)" : "") + ": give at least " + need + "."
      );
    }
    // A known mistake explains every wrong entry at once, so the entries are listed only when none does.
    var message = "Wrong: " + right + " of " + entries(total) + " right";
    if (ms.length) message += ".";
    else if (transposed) message += ": it is the answer transposed (its rows and columns swapped).";
    else message += "; wrong: " + where(kind, wrong) + " (counting from 1).";
    return verdict("wrong", naming(message, ms), ms);
  }

  // ------------------------------------------------------------------------------------------
  // Formulas: a port of quizgen/core/formula.py (reader, sample points, equivalence)

  function formulaText(node, parent, right) {
    var op = node[0];
    if (op === "num" || op === "sym" || op === "const") return String(node[1]);
    if (op === "call") return node[1] + "(" + formulaText(node[2]) + ")";
    var mine = PRECEDENCE[op];
    var out;
    if (op === "neg") out = "-" + formulaText(node[1], mine);
    else if (op === "pow") out = formulaText(node[1], mine + 1) + "^" + formulaText(node[2], mine, true);
    else out = formulaText(node[1], mine) + { add: " + ", sub: " - ", mul: "*", div: "/" }[op] + formulaText(node[2], mine, true);
    // The right operand of - and / needs brackets at equal precedence; a power's base always.
    var needs = mine < (parent || 0) || (mine === parent && right && op !== "pow");
    return needs ? "(" + out + ")" : out;
  }

  // A port of formula.sample_points: the POINTS readable points (symbol i takes
  // DOMAINS[domain][(j + 3i) % 8] at point j), then DRAWN points from mulberry32 seeded by
  // FNV-1a of the two written formulas.
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
    var [low, count, divisor] = DRAWN_RANGES[domain];
    return (low + (r % count)) / divisor;
  }

  function samplePoints(key, other, symbols) {
    var next = mulberry32(hashText(formulaText(key) + "\n" + formulaText(other)));
    var names = Object.keys(symbols);
    var out = [];
    for (var j = 0; j < POINTS + DRAWN; j++) {
      var p = {};
      names.forEach(function (name, i) {
        p[name] = j < POINTS ? DOMAINS[symbols[name]][(j + 3 * i) % POINTS] : drawnValue(symbols[name], next());
      });
      out.push(p);
    }
    return out;
  }

  function agree(a, b) {
    return Math.abs(a - b) <= RTOL * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
  }

  // Both formulas' values at the sample points: [point, the key's, the other's].
  function valuesAt(key, other, symbols) {
    return samplePoints(key, other, symbols).map((p) => [p, formulaValue(key, p), formulaValue(other, p)]);
  }

  // The card's decision (docs/answers.md says what it guarantees): the two agree (or pass same) at
  // every sample point where both have a value, and there is at least one such point.
  function numericallyEqual(key, other, symbols, same) {
    var both = valuesAt(key, other, symbols).filter((v) => isFinite(v[1]) && isFinite(v[2]));
    return both.length > 0 && both.every((v) => (same || agree)(v[1], v[2]));
  }

  function formulaEquivalent(key, other) {
    try {
      return numericallyEqual(readFormula(key.formula, key.symbols), readFormula(other.formula, key.symbols), key.symbols);
    } catch (exc) {
      return false;
    }
  }

  function finiteOrUndefined(x) {
    return isFinite(x) ? formatNumber(x) : "no finite value";
  }

  function judgeFormula(key, text, misconceptions) {
    var symbols = key.symbols;
    var typed = readFormula(text, symbols);
    var shown = formulaText(typed);
    var given = { formula: shown, symbols: symbols };
    var keyNode = readFormula(key.formula, symbols);
    if (numericallyEqual(keyNode, typed, symbols)) return verdict("right", "Right: " + shown + " equals the answer " + formulaText(keyNode) + ".");
    var ms = misconceptions.filter((m) => close("formula", m.value, given, null));
    // The first point where the key has a value and the answer has none or another one.
    var differs = valuesAt(keyNode, typed, symbols).find((v) => isFinite(v[1]) && !(isFinite(v[2]) && agree(v[1], v[2])));
    var message = "Wrong: " + shown + " is not the answer; it differs from the answer.";
    if (differs !== undefined) {
      var at = Object.keys(differs[0]).map((name) => name + " = " + formatNumber(differs[0][name])).join(", ");
      message = "Wrong: " + shown + " is not the answer; at " + at + " it gives " + finiteOrUndefined(differs[2]) + ", the answer " + finiteOrUndefined(differs[1]) + ".";
    }
    if (roundedConstant(keyNode, typed, symbols)) message = message.slice(0, -1) + "; a formula's numbers are exact, so write fractions, not rounded decimals (4/3, not 1.33).";
    return verdict("wrong", naming(message, ms), ms);
  }

  // Whether typed holds a decimal and is within 1% of the key wherever both have a value (a constant rounded).
  function roundedConstant(key, typed, symbols) {
    var decimal = (node) => Array.isArray(node) && ((node[0] === "num" && /[.eE]/.test(node[1])) || node.slice(1).some(decimal));
    return decimal(typed) && numericallyEqual(key, typed, symbols, (k, x) => Math.abs(k - x) <= 0.01 * Math.abs(k));
  }

  // For a matrix typed as one row with as many numbers as the key has entries, how to type the
  // rows (verdict._one_row_hint: the answer is asked again, never judged wrong for its layout).
  function oneRowHint(key, given) {
    var [rows, cols] = matrixDims(key);
    if (rows < 2 || given.length !== 1 || given[0].length !== rows * cols) return "";
    var parts = [];
    for (var r = 0; r < rows; r++) parts.push(given[0].slice(r * cols, (r + 1) * cols).map(formatNumber).join(" "));
    return "it is one row of " + rows * cols + " numbers, and rows are separated by ; or a new line; try " + parts.join("; ");
  }

  /**
   * Judge typed text against a key, exactly as quizgen.judge.judge does.
   *
   * kind: number | vector | matrix | shape | formula; key: the answer's JSON value;
   * tolerance: {rel, abs} (null for the defaults); misconceptions: [{name, value, description}];
   * whole: the answer is a whole number in every variant (a count, a position).
   * Returns {status, message, misconception (the first one named)}.
   */
  function judge(kind, key, text, tolerance, misconceptions, whole) {
    try {
      return judgeText(kind, key, String(text), new Tolerance(tolerance), misconceptions || [], whole);
    } catch (exc) {
      if (exc instanceof ParseError) return verdict("unreadable", exc.message);
      throw exc;
    }
  }

  function judgeText(kind, key, text, tol, misconceptions, whole) {
    if (kind === "formula") return judgeFormula(key, text, misconceptions);
    if (kind === "shape" && chars(text).length <= 200 && deniesError(text)) return judgeDenial(key, text);
    var [given, figures] = read(text, kind);
    if (kind === "shape") return judgeShape(key, given, misconceptions, tol);
    // A named mistake that is not whole ((1 − p) times a count) is named; a typed value near a
    // whole mistake (59.5 between a key of 60 and an off-by-one 59) is still not a count.
    if (kind === "number" && whole && !Number.isInteger(given) && !misconceptions.some((m) => !Number.isInteger(m.value) && close("number", m.value, given, tol))) {
      return verdict("wrong", "Wrong: " + show(text) + " is not a whole number, and the answer is one.");
    }
    if (kind === "number") return judgeNumber(Number(key), given, figures, tol, misconceptions);
    var hint = kind === "matrix" ? oneRowHint(key, given) : "";
    if (hint) throw new ParseError("could not read " + show(text) + " as " + dimsPhrase(kind, key) + ": " + hint);
    if (aNumberForSeveral(kind, key, given, text)) throw new ParseError("expected " + dimsPhrase(kind, key) + ", but read a number; try " + EXAMPLES[kind]);
    return judgeArray(kind, key, given, figures, tol, misconceptions);
  }

  // Whether text, read as one entry, is a plain number where the key has several entries (a slip of the format).
  function aNumberForSeveral(kind, key, given, text) {
    var count = (v) => (kind === "vector" ? v.length : v.reduce((a, row) => a + row.length, 0));
    if (count(given) !== 1 || count(key) < 2) return false;
    try {
      read(text, "number");
    } catch (exc) {
      if (exc instanceof ParseError) return false; // [3] or [[3]]: a one-entry vector or matrix, judged
      throw exc;
    }
    return true;
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
    for (var node of Array.from(box.childNodes)) {
      if (node.nodeType === 1 && (node.tagName.toLowerCase() === "br" || node.id === "typearrow")) break;
      if (node.nodeType === 1) sawSpan = true;
      if (node.nodeType === 1 && !node.classList.contains("typeMissed")) typed += node.textContent;
      if (node.nodeType === 3 && sawSpan) typed += node.nodeValue;
    }
    return sawSpan ? typed : "";
  }

  // ------------------------------------------------------------------------------------------
  // Fresh numbers at every review (the rotating note type; docs/anki.md)

  var DAY_MS = 86400000;
  var ROLLOVER_MS = 4 * 3600000; // Anki's default: a new day starts at 4 am local time
  var shownHere = {}; // where there is no storage: what this page showed
  var SLOTS = {
    prompt: ".qz-prompt", inputs: ".qz-inputs", solution: ".qz-solution-body",
    mistakes: ".qz-mistakes-body", tolerance: ".qz-tolerance", id: ".qz-id", check: "#qz-check"
  };

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

  // The platform's storage where a probe write works, else one for this page only.
  function storage() {
    try {
      var s = root.localStorage || root.sessionStorage;
      s.setItem("quizgen:probe", "1");
      s.removeItem("quizgen:probe");
      return s;
    } catch (e) {
      return { getItem: (k) => (has(shownHere, k) ? shownHere[k] : null), setItem: (k, v) => (shownHere[k] = v) };
    }
  }

  // What a note showed last, {day, variant}, from its stored text; null when there is none.
  function recall(text) {
    try {
      var rec = JSON.parse(text);
      return rec && typeof rec.day === "number" && typeof rec.variant === "number" ? rec : null;
    } catch (e) {
      return null;
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
    var last = recall(store.getItem("quizgen:shown:" + note));
    var variant;
    if (doc.getElementById("qz-verdict")) {
      variant = last && last.variant < count ? last.variant : chooseVariant(note, count, day, null);
    } else {
      variant = chooseVariant(note, count, day, last);
      try {
        store.setItem("quizgen:shown:" + note, JSON.stringify({ day: day, variant: variant }));
      } catch (e) {
        // A storage that refuses the write (it is full) keeps what it had: nothing else to do.
      }
    }
    for (var box of Array.from(boxes)) {
      if (box.getAttribute("data-qz-shown") !== null) continue;
      box.setAttribute("data-qz-shown", String(variant));
      var chosen = box.querySelector('[data-qz-variant="' + variant + '"]');
      for (var part of Array.from(chosen ? chosen.children : [])) {
        var slot = doc.querySelector(SLOTS[part.getAttribute("data-qz-part")] || "#qz-none");
        if (!slot) continue;
        while (slot.firstChild) slot.removeChild(slot.firstChild);
        while (part.firstChild) slot.appendChild(part.firstChild);
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
    out.classList.add("qz-" + v.status);
    var line = function (className, text) {
      var div = doc.createElement("div");
      div.className = className;
      div.textContent = text;
      out.appendChild(div);
    };
    // The message says right or wrong already; a heading only names a known mistake.
    if (v.misconception) line("qz-verdict-head", "Known mistake: " + v.misconception.name);
    line("qz-verdict-message", v.message);
    // A card cannot ask again, as the drill does: say what the verdict means for the rating.
    if (v.status === "too-few-figures") line("qz-verdict-hint", "Not marked wrong: check your working against the solution below and rate as you judge it.");
    if (v.status === "unreadable") line("qz-verdict-hint", "Not marked: the answer could not be read. Rate the card as you judge your working.");
    // One verdict on the card: what was typed is shown here, and Anki's own character-by-
    // character comparison (which marks a right "0.437" red against "0.437212") is hidden.
    line("qz-verdict-typed", "You typed: " + shorten(typed, 300, 299));
    // Marked on this card's own element: Anki's desktop keeps one page for a whole session, so a
    // mark on the page itself would hide the next card's type-in box too.
    var card = doc.getElementById("typeans").closest(".qz-problem");
    if (card) card.classList.add("qz-judged");
    return v;
  }

  var api = { judge, formatG, reviewDay, chooseVariant, run };

  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.quizgenJudge = api;
    // A page still being read (a client that loads each card as a page) runs this script first
    // where the back repeats the front ({{FrontSide}}): wait for the whole card, or that copy
    // would take the back for a front and, past 4 am, pick another day's variant.
    if (typeof document !== "undefined" && document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => run(document));
    } else if (typeof document !== "undefined") {
      run(document);
    }
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
