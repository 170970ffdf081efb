"""Plots for the embedding-backend and SaudiNewsNet benchmarks (docs/benchmarks.md).

Run: `.venv/bin/python bench/plot_embedders.py [--embedders bench/out/embedders-1t.json]
[--snn bench/out/snn-600.json]`. Writes `docs/embedders-vs-stock.png` (speed against the stock
encode, with parity) and `docs/snn-rss.png` (memory during the SaudiNewsNet build).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DOCS = ROOT / "docs"


def embedders_plot(result: dict[str, Any], path: Path) -> None:
    """Bars: encode and end-to-end build speed against stock fp32, labelled with parity."""
    rows = result["rows"]
    names = ["stock" if r["name"] == "stock" else f"akhbar {r['name']}" for r in rows]
    encode = [r["encode_x_stock_cpu"] for r in rows]
    build = [r.get("build_x_stock_cpu", 0.0) for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], encode, 0.4, label="encode", color="#1f77b4")
    ax.bar([i + 0.2 for i in x], build, 0.4, label="index build, end to end", color="#2ca02c")
    for i, r in enumerate(rows):
        ax.text(
            i, max(encode[i], build[i]) + 0.08, f"cos ≥ {r['cos_min']:.5f}", ha="center", fontsize=8
        )
    ax.axhline(2.0, color="#d62728", lw=0.8, ls="--", label="target 2×")
    ax.set_xticks(list(x), names)
    ax.set_ylabel("× stock sentence-transformers fp32 (CPU time)")
    ax.set_ylim(0, max(encode + build) + 0.6)
    m = result["machine"]
    ax.set_title(
        f"{result['chunks']} SaudiNewsNet chunks; {', '.join(m['bf16_flags'])}; "
        f"{m['threads']} torch thread(s)",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper left")
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    print(f"wrote {path}")


def rss_plot(result: dict[str, Any], path: Path) -> None:
    """Resident memory sampled during the SaudiNewsNet build."""
    curve = result["rss_curve_mb"]
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    xs = [100 * i / max(len(curve) - 1, 1) for i in range(len(curve))]
    ax.plot(xs, curve, marker=".", color="#1f77b4")
    ax.set_xlabel("build time elapsed (%)")
    ax.set_ylabel("RSS (MB)")
    ax.set_ylim(0, max(curve) * 1.15)
    ax.set_title(
        f"SaudiNewsNet, {result['articles']} articles, {result['chunks']} chunks: "
        f"peak {result['peak_rss_mb']:.0f} MB",
        fontsize=9,
    )
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedders", type=Path, default=OUT / "embedders-1t.json")
    parser.add_argument("--snn", type=Path, default=OUT / "snn-600.json")
    args = parser.parse_args()
    if args.embedders.exists():
        embedders_plot(json.loads(args.embedders.read_text()), DOCS / "embedders-vs-stock.png")
    if args.snn.exists():
        rss_plot(json.loads(args.snn.read_text()), DOCS / "snn-rss.png")


if __name__ == "__main__":
    main()
