"""``reports/history.md`` and one plot per regressed series, from the history table and its changes.

Reads results only: every number on the page comes from the history table, every verdict from
:mod:`modbench.history.detect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from modbench.history.analysis import History
from modbench.history.detect import Change
from modbench.output import render
from modbench.plotting import literal_text, new_figure
from modbench.text import slug

SHORT_HASH = 8
REPORT_NAME = "history.md"
PLOTS_DIR = "history"


def change_rows(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """One row per change, for the terminal, JSON and the report's tables."""
    return [
        {
            "benchmark": change.series.benchmark,
            "params": change.series.params,
            "machine": change.series.machine,
            "started_at": change.commit[:SHORT_HASH],
            "previous": change.previous_commit[:SHORT_HASH],
            "before": format_value(change.before, change.unit),
            "after": format_value(change.after, change.unit),
            "change": f"{change.ratio - 1:+.1%}" if change.before else "new",
            "judged": f"{change.judged_ratio - 1:+.1%}" if change.basis and change.before else "",
            "series_noise": f"{change.noise:.1%}" if change.noise is not None else "",
            "test": change.test,
            "p_value": f"{change.p_value:.2g}" if change.p_value is not None else "",
            "basis": change.basis,
        }
        for change in changes
    ]


def write_report(history: History, out_dir: str | Path) -> Path:
    """Write ``<out_dir>/history.md`` and ``<out_dir>/history/<series>.png`` per regression; returns the page."""
    out = Path(out_dir)
    plots_dir = out / PLOTS_DIR
    plots_dir.mkdir(parents=True, exist_ok=True)
    for stale in plots_dir.glob("*.png"):
        stale.unlink()
    plot_names = _plot_names(history.regressions)
    for change in history.regressions:
        plot_regression(history.series[change.series], change, plots_dir / plot_names[change])

    commits = {commit for table in history.series.values() for commit in table["commit"]}
    lines = [
        "# Performance history",
        "",
        *[f"- {source}" for source in history.sources],
        f"- {len(history.series)} series (one benchmark at one parameter set, machine and environment) "
        f"over {len(commits)} commits, ordered by {history.order}",
        f"- detection: candidate steps between consecutive commits and from a binary segmentation of the "
        f"per-commit values; timings measured noisy (noise sentinel) are left out, and timings are divided by "
        f"their sentinel slowdown and by their commit's machine drift where those were measured; a step in a "
        f"timing or memory then counts when it is at least {history.thresholds.min_effect:.0%}, wider than the "
        f"interquartile half-ranges on both sides, more than {history.thresholds.noise_factor:g}× the series' "
        f"spread between commits (with {history.thresholds.min_noise_commits}+ commits), and (where samples were "
        f"recorded) a two-sided Mann-Whitney U test gives p < {history.thresholds.alpha}; "
        f"counts are exact, so any change counts",
        *_drift_lines(history),
        "",
        f"## Regressions ({len(history.regressions)})",
        "",
    ]
    if not history.regressions:
        lines += ["None found.", ""]
    else:
        lines += [_markdown_changes(history.regressions), ""]
        for change in history.regressions:
            lines += [
                f"### {change.series.label()}",
                "",
                f"Started at `{change.commit[:SHORT_HASH]}` (after `{change.previous_commit[:SHORT_HASH]}`): "
                f"{format_value(change.before, change.unit)} → {format_value(change.after, change.unit)} "
                f"(×{change.ratio:.2f}), machine `{change.series.machine}`, environment `{change.series.env}`.",
                "",
                f"![{change.series.label()}]({PLOTS_DIR}/{plot_names[change]})",
                "",
                render(_series_rows(history.series[change.series]), "markdown"),
                "",
            ]
    lines += [f"## Unconfirmed timing steps ({len(history.unconfirmed)})", ""]
    lines += [
        "Steps that pass every test above, in series measured once per commit at fewer than "
        f"{history.thresholds.min_noise_commits} commits: nothing measured how far they move between runs "
        "on their own, so they do not fail the gate. Measure again at both commits (repeated runs become "
        "each commit's samples) to confirm or dismiss them.",
        "",
        _markdown_changes(history.unconfirmed) if history.unconfirmed else "None.",
        "",
    ]
    lines += [f"## Improvements ({len(history.improvements)})", ""]
    lines += [_markdown_changes(history.improvements) if history.improvements else "None found.", ""]
    lines += ["## Benchmarks", "", render(_benchmark_rows(history), "markdown"), ""]
    page = out / REPORT_NAME
    page.write_text("\n".join(lines) + "\n")
    return page


def _drift_lines(history: History) -> list[str]:
    """One line per commit whose timings all moved together by more than 5 % (the machine, divided out)."""
    return [
        f"- machine drift at `{commit[:SHORT_HASH]}` on `{machine}`: its timings ran ×{factor:.2f} "
        "against their medians over commits (divided out before judging)"
        for (machine, commit), factor in sorted(history.drift.items())
        if abs(factor - 1) > 0.05
    ]


@literal_text
def plot_regression(table: pd.DataFrame, change: Change, path: Path) -> None:
    """The series over commits (median ± IQR/2, samples as dots), the step marked by its two levels.

    The y axis spans the medians and their IQRs with a margin, not every sample, so that a few
    outlying samples (a burst of load) do not flatten the step to a line.
    """
    divisor, unit = unit_scale(float(table["value"].median()), change.unit)
    values = table["value"] / divisor
    half_iqr = table["iqr"].fillna(0.0) / divisor / 2
    figure = new_figure(figsize=(max(6.0, 0.5 * len(table) + 3), 4))
    axes = figure.add_subplot()
    positions = list(range(len(table)))
    for position, samples in zip(positions, table["samples"]):
        if isinstance(samples, (tuple, list)) and samples:
            axes.plot([position] * len(samples), [s / divisor for s in samples], ".", color="#90a4ae",
                      markersize=3, zorder=1)
    axes.errorbar(positions, values, yerr=half_iqr, fmt="o-", color="#1565c0", capsize=3, zorder=2,
                  label="median ± IQR/2")
    step = change.position - 0.5
    axes.hlines(change.before / divisor, -0.4, step, colors="#2e7d32", linestyles="--", label="before")
    axes.hlines(change.after / divisor, step, len(table) - 0.6, colors="#c62828", linestyles="--", label="after")
    axes.axvline(step, color="#c62828", alpha=0.4)
    low, high = float((values - half_iqr).min()), float((values + half_iqr).max())
    margin = 0.25 * (high - low) or 0.05 * abs(high) or 1.0
    axes.set_ylim(low - margin, high + margin)
    axes.set_xticks(positions, [commit[:SHORT_HASH] for commit in table["commit"]], rotation=45, ha="right",
                    fontsize=8)
    axes.set_ylabel(unit)
    axes.set_title(f"{change.series.label()}\n{change.ratio - 1:+.1%} at {change.commit[:SHORT_HASH]}", fontsize=9)
    axes.legend(fontsize=8)
    figure.savefig(path, dpi=100, bbox_inches="tight")


# Display units, largest first: (divisor, name).
SCALES = {
    "seconds": ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")),
    "bytes": ((2.0**30, "GiB"), (2.0**20, "MiB"), (2.0**10, "KiB"), (1.0, "B")),
}


def unit_scale(value: float, unit: str) -> tuple[float, str]:
    """The divisor and unit name that show ``value`` readably (seconds as ms or µs, bytes as MiB...)."""
    scales = SCALES.get(unit, ((1.0, unit),))
    return next(((divisor, name) for divisor, name in scales if abs(value) >= divisor), scales[-1])


def format_value(value: float, unit: str) -> str:
    """A value in a readable unit: seconds as µs/ms/s, bytes as KiB/MiB/GiB, counts with separators."""
    if unit in SCALES:
        divisor, name = unit_scale(value, unit)
        return f"{value / divisor:.3g} {name}"
    if float(value).is_integer():
        return f"{int(value):,} {unit}"
    return f"{value:.4g} {unit}"


def _markdown_changes(changes: Sequence[Change]) -> str:
    """The changes as a Markdown table, commits as code (so a hash like ``1234e567`` stays text)."""
    rows = change_rows(changes)
    for row in rows:
        row["started_at"], row["previous"] = f"`{row['started_at']}`", f"`{row['previous']}`"
    return render(rows, "markdown")


def _series_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    unit = str(table["unit"].iloc[0])
    return [
        {
            "commit": f"`{row.commit[:SHORT_HASH]}`",
            "date": row.date.strftime("%Y-%m-%d %H:%M") if pd.notna(row.date) else "",
            "value": format_value(row.value, unit),
            "iqr": format_value(row.iqr, unit) if pd.notna(row.iqr) else "",
            "samples": len(row.samples) if isinstance(row.samples, (tuple, list)) else 0,
        }
        for row in table.itertuples()
    ]


def _benchmark_rows(history: History) -> list[dict[str, Any]]:
    counts: dict[tuple[str, str], dict[str, Any]] = {}
    for key, table in history.series.items():
        row = counts.setdefault((key.source, key.benchmark), {
            "source": key.source, "benchmark": key.benchmark, "series": 0, "commits": 0,
            "regressions": 0, "improvements": 0, "unconfirmed": 0,
        })
        row["series"] += 1
        row["commits"] = max(row["commits"], len(table))
    for change in history.changes:
        column = "unconfirmed" if not change.confirmed else "regressions" if change.regression else "improvements"
        counts[(change.series.source, change.series.benchmark)][column] += 1
    return [counts[key] for key in sorted(counts)]


def _plot_names(changes: Sequence[Change]) -> dict[Change, str]:
    """A file name per regression: ``<benchmark>-<params>.png``, plus the machine and env when that is taken."""
    names: dict[Change, str] = {}
    used: set[str] = set()
    for change in changes:
        key = change.series
        name = slug(f"{key.benchmark}-{key.params}")
        if name in used:
            name = slug(f"{key.benchmark}-{key.params}-{key.machine}-{key.env}")
        if name in used:
            name = f"{name}-{change.commit[:SHORT_HASH]}"
        used.add(name)
        names[change] = f"{name}.png"
    return names
