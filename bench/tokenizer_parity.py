"""The quick tokenizer against the model's `tokenizers` one: load time, and the same ids on real text.

    .venv/bin/python bench/tokenizer_parity.py [--articles 1500]

Texts: every question of `../shared/eval/*.jsonl` and, from the first `--articles` articles of ANT
v1.1 and of SaudiNewsNet, the title and first six paragraphs; each with the `query: ` prompt.
Loads are timed in fresh processes (3 each, median), after the imports a question needs anyway. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

# Modules imported first (a question's process has them already); the load alone is timed.
_LOAD_REAL = (
    "import time; from tokenizers import Tokenizer; t=time.perf_counter(); "
    "Tokenizer.from_file({path!r}); print(time.perf_counter()-t)"
)
_LOAD_LITE = (
    "import time; from pathlib import Path; import numpy; "
    "from index.embedders import unigram_lite; t=time.perf_counter(); "
    "assert unigram_lite.load_or_build(Path({path!r}), Path({cache!r})) is not None; "
    "print(time.perf_counter()-t)"
)


def _texts(articles: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((SHARED / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            question = json.loads(line).get("question")
            if isinstance(question, str):
                texts.append(question)
    for name in ("ant-v1.1.jsonl.gz", "saudinewsnet.jsonl.gz"):
        with gzip.open(SHARED / "corpora" / name, "rt", encoding="utf-8") as fh:
            for line in itertools.islice(fh, articles):
                row = json.loads(line)
                body = row.get("text") or row.get("content") or ""
                texts += [p for p in body.split("\n") if p.strip()][:6]
                texts.append(row.get("title") or "")
    return [t for t in texts if t]


def _timed(code: str) -> float:
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        runs.append(float(out.stdout.strip()))
    return statistics.median(runs)


def main() -> None:
    """Build the quick tokenizer in a temporary cache, time both loads, compare ids."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1500)
    args = parser.parse_args()

    from tokenizers import Tokenizer

    from akhbar.settings import Settings
    from index.embedders import unigram_lite

    source = Settings().embedding.model_dir / "tokenizer.json"
    real = Tokenizer.from_file(str(source))
    real.no_padding()
    real.enable_truncation(512)
    with tempfile.TemporaryDirectory() as cache:
        lite = unigram_lite.load_or_build(source, Path(cache), lambda: real)
        if lite is None:
            raise SystemExit("the quick tokenizer did not pass its probes for this model")
        (cached,) = Path(cache).iterdir()
        size_mb = cached.stat().st_size / 1e6
        real_s = _timed(_LOAD_REAL.format(path=str(source)))
        lite_s = _timed(_LOAD_LITE.format(path=str(source), cache=cache))
    texts = _texts(args.articles)
    handed_back = differ = 0
    for text in texts:
        ids = lite.encode("query: " + text, 512)
        if ids is None:
            handed_back += 1
        elif ids != real.encode("query: " + text).ids:
            differ += 1
    print(
        "| texts | same ids | different ids | handed back to `tokenizers` | "
        "load `tokenizer.json` s | load quick tables s | tables MB |"
    )
    print("|---|---|---|---|---|---|---|")
    same = len(texts) - handed_back - differ
    print(
        f"| {len(texts):,} | {same:,} | {differ} | {handed_back} | {real_s:.2f} | "
        f"{lite_s:.3f} | {size_mb:.1f} |"
    )


if __name__ == "__main__":
    main()
