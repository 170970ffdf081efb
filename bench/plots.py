"""Plots for docs/benchmarks.md from the benchmark outputs in bench/out/.

Run: `.venv/bin/python bench/plots.py` after `bench/scale.py` (and, optionally, `bench/compare.py`).
Writes `docs/latency-vs-size.png` from `bench/out/scale.json`, and
`docs/quality-akhbar-vs-baseline.png` from `bench/out/compare.json` when that file exists
(`{"rows": [{"metric": str, "akhbar": float, "baseline": float}, ...]}`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DOCS = ROOT / "docs"
DPI = 110
COLOURS = {"flat": "#1f77b4", "hnsw": "#2ca02c", "bm25": "#d62728"}
AKHBAR, BASELINE = "#2ca02c", "#7f7f7f"
TARGETS = [(100_000, 50.0), (1_000_000, 100.0)]  # (chunks, p50 ms) from the brief


def _size_label(n: float, _pos: Any = None) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g}M"
    if n >= 1_000:
        return f"{n / 1_000:g}k"
    return f"{n:g}"


def _ms_label(ms: float, _pos: Any = None) -> str:
    return f"{ms:g}"


def _save(fig: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    kb = path.stat().st_size / 1024
    print(f"wrote {path} ({kb:.0f} KB)")
    if kb > 200:
        print(f"warning: {path.name} is over 200 KB", file=sys.stderr)


def latency_plot(scale: dict[str, Any], path: Path) -> None:
    """Corpus size against p50 (solid) and p95 (dashed) single-question latency, log-log."""
    rows = sorted(scale["sizes"], key=lambda r: r["n"])
    sizes = [r["n"] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    names = {
        "flat": "FAISS flat (exact)",
        "hnsw": "FAISS HNSW (approximate)",
        "bm25": "BM25 (LexicalIndex)",
    }
    for method, name in names.items():
        if not all(method in r for r in rows):
            continue
        if method == "hnsw":
            p = rows[-1]["hnsw"]["params"]
            name += f", efSearch={rows[-1]['hnsw']['ef']} M={p['M']}"
        colour = COLOURS[method]
        p50 = [r[method]["p50_ms"] for r in rows]
        p95 = [r[method]["p95_ms"] for r in rows]
        ax.plot(sizes, p50, "-o", color=colour, lw=2, ms=5, label=f"{name} p50")
        ax.plot(sizes, p95, "--", color=colour, lw=1.2, alpha=0.8, label=f"{name} p95")
    if all("hnsw" in r for r in rows):
        recalls = "  ".join(f"{_size_label(r['n'])} {r['hnsw']['recall10']:.3f}" for r in rows)
        ax.text(
            0.98,
            0.03,
            f"HNSW recall@10 against exact:\n{recalls}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color=COLOURS["hnsw"],
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": COLOURS["hnsw"], "alpha": 0.9},
        )
    shown = [t for t in TARGETS if sizes[0] <= t[0] <= sizes[-1]]
    if shown:
        ax.scatter(
            [t[0] for t in shown],
            [t[1] for t in shown],
            marker="_",
            s=400,
            linewidths=2.5,
            color="black",
            zorder=5,
            label="p50 target (≤ 50 ms at 100k, ≤ 100 ms at 1M)",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes)
    ax.xaxis.set_major_formatter(FuncFormatter(_size_label))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(_ms_label))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("search latency, one question (ms, log)")
    machine = scale.get("machine", {})
    k = scale.get("settings", {}).get("k", 50)
    ax.set_title(
        f"Retrieval latency vs corpus size ({machine.get('cpus', '?')} CPU cores, k = {k})",
        fontsize=11,
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", axis="y", alpha=0.1)
    ax.legend(fontsize=7.5, loc="upper left", framealpha=0.9)
    fig.text(
        0.01,
        -0.07,
        "Search only: the question is already embedded (encoding it adds "
        f"~{scale['real']['query_encode']['p50_ms']:.0f} ms). Solid p50, dashed p95.\n"
        "Beyond the real data, vectors and term lists are derived from real ones "
        "(see docs/benchmarks.md).",
        fontsize=7,
        color="#555555",
    )
    _save(fig, path)


def _bars(ax: Any, rows: list[dict[str, Any]], fraction: bool) -> None:
    width = 0.38
    xs = list(range(len(rows)))
    for offset, key, colour, name in (
        (-width / 2, "akhbar", AKHBAR, "akhbar"),
        (width / 2, "baseline", BASELINE, "stock LangChain"),
    ):
        values = [float(r[key]) for r in rows]
        bars = ax.bar([x + offset for x in xs], values, width, color=colour, label=name)
        for bar, v in zip(bars, values, strict=True):
            ax.annotate(
                f"{v:.2f}" if fraction or abs(v) < 10 else f"{v:.0f}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                fontsize=7,
            )
    ax.set_xticks(xs)
    ax.set_xticklabels([str(r["metric"]) for r in rows], fontsize=8, rotation=20, ha="right")
    ax.grid(True, axis="y", alpha=0.3)


def quality_plot(compare: dict[str, Any], path: Path) -> bool:
    """Grouped bars, akhbar beside the baseline; metrics in [0, 1] share one panel.

    Returns:
        Whether a plot was written (False when there are no usable rows).
    """
    rows = [
        r
        for r in compare.get("rows", [])
        if isinstance(r, dict)
        and {"metric", "akhbar", "baseline"} <= set(r)
        and all(isinstance(r[k], int | float) for k in ("akhbar", "baseline"))
    ]
    if not rows:
        return False
    fractions = [r for r in rows if 0 <= r["akhbar"] <= 1 and 0 <= r["baseline"] <= 1]
    others = [r for r in rows if r not in fractions]
    panels: list[tuple[list[dict[str, Any]], bool]] = []
    if fractions:
        panels.append((fractions, True))
    panels += [([r], False) for r in others]
    widths = [max(len(p[0]), 1) + 1 for p in panels]
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(min(2.2 + 0.9 * sum(widths), 12), 4.2),
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
    )
    for ax, (panel, fraction) in zip(axes[0], panels, strict=True):
        _bars(ax, panel, fraction)
    for ax, (_, fraction) in zip(axes[0], panels, strict=True):
        ax.set_ylim(0, (1.0 if fraction else ax.get_ylim()[1]) * 1.22)
        if fraction:
            ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    axes[0][0].legend(fontsize=8, loc="upper center", ncol=2, framealpha=0.95)
    fig.suptitle("akhbar vs stock LangChain", fontsize=11)
    fig.tight_layout()
    _save(fig, path)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=Path, default=OUT / "scale.json")
    parser.add_argument("--compare", type=Path, default=OUT / "compare.json")
    parser.add_argument("--docs", type=Path, default=DOCS)
    args = parser.parse_args()
    if args.scale.exists():
        latency_plot(
            json.loads(args.scale.read_text(encoding="utf-8")), args.docs / "latency-vs-size.png"
        )
    else:
        print(f"no {args.scale}: run bench/scale.py first", file=sys.stderr)
    if args.compare.exists():
        try:
            compare = json.loads(args.compare.read_text(encoding="utf-8"))
        except ValueError as exc:
            print(f"{args.compare} is not valid JSON ({exc}); skipped", file=sys.stderr)
            return
        if not quality_plot(compare, args.docs / "quality-akhbar-vs-baseline.png"):
            print(f"{args.compare} has no rows to plot; skipped", file=sys.stderr)
    else:
        print(f"no {args.compare} (bench/compare.py writes it); quality plot skipped")


if __name__ == "__main__":
    main()
