"""How fast `quizgen drill` feels, as ratios to `python -c "import torch"` on the same machine.

Measures, in one run:

- **first question**: from starting ``quizgen drill attention`` in a pseudo-terminal to its first
  answer prompt, with an empty data directory (cold: nothing prepared) and with the directory an
  earlier drill left (warm: reviews to schedule from). Target: <= 0.15 × the torch import.
- **feedback latency**: once torch is loaded, from sending an answer line to the end of its
  feedback (verdict, answer, worked solution, next review). Target: <= 50 ms.
- **peak memory**: the drill's peak resident set (VmHWM, read from /proc just before it ends)
  minus the peak of ``python -c "import torch"``. Target: <= 100 MB.

Run from the repository root: ``python benchmarks/bench_drill.py [--repeat 5]``. Needs pexpect
(a test dependency) and Linux (/proc, os.wait4).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect
from bench_generate import compiled  # run as a script: benchmarks/ is on the path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = re.compile(r"(Answer with .*|Answer as the prompt asks\.)\r?\n> |Enter shows the answer > |4 easy > ")


def torch_import() -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one ``python -c "import torch"``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "import torch"], cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit("python -c 'import torch' failed")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def spawn(home: str) -> tuple[pexpect.spawn, float]:
    env = dict(os.environ, QUIZGEN_HOME=home, NO_COLOR="1", TERM="xterm")
    env.pop("COLUMNS", None)
    start = time.perf_counter()
    child = pexpect.spawn(
        sys.executable, ["-m", "quizgen", "drill", "attention", "--n", "200"],
        cwd=str(ROOT), env=env, encoding="utf-8", dimensions=(50, 120), timeout=60,
    )
    # pexpect sleeps 50 ms before each send by default; that is not the drill's time.
    child.delaybeforesend = None
    child.expect(PROMPT)
    return child, time.perf_counter() - start


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def answer_round(child: pexpect.spawn) -> float | None:
    """Answer whatever is on screen; for a problem return the feedback latency in seconds."""
    text = child.after
    if "Enter shows the answer" in text:
        child.sendline("")
        child.expect(PROMPT)
        child.sendline("3")
        child.expect(PROMPT)
        return None
    if "4 easy" in text:
        child.sendline("3")
        child.expect(PROMPT)
        return None
    start = time.perf_counter()
    child.sendline("1")  # a readable answer of any kind: wrong, so the full worked solution is shown
    child.expect(r"next review of this template[^\n]*\n")
    latency = time.perf_counter() - start
    child.expect(PROMPT)
    return latency


def session(home: str, torch_s: float, rounds: int) -> tuple[float, list[float], float]:
    """First-question time, feedback latencies after torch is loaded, peak RSS (MB)."""
    child, first = spawn(home)
    # Torch loads in the background while the learner reads; give it ample time.
    time.sleep(max(2.0, 2.5 * torch_s))
    latencies = []
    while len(latencies) < rounds:
        latency = answer_round(child)
        if latency is not None:
            latencies.append(latency)
    peak = vm_hwm_mb(child.pid)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return first, latencies, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="torch imports, cold and warm starts to time (median)")
    parser.add_argument("--rounds", type=int, default=5, help="answers timed per session")
    args = parser.parse_args()
    compiled()

    torch_times, torch_peaks = [], []
    cold, warm, latencies, peaks = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        # Interleaved, so that a change in the machine's load affects both sides of the ratio.
        for i in range(args.repeat):
            t, mb = torch_import()
            torch_times.append(t)
            torch_peaks.append(mb)
            home = os.path.join(tmp, f"home{i}")
            first, lat, peak = session(home, t, args.rounds)
            cold.append(first)
            latencies.extend(lat)
            peaks.append(peak)
            # The same directory again: the first question is now picked from earlier reviews.
            child, first = spawn(home)
            warm.append(first)
            child.sendeof()
            child.expect(pexpect.EOF)
            child.close()

    torch_s, torch_mb = statistics.median(torch_times), statistics.median(torch_peaks)
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    lat_ms = statistics.median(latencies) * 1000
    lat_max = max(latencies) * 1000
    peak_mb = statistics.median(peaks)
    worst = max(cold_s, warm_s)
    print(f"python -c 'import torch'               {torch_s:8.3f} s   peak RSS {torch_mb:7.1f} MB")
    print(f"first question, cold (empty data dir)  {cold_s:8.3f} s")
    print(f"first question, warm (earlier reviews)  {warm_s:8.3f} s")
    print(f"ratio first question / torch import    {worst / torch_s:8.3f}   (worst of cold/warm; target <= 0.15)")
    print(f"  cold {cold_s / torch_s:.3f}, warm {warm_s / torch_s:.3f}")
    print(f"feedback latency after torch loaded    {lat_ms:8.1f} ms (median of {len(latencies)}; max {lat_max:.1f} ms; target <= 50)")
    print(f"drill peak RSS                         {peak_mb:8.1f} MB")
    print(f"peak RSS over torch import             {peak_mb - torch_mb:+8.1f} MB   (target <= +100)")


if __name__ == "__main__":
    main()
