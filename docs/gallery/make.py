"""Draw the gallery: what a learner and a teacher see, as PNG pictures in this folder.

    python docs/gallery/make.py

Needs what the tests need (the ``test`` extra: the ``anki`` package), headless Chromium, tmux,
and MathJax 3 for the cards (Anki ships MathJax; here it comes from the npm registry once, into
``~/.cache/quizgen-gallery``, or from ``$QUIZGEN_MATHJAX``, a path to ``tex-svg.js``).

Pictures:

- ``worksheet.png``, ``key.png``: the first A4 page of a printed worksheet and of its key, laid
  out by Chromium with the print styles;
- ``card-front.png``, ``card-back.png``: an Anki problem card as Anki's reviewer renders it
  (the deck imported into a real collection with the ``anki`` package), the back after a typed
  answer that a named mistake gives, judged by the card script;
- ``drill.png``, ``stats.png``: ``quizgen drill`` and ``quizgen stats`` in an 80-column tmux
  window, captured with their colours (``tmux capture-pane -e``) and drawn as HTML.

Everything is drawn from fixed seeds, so the pictures change only when what people see does.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
A4 = (794, 1123)  # an A4 page at 96 px per inch


def chromium(*args: str) -> None:
    exe = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if exe is None:
        sys.exit("chromium is needed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--force-device-scale-factor=1",
             f"--user-data-dir={profile}", *args],
            check=True, capture_output=True, timeout=180,
        )


def shoot(page: Path, png: Path, size: tuple[int, int], wait_ms: int = 0) -> None:
    extra = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    chromium(f"--window-size={size[0]},{size[1]}", *extra, f"--screenshot={png}", page.as_uri())
    print(f"{png.relative_to(ROOT)}: {png.stat().st_size // 1024} KB")


def quizgen(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(ROOT / "concepts"), *args],
                   cwd=cwd, env=env, check=True, capture_output=True, timeout=600)


# ---------------------------------------------------------------------------------------------
# Paper


def paper(work: Path, env: dict[str, str]) -> None:
    quizgen("quiz", "simclr", "ssl-teachers", "attention", "--n", "6", "--seed", "4",
            "-o", "week3.yaml", "--key", cwd=work, env=env)
    for name, out in (("week3.worksheet.html", "worksheet.png"), ("week3.key.html", "key.png")):
        page = work / name
        text = page.read_text("utf-8").replace("@media print", "@media all")  # as printed
        printed = page.with_name("printed-" + name)
        printed.write_text(text.replace("<body>", '<body style="margin: 14mm">'), "utf-8")
        shoot(printed, HERE / out, A4)


# ---------------------------------------------------------------------------------------------
# Cards


def mathjax() -> Path:
    given = os.environ.get("QUIZGEN_MATHJAX")
    if given:
        return Path(given)
    cache = Path.home() / ".cache" / "quizgen-gallery"
    script = cache / "node_modules" / "mathjax" / "es5" / "tex-svg.js"
    if not script.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(cache), "mathjax@3"],
                       check=True, capture_output=True, timeout=600)
    return script


def cards(work: Path) -> None:
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts, select
    from quizgen.core.problems import rebuild
    from quizgen.judge import format_value

    concepts = load_concepts(ROOT / "concepts")
    deck = work / "attention.apkg"
    build_deck(select(concepts, ["attention"]), deck, variants=1, seed=5, notes="per-variant")
    col = Collection(str(work / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(deck), options=ImportAnkiPackageOptions()))
        card = next(
            c for c in map(col.get_card, col.find_cards(""))
            if "Id" in c.note().keys() and c.note()["Id"].startswith("attention.scaled-scores.")
        )
        problem = rebuild(html.unescape(card.note()["Id"]), concepts)
        mistake = next(m for m in problem.misconceptions if m.name == "no-scaling")
        typed = format_value("matrix", mistake.value)
        front = card.question().replace("[[type:Answer]]", '<input id="typeans" type="text" value="">')
        back = card.answer()
        field = re.search(r"\[\[type:(.+?)\]\]", back)
        assert field is not None
        comparison = col.compare_answer(card.note()[field.group(1)], typed)
        back = re.sub(r"\[\[type:(.+?)\]\]", lambda _m: f"<div>{comparison}</div>", back)
        script = mathjax()
        head = (
            '<meta charset="utf-8"><script>window.MathJax = {svg: {fontCache: "global"}};</script>'
            f'<script src="{script.as_uri()}"></script>'
            "<style>body { margin: 0; padding: 16px 8px; } #typeans { width: 95%; font-size: 18px; }</style>"
        )
        media = Path(col.media.dir())
        for body, out, height in ((front, "card-front.png", 480), (back, "card-back.png", 1000)):
            page = media / f"gallery-{out}.html"
            page.write_text(f'<!DOCTYPE html><html><head>{head}</head><body class="card">{body}</body></html>', "utf-8")
            shoot(page, HERE / out, (720, height), wait_ms=8000)
    finally:
        col.close()


# ---------------------------------------------------------------------------------------------
# The terminal

_PALETTE = ["#1e1e1e", "#e05d52", "#5fbf5f", "#d7ba4a", "#5c8fe0", "#c678dd", "#4fb8c8", "#d0d0d0"]
_BRIGHT = ["#6e6e6e", "#ff7b72", "#7ee787", "#f2cc60", "#79c0ff", "#d2a8ff", "#76e3ea", "#ffffff"]
_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def _colour(n: int) -> str:
    if n < 8:
        return _PALETTE[n]
    if n < 16:
        return _BRIGHT[n - 8]
    if n < 232:  # the 6×6×6 cube
        n -= 16
        return "#" + "".join(f"{(0, 95, 135, 175, 215, 255)[c]:02x}" for c in (n // 36, n // 6 % 6, n % 6))
    grey = 8 + 10 * (n - 232)
    return f"#{grey:02x}{grey:02x}{grey:02x}"


def ansi_html(text: str) -> str:
    """Terminal text with SGR colour codes as HTML spans (the codes rich writes)."""
    out, state = [], {"fg": None, "bold": False, "dim": False, "italic": False, "underline": False}
    pos = 0

    def span(chunk: str) -> str:
        if not chunk:
            return ""
        style = []
        if state["fg"]:
            style.append(f"color:{state['fg']}")
        if state["bold"]:
            style.append("font-weight:bold")
        if state["dim"]:
            style.append("opacity:0.6")
        if state["italic"]:
            style.append("font-style:italic")
        if state["underline"]:
            style.append("text-decoration:underline")
        escaped = html.escape(chunk, quote=False)
        return f'<span style="{";".join(style)}">{escaped}</span>' if style else escaped

    for m in _SGR.finditer(text):
        out.append(span(text[pos:m.start()]))
        pos = m.end()
        codes = [int(c) if c else 0 for c in m.group(1).split(";")]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                state.update(fg=None, bold=False, dim=False, italic=False, underline=False)
            elif c == 1:
                state["bold"] = True
            elif c == 2:
                state["dim"] = True
            elif c == 3:
                state["italic"] = True
            elif c == 4:
                state["underline"] = True
            elif c == 22:
                state.update(bold=False, dim=False)
            elif c == 23:
                state["italic"] = False
            elif c == 24:
                state["underline"] = False
            elif 30 <= c <= 37:
                state["fg"] = _PALETTE[c - 30]
            elif 90 <= c <= 97:
                state["fg"] = _BRIGHT[c - 90]
            elif c == 39:
                state["fg"] = None
            elif c == 38 and i + 2 < len(codes) and codes[i + 1] == 5:
                state["fg"] = _colour(codes[i + 2])
                i += 2
            elif c == 38 and i + 4 < len(codes) and codes[i + 1] == 2:
                state["fg"] = "#" + "".join(f"{v:02x}" for v in codes[i + 2:i + 5])
                i += 4
            i += 1
    out.append(span(text[pos:]))
    return "".join(out)


def terminal_page(text: str, rows: int) -> str:
    lines = text.rstrip("\n").split("\n")[-rows:]
    body = ansi_html("\n".join(lines))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        "body { margin: 0; background: #1e1e1e; }"
        "pre { margin: 0; padding: 10px 12px; color: #d0d0d0; font: 14px/1.3 'DejaVu Sans Mono', monospace; }"
        f"</style></head><body><pre>{body}</pre></body></html>"
    )


class Tmux:
    """A detached tmux session of 80 columns running one command, for its screen."""

    def __init__(self, name: str, command: str, rows: int, env: dict[str, str]):
        self.name, self.rows = name, rows
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", str(rows),
                        f"env {exports} {command}; sleep 600"], check=True)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.capture(plain=True)
            if text in screen:
                return screen
            time.sleep(0.3)
        raise SystemExit(f"tmux {self.name}: {text!r} never appeared:\n{self.capture(plain=True)}")

    def send(self, text: str) -> None:
        """Type ``text`` (literally) and press Enter."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", "--", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def capture(self, plain: bool = False) -> str:
        """The window and what scrolled out of it."""
        args = ["tmux", "capture-pane", "-p", "-S", "-", "-t", self.name] + ([] if plain else ["-e"])
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def terminal(work: Path) -> None:
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed (apt-get install tmux)")
    env = {"QUIZGEN_HOME": str(work / "home"), "QUIZGEN_NOW": "2030-03-02T09:00", "TERM": "xterm-256color",
           "COLORTERM": "", "PYTHONPATH": str(ROOT)}
    quizgen_cmd = f"{sys.executable} -m quizgen --concepts {ROOT / 'concepts'}"
    drill = Tmux("quizgen-gallery-drill", f"{quizgen_cmd} drill attention --n 3 --seed 1 --save", 30, env)
    try:
        drill.wait_for("Answer with")
        drill.send("?")
        drill.wait_for("Enter shows the answer")
        drill.send("")
        drill.wait_for("4 easy >")
        drill.send("3")
        drill.wait_for("2×2 matrix")
        drill.send("-1 3; -2 3")
        drill.wait_for("summary")
        screen = drill.capture()
    finally:
        drill.close()
    # The question on a matrix, the verdict on a wrong answer and its worked solution.
    lines = screen.rstrip("\n").split("\n")
    start = max(i for i, line in enumerate(lines) if "scaled-scores · difficulty" in line) - 1
    end = next(i for i in range(start, len(lines)) if "Rated again" in lines[i]) + 1
    page = work / "drill.html"
    page.write_text(terminal_page("\n".join(lines[start:end]), end - start), "utf-8")
    shoot(page, HERE / "drill.png", (700, 20 + 18 * (end - start) + 12))

    stats = Tmux("quizgen-gallery-stats", f"{quizgen_cmd} stats", 50, env)
    try:
        stats.wait_for("latest answers")
        time.sleep(0.5)
        screen = stats.capture()
    finally:
        stats.close()
    shown = screen.rstrip("\n").split("\n")
    page = work / "stats.html"
    page.write_text(terminal_page("\n".join(shown), len(shown)), "utf-8")
    shoot(page, HERE / "stats.png", (700, 20 + 18 * len(shown) + 12))


def main() -> None:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "QUIZGEN_HOME": str(work / "home")}
        paper(work, env)
        cards(work)
        terminal(work)


if __name__ == "__main__":
    main()
