#!/usr/bin/env python3
"""Generate the plotted figures in ``source/figures/``.

Run from anywhere as ``python3 tools/figures.py``. The output is deterministic: running the
script twice gives byte-identical SVG files.

Only the *plots* are generated here (``activation-curves.svg``, ``roc-curve.svg``). The
diagrams in ``source/figures/`` (``lstm-cell.svg``, ``nms.svg``, ...) are hand-written SVG and
are not touched by this script.

Every generated SVG is post-processed so that it can be inlined next to other figures in one
HTML page and rendered by any engine without fonts or network access:

* text is drawn as paths (``svg.fonttype = 'path'``): no font is needed;
* every ``id`` is prefixed with the file stem (``roc-curve-...``), references are updated;
* the DOCTYPE (a DTD URL), the RDF ``<metadata>`` block and the global ``*{...}`` CSS rule
  are removed (the CSS becomes presentation attributes on the root element);
* a ``<title>`` element is added.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("svg")

import matplotlib.pyplot as plt
import numpy as np

OUT_DIR = Path(__file__).resolve().parent.parent / "source" / "figures"

# Mid-dark colours that stay readable on the white background of the figure.
BLUE = "#1f5fa8"
ORANGE = "#d0641a"
GREEN = "#2e8b3e"
GREY = "#555555"

matplotlib.rcParams.update(
    {
        "svg.hashsalt": "fixed",
        "svg.fonttype": "path",
        "svg.image_inline": True,
        "path.simplify": True,
        "font.family": "DejaVu Sans",  # bundled with matplotlib: same glyphs everywhere
        "mathtext.fontset": "dejavusans",
        "font.size": 9,
        "axes.titlesize": 9,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "axes.edgecolor": GREY,
        "axes.labelcolor": "#222222",
        "xtick.color": GREY,
        "ytick.color": GREY,
        "grid.color": "#cccccc",
        "grid.linewidth": 0.6,
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
    }
)


_FLOAT = re.compile(r"-?\d+\.\d+")


def _postprocess(svg: str, stem: str, title: str) -> str:
    """Make matplotlib's SVG self-contained, id-safe and titled (see module docstring)."""
    # Drop XML declaration and DOCTYPE (the latter points to a DTD on the web).
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    # Drop the RDF metadata block (namespaces pointing to external URLs).
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Replace the global CSS rule, which would leak into an HTML page when inlined, with
    # inherited presentation attributes on the root element.
    style = re.search(r"\s*<style[^>]*>(.*?)</style>", svg, flags=re.S)
    root_attrs = ""
    if style:
        rule = re.search(r"\*\s*\{([^}]*)\}", style.group(1))
        if rule:
            for decl in rule.group(1).split(";"):
                if ":" in decl:
                    k, v = (s.strip() for s in decl.split(":", 1))
                    root_attrs += f' {k}="{v}"'
        svg = svg.replace(style.group(0), "")
        svg = re.sub(r"\s*<defs>\s*</defs>", "", svg)

    # Smaller files: path data on one line, coordinates rounded to 0.01 pt (not transforms).
    def _num(m: re.Match[str]) -> str:
        v = f"{float(m.group(0)):.2f}".rstrip("0").rstrip(".")
        return "0" if v == "-0" else str(v)

    def _attr(m: re.Match[str]) -> str:
        body = re.sub(r"\s+", " ", m.group(2)).strip()
        return m.group(1) + '"' + _FLOAT.sub(_num, body) + '"'

    svg = re.sub(r'(\b(?:d|x|y)=)"([^"]*)"', _attr, svg)
    # Ids nobody refers to (matplotlib names every group) are dropped; the others are prefixed
    # with the file stem so that several inlined SVGs never collide.
    used = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
    svg = re.sub(r'\s\bid="([^"]+)"', lambda m: m.group(0) if m.group(1) in used else "", svg)
    ids = re.findall(r'\bid="([^"]+)"', svg)
    mapping = {i: f"{stem}-{i}" for i in ids}

    def _id(m: re.Match[str]) -> str:
        return f'id="{mapping[m.group(1)]}"'

    def _ref(m: re.Match[str]) -> str:
        name = m.group(2)
        return f"{m.group(1)}{mapping.get(name, name)}"

    svg = re.sub(r'\bid="([^"]+)"', _id, svg)
    svg = re.sub(r'(href="#)([^"]+)(?=")', _ref, svg)
    svg = re.sub(r"(url\(#)([^)]+)(?=\))", _ref, svg)
    # Root element: presentation attributes and a <title>.
    svg = re.sub(
        r"(<svg\b[^>]*?)>",
        lambda m: f"{m.group(1)}{root_attrs}>\n <title>{title}</title>",
        svg,
        count=1,
    )
    return svg.strip() + "\n"


def _save(fig: Any, stem: str, title: str) -> Path:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    path = OUT_DIR / f"{stem}.svg"
    path.write_text(_postprocess(buf.getvalue(), stem, title), encoding="utf-8", newline="\n")
    return path


def activation_curves() -> Path:
    x = np.linspace(-5.0, 5.0, 201)
    fig, ax = plt.subplots(figsize=(4.5, 3.0), layout="constrained")
    ax.axhline(0, color=GREY, linewidth=0.7)
    ax.axvline(0, color=GREY, linewidth=0.7)
    ax.plot(
        x, 1.0 / (1.0 + np.exp(-x)), color=BLUE, linewidth=1.8, label=r"sigmoid  $\sigma(x)=1/(1+e^{-x})$"
    )
    ax.plot(x, np.tanh(x), color=ORANGE, linewidth=1.8, linestyle=(0, (5, 2)), label=r"tanh  $\tanh(x)$")
    ax.plot(
        x,
        np.maximum(x, 0.0),
        color=GREEN,
        linewidth=1.8,
        linestyle=(0, (1.5, 1.5)),
        label=r"ReLU  $\max(0,x)$",
    )
    ax.set_xlim(-5, 5)
    ax.set_ylim(-1.3, 3.0)
    ax.set_xticks(range(-5, 6))
    ax.set_yticks([-1, 0, 1, 2, 3])
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    ax.grid(True)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", frameon=True, framealpha=0.95, edgecolor="#cccccc")
    return _save(fig, "activation-curves", "Sigmoid, tanh and ReLU activation functions")


def roc_curve() -> Path:
    fpr = np.linspace(0.0, 1.0, 101)
    tpr = 1.0 - (1.0 - fpr) ** 3  # smooth concave example curve, AUC = 1 - 1/4 = 0.75
    fig, ax = plt.subplots(figsize=(4.5, 3.0), layout="constrained")
    ax.fill_between(fpr, 0.0, tpr, color=BLUE, alpha=0.15, linewidth=0)
    ax.plot(
        [0, 1],
        [0, 1],
        color=GREY,
        linewidth=1.0,
        linestyle=(0, (4, 3)),
        label="random\nclassifier\n(AUC = 0.5)",
    )
    ax.plot(fpr, tpr, color=BLUE, linewidth=1.8, label="ROC curve")
    ax.text(0.6, 0.3, "AUC = 0.75", color=BLUE, fontsize=10, ha="center", va="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_aspect("equal")
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlabel("False Positive Rate (FPR)")
    ax.set_ylabel("True Positive Rate (TPR)")
    ax.grid(True)
    ax.set_axisbelow(True)
    ax.legend(loc="lower left", bbox_to_anchor=(1.03, 0.0), frameon=False, borderaxespad=0.0)
    return _save(fig, "roc-curve", "ROC curve with the area under the curve (AUC) shaded")


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for make in (activation_curves, roc_curve):
        path = make()
        print(f"wrote {path.relative_to(OUT_DIR.parent.parent)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
