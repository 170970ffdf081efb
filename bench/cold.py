"""Cold start: one-shot `akhbar ask` wall time, and `akhbar serve` until it listens.

Run: `.venv/bin/python bench/cold.py --index-dir DIR [--runs 5]`. Each run is a fresh process
(`akhbar ask QUESTION --json`, as a user types it); `serve` is timed from the start of the
process to its "serving on" line. The load average is printed beside the times: on a CPU
shared with other jobs, wall times stretch with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AKHBAR = [sys.executable, "-m", "akhbar.cli"]
QUESTIONS = ("من توسط في هدنة نوفمبر؟", "هل أغلق معبر رفح؟", "ما هي أسعار النفط؟")


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_ask(index_dir: Path, runs: int) -> dict[str, float]:
    """Wall and CPU seconds of one-shot `akhbar ask` processes."""
    walls, cpus = [], []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(runs):
        q = QUESTIONS[i % len(QUESTIONS)]
        c0, t0 = _cpu_children(), time.perf_counter()
        out = subprocess.run(
            [*AKHBAR, "ask", q, "--json", "--index-dir", str(index_dir)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu_children() - c0)
        json.loads(out.stdout)
    return {
        "ask_wall_p50_s": float(np.median(walls)),
        "ask_wall_min_s": float(min(walls)),
        "ask_cpu_p50_s": float(np.median(cpus)),
    }


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_serve(index_dir: Path, port: int) -> subprocess.Popen[str]:
    """`akhbar serve` on the index, returned as soon as it prints its "serving on" line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*AKHBAR, "serve", "--port", str(port), "--index-dir", str(index_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "serving on" in line:
            return proc
    proc.wait(timeout=30)
    raise RuntimeError("akhbar serve exited before serving")


def time_serve(index_dir: Path, port: int) -> tuple[float, float]:
    """Wall and CPU seconds from starting `akhbar serve` to its "serving on" line."""
    t0 = time.perf_counter()
    proc = start_serve(index_dir, port)
    try:
        return time.perf_counter() - t0, _cpu_of(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=7891)
    parser.add_argument("--no-serve", action="store_true")
    args = parser.parse_args()
    manifest = json.loads(
        (
            args.index_dir / (args.index_dir / "CURRENT").read_text().strip() / "manifest.json"
        ).read_text(encoding="utf-8")
    )
    load0 = os.getloadavg()[0]
    result = {"articles": len(manifest["documents"]), "chunks": manifest["chunks"]}
    result.update(time_ask(args.index_dir, args.runs))
    if not args.no_serve:
        result["serve_ready_s"], result["serve_cpu_s"] = time_serve(args.index_dir, args.port)
    result["load_avg"] = round((load0 + os.getloadavg()[0]) / 2, 1)
    print(json.dumps(result))
    print(
        "\n| index | articles | chunks | `akhbar ask` wall p50 (min) s | CPU s | "
        "`akhbar serve` ready s (CPU s) | load average (2 cores) |\n|---|---|---|---|---|---|---|"
    )
    print(
        f"| {args.index_dir.name} | {result['articles']} | {result['chunks']} | "
        f"{result['ask_wall_p50_s']:.1f} ({result['ask_wall_min_s']:.1f}) | "
        f"{result['ask_cpu_p50_s']:.1f} | {result.get('serve_ready_s', float('nan')):.1f} "
        f"({result.get('serve_cpu_s', float('nan')):.1f}) | "
        f"{result['load_avg']} |"
    )


if __name__ == "__main__":
    main()
