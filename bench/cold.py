"""Cold start: one-shot `akhbar ask` wall time, `akhbar serve` until it listens, and `ask` beside it.

Run: `.venv/bin/python bench/cold.py --index-dir DIR [--runs 5]`. Each run is a fresh process
(`akhbar ask QUESTION --json`, as a user types it): first with `--local` (no server: the process
loads the model and index itself), then while an `akhbar serve` of the same index runs (the
question is answered by it; each run checks that it was). `serve` is timed from the start of the
process to its "serving on" line, and its first answer right after that line (a question sent
through `ask` at once, while the server may still be loading the full model in the background).
The load average is printed beside the times: on a CPU shared with other jobs, wall times stretch
with it.
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


def time_ask(index_dir: Path, runs: int, served: bool = False) -> dict[str, float]:
    """Wall and CPU seconds of one-shot `akhbar ask` processes (`--local`, or by a running serve)."""
    walls, cpus = [], []
    # `-v` makes ask say who answered; `--local` keeps a cold run from using any server.
    flags = (["-v"], []) if served else ([], ["--local"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(runs):
        q = QUESTIONS[i % len(QUESTIONS)]
        c0, t0 = _cpu_children(), time.perf_counter()
        out = subprocess.run(
            [*AKHBAR, *flags[0], "ask", q, "--json", *flags[1], "--index-dir", str(index_dir)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu_children() - c0)
        json.loads(out.stdout)
        if served and "answered by the running akhbar serve" not in out.stderr:
            raise RuntimeError(f"not answered by the server: {out.stderr[-500:]}")
    key = "served_ask" if served else "ask"
    return {
        f"{key}_wall_p50_s": float(np.median(walls)),
        f"{key}_wall_min_s": float(min(walls)),
        f"{key}_cpu_p50_s": float(np.median(cpus)),
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


def time_serve(index_dir: Path, port: int, runs: int) -> dict[str, float]:
    """`akhbar serve` until it listens, its first answer, then `runs` asks answered by it."""
    t0 = time.perf_counter()
    proc = start_serve(index_dir, port)
    try:
        result = {"serve_ready_s": time.perf_counter() - t0, "serve_cpu_s": _cpu_of(proc.pid)}
        first = time_ask(index_dir, 1, served=True)
        result["serve_first_answer_s"] = first["served_ask_wall_p50_s"]
        result.update(time_ask(index_dir, runs, served=True))
        return result
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
        result.update(time_serve(args.index_dir, args.port, args.runs))
    result["load_avg"] = round((load0 + os.getloadavg()[0]) / 2, 1)
    print(json.dumps(result))
    print(
        "\n| index | articles | chunks | `akhbar ask --local` wall p50 (min) s | CPU s | "
        "`akhbar serve` ready s (CPU s) | `ask` right after ready s | "
        "`ask` with `serve` running wall p50 (min) s | load average (2 cores) |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    nan = float("nan")
    print(
        f"| {args.index_dir.name} | {result['articles']} | {result['chunks']} | "
        f"{result['ask_wall_p50_s']:.1f} ({result['ask_wall_min_s']:.1f}) | "
        f"{result['ask_cpu_p50_s']:.1f} | {result.get('serve_ready_s', nan):.1f} "
        f"({result.get('serve_cpu_s', nan):.1f}) | {result.get('serve_first_answer_s', nan):.2f} | "
        f"{result.get('served_ask_wall_p50_s', nan):.2f} "
        f"({result.get('served_ask_wall_min_s', nan):.2f}) | {result['load_avg']} |"
    )


if __name__ == "__main__":
    main()
