"""The report's plots as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot state).

Each function takes a table from :mod:`modbench.report.tables` (or the verdicts) and returns
PNG bytes, or ``None`` when the table holds nothing to draw, so the page can say "not measured"
instead of showing an empty axis. matplotlib is imported only when a plot is drawn, and names are
drawn as literal text (see :mod:`modbench.plotting`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from modbench.claims.sweeps import BatchCurve
from modbench.claims.verdict import CheckResult, ClaimVerdict
from modbench.plotting import literal_text, new_figure, png

if TYPE_CHECKING:
    from matplotlib.axes import Axes

OUTCOME_COLOURS = {"holds": "#2e7d32", "refuted": "#c62828", "undecided": "#6d4c41", "unmeasured": "#9e9e9e", "context": "#1565c0"}
FAMILY_MARKERS = {"block": "o", "model": "s"}
EXPECT_MARKERS = {"approx": "D", "equals": "D", "at_most": "<", "at_least": ">"}
"""How the claimed number is drawn: a diamond for a value, a triangle pointing to where a bound holds."""


def _finite(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Rows where every column is a finite positive number (what a log axis can show)."""
    keep = pd.Series(True, index=frame.index)
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce") if column in frame.columns else pd.Series(np.nan, index=frame.index)
        keep &= np.isfinite(values) & (values > 0)
    return frame[keep]


@literal_text
def flops_vs_latency(catalog: pd.DataFrame, device: str) -> bytes | None:
    """Every catalog entry's FLOPs against its latency (log-log), with lines of constant GFLOP/s."""
    rows = catalog[(catalog["device"] == device) & (catalog["mode"] == "infer")] if not catalog.empty else catalog
    rows = _finite(rows, "flops", "latency_ms")
    if rows.empty:
        return None
    figure = new_figure(figsize=(9, 6.5))
    axes = figure.add_subplot()
    for family, marker in FAMILY_MARKERS.items():
        mine = rows[rows["family"] == family]
        axes.scatter(mine["flops"], mine["latency_ms"], marker=marker, label=f"{family}s", alpha=0.8)
    for _, row in rows.iterrows():
        axes.annotate(str(row["entry"]), (row["flops"], row["latency_ms"]), fontsize=7, xytext=(3, 2), textcoords="offset points")
    low, high = rows["flops"].min() / 2, rows["flops"].max() * 2
    bottom, top = rows["latency_ms"].min() / 3, rows["latency_ms"].max() * 3
    for rate in (0.1, 1, 10, 100):
        xs = np.array([low, high])
        axes.plot(xs, xs / (rate * 1e9) * 1e3, linestyle=":", linewidth=0.8, color="grey")
        label_y = high / (rate * 1e9) * 1e3
        if bottom < label_y < top:
            axes.annotate(f"{rate:g} GFLOP/s", (high, label_y), fontsize=7, color="grey")
    axes.set_ylim(bottom, top)
    axes.set(xscale="log", yscale="log", xlabel="FLOPs per forward (2 per MAC + element-wise)", ylabel=f"latency, ms ({device}, batch 1)")
    axes.set_title(f"FLOPs vs latency, whole catalog ({device})")
    axes.legend()
    return png(figure)


def _short(text: str, width: int = 46) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def ratio_checks(verdicts: Sequence[ClaimVerdict], skip_comparisons: frozenset[str] = frozenset()) -> list[tuple[str, CheckResult]]:
    """Voting ratio checks with a measured number and an expected one, labelled for a bar chart."""
    picked = []
    for verdict in verdicts:
        for check in verdict.checks:
            if check.kind != "ratio" or not check.votes or check.expected is None or check.comparison in skip_comparisons:
                continue
            picked.append((f"{verdict.claim.number} {_short(check.comparison)} · {check.label}", check))
    return picked


@literal_text
def claimed_vs_measured(verdicts: Sequence[ClaimVerdict], skip_comparisons: frozenset[str] = frozenset()) -> bytes | None:
    """Measured ratio (bar, coloured by outcome) against the claimed one (black mark), log scale."""
    checks = ratio_checks(verdicts, skip_comparisons)
    if not checks:
        return None
    figure = new_figure(figsize=(10, 0.32 * len(checks) + 1.5))
    axes = figure.add_subplot()
    ys = np.arange(len(checks))
    positive = [v for _, c in checks for v in (c.measured, c.expected) if v is not None and math.isfinite(v) and v > 0]
    floor = min(positive) / 4 if positive else 1e-3
    ceiling = max(positive) * 4 if positive else 1e3
    clipped = False
    for y, (_, check) in zip(ys, checks):
        if check.measured is not None and math.isfinite(check.measured):
            axes.barh(y, min(max(check.measured, floor), ceiling) - floor, left=floor, color=OUTCOME_COLOURS[check.outcome], alpha=0.85)
            if check.measured <= 0:
                axes.text(floor * 1.1, y, "0", va="center", fontsize=7)
            if check.low is not None and check.high is not None and check.low != check.high:
                clipped |= _whisker(axes, y, check.low, check.high, floor, ceiling)
        else:
            axes.text(floor * 1.1, y, "not measured", va="center", fontsize=7, color="grey")
        axes.plot(min(max(check.expected, floor), ceiling), y, marker=EXPECT_MARKERS.get(check.expect_kind or "", "D"), color="black", markersize=6)
    axes.set_xlim(floor, ceiling)
    if clipped:
        axes.annotate("an interval reaching past the axis is cut at its edge (▸ / ◂)", (1, -0.08), xycoords="axes fraction",
                      ha="right", va="top", fontsize=7, color="grey")
    axes.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
    axes.set(yticks=ys, xscale="log", xlabel="candidate / baseline (log)")
    axes.set_yticklabels([label for label, _ in checks], fontsize=7)
    axes.invert_yaxis()
    axes.set_title("Claimed (◆ value, ◀ upper bound) vs measured (bar: green holds, red refuted, grey undecided)")
    return png(figure)


def _whisker(axes: Axes, y: float, low: float, high: float, floor: float, ceiling: float) -> bool:
    """The interval's whisker, cut to the plotted range with an arrowhead where it goes on; whether it was cut.

    An interval reaching 10⁶ (a ratio of two noisy near-zero timings) would otherwise stretch
    the log axis until every bar is a sliver.
    """
    left = min(max(low, floor), ceiling) if math.isfinite(low) else floor
    right = max(min(high, ceiling), floor) if not math.isnan(high) else ceiling
    axes.plot([left, right], [y, y], color="black", linewidth=0.8)
    cut_left, cut_right = not low > floor, not high < ceiling
    if cut_left:
        axes.plot(left, y, marker="<", color="black", markersize=4)
    if cut_right:
        axes.plot(right, y, marker=">", color="black", markersize=4)
    return cut_left or cut_right


@literal_text
def batch_curves(curves: Sequence[tuple[BatchCurve, pd.DataFrame]], device: str) -> bytes | None:
    """Throughput against batch size, one panel per curve."""
    drawable = [(curve, _finite(table, "throughput")) for curve, table in curves]
    drawable = [(curve, table) for curve, table in drawable if not table.empty]
    if not drawable:
        return None
    columns = 2
    rows = math.ceil(len(drawable) / columns)
    figure = new_figure(figsize=(11, 4 * rows), layout="constrained")  # labels never overlap the next row's titles
    for index, (curve, table) in enumerate(drawable, start=1):
        axes = figure.add_subplot(rows, columns, index)
        for label, group in table.groupby("label", sort=False):
            axes.plot(group["batch"], group["throughput"], marker="o", label=str(label))
        axes.set(xscale="log", yscale="log", xlabel="batch size", ylabel="samples / s")
        axes.set_xticks(list(curve.batches), [str(b) for b in curve.batches])
        axes.xaxis.set_minor_formatter("")
        axes.set_title(curve.title, fontsize=9)
        axes.legend(fontsize=6)
    figure.suptitle(f"Batch-size curves ({device})")
    return png(figure)


@literal_text
def ghost_sweep(sweep: pd.DataFrame, devices: Sequence[str]) -> bytes | None:
    """Per sweep point: measured MACs ratio, Eq. 4's 1/r_s, 1/s, and latency ratio per device."""
    if sweep.empty or sweep["MACs ratio"].isna().all():
        return None
    figure = new_figure(figsize=(12, 5.5))
    axes = figure.add_subplot()
    xs = np.arange(len(sweep))
    axes.plot(xs, sweep["1/s"], "k_", markersize=18, label="1/s (the seed's 1/m)")
    axes.plot(xs, sweep["1/r_s"], "D", color="#6a1b9a", fillstyle="none", markersize=8, label="1/r_s (Eq. 4)")
    axes.plot(xs, sweep["MACs ratio"], "o", color="#2e7d32", label="measured MACs ratio")
    axes.plot(xs, sweep["params ratio"], "x", color="#ef6c00", label="measured params ratio")
    for marker, device in zip("^v", devices):
        column = f"latency ratio ({device})"
        if column in sweep.columns:
            axes.plot(xs, sweep[column], marker, color="#c62828" if device == "cpu" else "#1565c0", label=f"measured latency ratio ({device})")
    axes.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    labels = [f"c{r.c} n{r.n}\nk{r.k} s{r.s} d{r.d}\n{r.hw}²" for r in sweep.itertuples()]
    axes.set_xticks(xs, labels, fontsize=7)
    axes.set(ylabel="Ghost / conv", yscale="log")
    ticks = [0.25, 1 / 3, 0.5, 0.75, 1, 1.5, 2, 3]
    axes.set_yticks(ticks, [f"{t:.2g}" for t in ticks])
    axes.yaxis.set_minor_formatter("")
    axes.set_title("Ghost module / k×k conv over the sweep: measured ratios against Eq. 4's 1/r_s and 1/s")
    axes.legend(fontsize=7, ncol=2)
    return png(figure)


@literal_text
def ghost_parts(parts: pd.DataFrame, device: str) -> bytes | None:
    """Achieved GFLOP/s against arithmetic intensity for the primary conv and the cheap depthwise op."""
    rows = _finite(parts[parts["part"].isin(["primary", "cheap"])], "intensity", "gflops_achieved") if not parts.empty else parts
    if rows.empty:
        return None
    figure = new_figure(figsize=(8, 5.5))
    axes = figure.add_subplot()
    for part, marker, colour in (("primary", "o", "#1565c0"), ("cheap", "^", "#c62828")):
        mine = rows[rows["part"] == part]
        label = "primary k×k conv" if part == "primary" else "cheap d×d depthwise op"
        axes.scatter(mine["intensity"], mine["gflops_achieved"], marker=marker, color=colour, label=label)
    axes.set(xscale="log", yscale="log", xlabel="arithmetic intensity, FLOPs per compulsory byte", ylabel=f"achieved GFLOP/s ({device})")
    axes.set_title("Primary conv vs cheap depthwise op: arithmetic intensity and achieved GFLOP/s")
    axes.legend()
    return png(figure)


@literal_text
def growth(table: pd.DataFrame, parameter: str, device: str) -> bytes | None:
    """Each growth metric against the swept parameter, normalised to its first value (log-log)."""
    if table.empty:
        return None
    numeric = [c for c in table.columns if c != parameter and pd.api.types.is_numeric_dtype(table[c])]  # not the noise mark
    metrics = [c for c in numeric if table[c].notna().all() and (table[c] > 0).all()]
    if not metrics:
        return None
    figure = new_figure(figsize=(7.5, 5))
    axes = figure.add_subplot()
    xs = table[parameter].to_numpy(dtype=float)
    for metric in metrics:
        ys = table[metric].to_numpy(dtype=float)
        axes.plot(xs, ys / ys[0], marker="o", label=metric)
    axes.plot(xs, xs / xs[0], ":", color="grey", label="linear")
    axes.plot(xs, (xs / xs[0]) ** 2, "--", color="grey", label="quadratic")
    axes.set(xscale="log", yscale="log", xlabel=parameter, ylabel=f"relative to {parameter} = {int(xs[0])} ({device})")
    axes.set_title(f"gMLP cost against {parameter}")
    axes.legend(fontsize=8)
    return png(figure)
