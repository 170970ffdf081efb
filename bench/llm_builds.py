"""Compare llama-cpp-python builds on this machine: prompt and generation tokens/s, same run.

Each build is a wheel in its `make llm` wheelhouse (`make llm-wheelhouse LLM_BUILD=portable|dl`,
built with `make "$(make -s llm-wheelhouse LLM_BUILD=dl)/.built" LLM_BUILD=dl`). Every wheel is
unpacked into a temporary folder and measured in its own process with the offline GGUF model:
load time, prompt processing (tokens of a seed article, one batch) and greedy generation, in
rounds that alternate the builds so that a busy machine slows both alike. A build that does not
load or crashes is reported as such.

Run: `.venv/bin/python bench/llm_builds.py [--rounds 3] [--prompt-tokens 512] [--gen-tokens 64]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from qa.gguf import DEFAULT_GGUF  # noqa: E402

PIP_UNPACK = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]

MEASURE = r"""
import json, sys, time
t0 = time.perf_counter()
import llama_cpp
from llama_cpp import Llama
model, text_path, n_prompt, n_gen, threads = sys.argv[1:6]
llm = Llama(model_path=model, n_ctx=2048, n_batch=512, n_threads=int(threads),
            n_threads_batch=int(threads), verbose=False)
load_s = time.perf_counter() - t0
text = open(text_path, encoding="utf-8").read()
tokens = llm.tokenize(text.encode(), add_bos=False)[: int(n_prompt)]
llm.reset(); llm.eval(tokens[:16])  # warm-up
llm.reset()
t = time.perf_counter(); llm.eval(tokens); prompt_s = time.perf_counter() - t
t = time.perf_counter()
for _ in range(int(n_gen)):
    llm.eval([llm.sample(temp=0.0)])
gen_s = time.perf_counter() - t
info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
print(json.dumps({"load_s": load_s, "prompt_tps": len(tokens) / prompt_s,
                  "gen_tps": int(n_gen) / gen_s, "system_info": info}))
"""


def wheelhouse(build: str) -> Path:
    """The wheelhouse `make llm` uses for a build (its path holds the key of version + flags + CPU)."""
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "llm-wheelhouse", f"LLM_BUILD={build}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def unpack(build: str, dest: Path) -> tuple[Path | None, str]:
    """Unpack the build's wheel into `dest`; (folder, "") or (None, why not)."""
    house = wheelhouse(build)
    wheels = sorted(house.glob("llama_cpp_python-*.whl"))
    if not wheels:
        return None, f"no wheel in {house} (build it first)"
    subprocess.run(
        [*PIP_UNPACK, "--target", str(dest), str(wheels[-1])],
        check=True,
    )
    return dest, ""


def measure(
    folder: Path, cwd: Path, sizes: list[str], article: Path
) -> subprocess.CompletedProcess[str]:
    """One measurement of the build unpacked in `folder`, in its own process."""
    return subprocess.run(
        [sys.executable, "-c", MEASURE, str(DEFAULT_GGUF), str(article), *sizes],
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def last_line(run: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    return lines[-1][-200:] if lines else "no message"


def describe(returncode: int) -> str:
    import signal

    return signal.Signals(-returncode).name if returncode < 0 else f"exit {returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builds", default="portable,dl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    text = ROOT / "seeds"
    article = max(text.glob("*.txt"), key=lambda p: p.stat().st_size)
    builds = args.builds.split(",")
    results: dict[str, list[dict[str, float]]] = {b: [] for b in builds}
    problems: dict[str, str] = {}
    notes: dict[str, str] = {}
    info: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folders: dict[str, Path] = {}
        for build in builds:
            folder, why = unpack(build, Path(tmp) / build)
            if folder is None:
                problems[build] = why
            else:
                folders[build] = folder
        sizes = [str(args.prompt_tokens), str(args.gen_tokens), str(args.threads)]
        cwd = dict.fromkeys(folders, ROOT)
        for _ in range(args.rounds):
            for build, folder in folders.items():
                if build in problems:
                    continue
                run = measure(folder, cwd[build], sizes, article)
                variants = folder / "bin"
                if run.returncode != 0 and cwd[build] == ROOT and variants.is_dir():
                    # llama.cpp looks for its CPU variants (libggml-cpu-*.so) beside the executable
                    # and in the working directory only; the wheel puts them in site-packages/bin.
                    notes[build] = (
                        f"does not load as installed ({last_line(run)}); measured with "
                        "site-packages/bin as the working directory"
                    )
                    cwd[build] = variants
                    run = measure(folder, variants, sizes, article)
                if run.returncode != 0:
                    problems[build] = (
                        f"failed to load/run ({describe(run.returncode)}): {last_line(run)}"
                    )
                    continue
                row = json.loads(run.stdout.strip().splitlines()[-1])
                info[build] = row.pop("system_info")
                results[build].append(row)
                print(build, row, file=sys.stderr, flush=True)

    print(
        f"{args.prompt_tokens} prompt tokens, {args.gen_tokens} generated, "
        f"{args.threads} threads, median of {args.rounds} alternating rounds\n"
    )
    print("| build | load s | prompt tokens/s | generation tokens/s | wheel MB | status |")
    print("|---|---|---|---|---|---|")
    for build in builds:
        wheels = sorted(wheelhouse(build).glob("*.whl"))
        size = f"{wheels[-1].stat().st_size / 1e6:.0f}" if wheels else "-"
        rows = results[build]
        if rows and build not in problems:
            med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            print(
                f"| {build} | {med['load_s']:.1f} | {med['prompt_tps']:.1f} | "
                f"{med['gen_tps']:.1f} | {size} | {notes.get(build, 'ok')} |"
            )
        else:
            print(f"| {build} | - | - | - | {size} | {problems.get(build, 'no result')} |")
    for build, line in info.items():
        print(f"\n{build}: {line}")


if __name__ == "__main__":
    main()
