"""``reports/stability.md`` from what ``benchmarks/stability.py`` measured: the numbers, then a verdict per check.

Only renders: every number comes from the ``found`` mapping the benchmark wrote to
``reports/stability.json``, so the page and the JSON cannot disagree.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

import torch

from benchmarks.stability import LOADED_DRIFT, PAIR, QUICK_LIMIT_S, QUIET_SPREAD, REPORT_LIMIT_S
from modbench.environment import cpu_model, git_commit


def _ratios(runs: list[dict[str, Any]]) -> list[float]:
    return [run["ratio"]["ratio"] for run in runs]


def _spread(values: list[float]) -> float:
    """(max − min) / median: how far apart the runs are, relative to their middle."""
    return (max(values) - min(values)) / statistics.median(values)


def threads_label(found: dict[str, Any], threads: str) -> str:
    """``2 thread(s)``, or ``1 thread(s), modbench's default`` for the count a timing pins when none is asked for."""
    return f"{threads} thread(s)" + (", modbench's default" if found.get("default_threads") == int(threads) else "")


def verdicts(found: dict[str, Any]) -> dict[str, str]:
    """pass / FAIL for each check whose part ran."""
    result = {}
    for threads, sentinel in found.get("sentinel", {}).items():
        result[f"sentinel quiet spread under the threshold ({threads_label(found, threads)})"] = "pass" if sentinel["p90"] < sentinel["threshold"] else "FAIL"
    for threads, runs in found.get("quiet", {}).items():
        result[f"quiet ratio varies < {QUIET_SPREAD:.0%} ({threads_label(found, threads)})"] = "pass" if _spread(_ratios(runs)) < QUIET_SPREAD else "FAIL"
    for threads, runs in found.get("loaded", {}).items():
        quiet = statistics.median(_ratios(found["quiet"][threads])) if threads in found.get("quiet", {}) else None
        clean = [run for run in runs if not run["sentinel"]["noisy"]]
        if quiet is not None and clean:
            worst = max(abs(ratio / quiet - 1) for ratio in _ratios(clean))
            result[f"loaded clean runs within {LOADED_DRIFT:.0%} of quiet ({threads_label(found, threads)})"] = "pass" if worst < LOADED_DRIFT else "FAIL"
        if int(threads) > (os.cpu_count() or 1) - 1:  # one busy core leaves too few cores for these threads
            marked = all(run["sentinel"]["noisy"] for run in runs)
            result[f"loaded runs on contended cores marked noisy ({threads_label(found, threads)})"] = "pass" if marked else "FAIL"
    if found.get("claims_quiet") and found.get("claims_loaded"):
        result["no claim flips between holds and refuted"] = "pass" if not _flips(found) else "FAIL"
    if "history" in found:
        history = found["history"]
        result["history: no regression over a docs-only commit"] = (
            "pass" if history["history_exit"] == 0 and not history["regressions"] else "FAIL")
        result[f"catalog --quick under {QUICK_LIMIT_S:.0f} s"] = "pass" if history["quick_catalog_s"][0] < QUICK_LIMIT_S else "FAIL"
    if "report" in found:
        report = found["report"]
        result[f"report under {REPORT_LIMIT_S / 60:.0f} min"] = "pass" if report["exit"] == 0 and report["wall_s"] < REPORT_LIMIT_S else "FAIL"
    return result


def _flips(found: dict[str, Any]) -> list[str]:
    quiet, loaded = found["claims_quiet"], found["claims_loaded"]
    return [key for key in quiet if key != "wall_s" and key in loaded and {quiet[key], loaded[key]} == {"holds", "refuted"}]


def _run_rows(runs: list[dict[str, Any]], quiet: float | None) -> list[str]:
    rows = ["| run | ratio ghost/conv2d | 95 % CI | rounds | conv2d ms (IQR) | ghost ms (IQR) | sentinel | other cores busy | attempts | noisy |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for number, run in enumerate(runs, start=1):
        ratio, sentinel = run["ratio"], run["sentinel"]
        other = "n/a" if sentinel["other_cores"] is None else f"{sentinel['other_cores']:.2f}"
        rows.append(
            f"| {number} | {ratio['ratio']:.4f} | {ratio['low']:.4f}–{ratio['high']:.4f} | {ratio['rounds']} "
            f"| {run['median_ms']['conv2d']:.3f} ({run['iqr_ms']['conv2d']:.3f}) | {run['median_ms']['ghost']:.3f} ({run['iqr_ms']['ghost']:.3f}) "
            f"| {sentinel['slowdown']:+.1%} | {other} | {sentinel['attempts']} | {'**noisy**' if sentinel['noisy'] else 'clean'} |")
    ratios = _ratios(runs)
    against = f"; median against quiet {statistics.median(ratios) / quiet - 1:+.1%}" if quiet else ""
    rows += ["", f"Median ratio {statistics.median(ratios):.4f}; runs range {min(ratios):.4f}–{max(ratios):.4f}, "
                 f"spread (max − min) / median **{_spread(ratios):.2%}**{against}."]
    conv = [run["median_ms"]["conv2d"] for run in runs]
    if len(runs) > 2 and len(set(conv)) > 1 and len(set(ratios)) > 1:
        rows += ["", f"Correlation across runs of the run's ratio with how fast the host ran conv2d itself in that run "
                     f"(conv2d {min(conv):.2f}–{max(conv):.2f} ms): r = {statistics.correlation(conv, ratios):+.2f}. "
                     "Near +1, the ratio moves with the host's state (a slower host slows the more memory-bound Ghost more), "
                     "which no pairing inside one run can cancel."]
    return rows


def render(found: dict[str, Any]) -> str:
    lines = [
        "# Timing stability on a shared machine",
        "",
        "Written by `python -m benchmarks.stability`; every number below was measured by that run "
        "(raw values in `stability.json`).",
        "",
        f"- started (UTC): {found['started']}; took {found['wall_s'] / 60:.1f} min",
        f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs; torch {torch.__version__}; commit {git_commit() or 'unknown'}",
        f"- threads pinned: {', '.join(map(str, found['threads']))}; load average at start {', '.join(f'{v:.2f}' for v in found['load_start'])}, "
        f"at end {', '.join(f'{v:.2f}' for v in found['load_end'])}",
        f"- allocator in every timing process: {found.get('allocator', 'not recorded')}",
        "",
        "## Verdicts",
        "",
        "| check | verdict |",
        "|---|---|",
        *[f"| {check} | {verdict} |" for check, verdict in verdicts(found).items()],
        *[f"| {part} | not run: {why} |" for part, why in found["not_run"].items()],
        "",
    ]
    for threads, s in found.get("sentinel", {}).items():
        lines += [f"## (a) The noise sentinel on this machine, {threads_label(found, threads)}", "",
                  f"Quiet reference {s['reference_ms']:.2f} ms (median of {s['reference_repeats']}); {s['checks']} further "
                  f"checks, each right after a quick timing of conv2d: median slowdown {s['median']:+.1%}, 90th percentile "
                  f"{s['p90']:+.1%}, worst {s['max']:+.1%}; {s['noisy']} of {s['checks']} past the {s['threshold']:.0%} "
                  "threshold that marks a measurement noisy.", ""]
    pair = ", ".join(f"{k}={v}" for k, v in PAIR.items())
    for part, title in (("quiet", "(b) Ghost / conv2d, quiet"), ("loaded", "(c) Ghost / conv2d, one core kept busy")):
        for threads, runs in found.get(part, {}).items():
            lines += [f"## {title}, {threads_label(found, threads)}", "",
                      f"Both entries at {pair}, batch 1, infer; each run a separate process timing both in interleaved "
                      f"rounds as `modbench compare` does: at least {runs[0]['plan']['rounds']} over at least "
                      f"{runs[0]['plan'].get('min_span_s', 0):g} s, then more until the ratio's "
                      f"95 % interval is within ±{runs[0]['plan']['precision']:.0%} (at most {runs[0]['plan']['max_rounds']} rounds "
                      f"or {runs[0]['plan']['max_time_s']:g} s); ratio = median of the per-round ratios, block bootstrap "
                      "95 % interval; under the noise sentinel.", ""]
            if part == "loaded":
                lines += [f"A busy loop (PID {found['busy_pid']}, pinned to core 0) ran for the whole part.", ""]
            quiet = statistics.median(_ratios(found["quiet"][threads])) if part == "loaded" and threads in found.get("quiet", {}) else None
            lines += [*_run_rows(runs, quiet), ""]
    if found.get("claims_quiet") and found.get("claims_loaded"):
        flipped = _flips(found)
        lines += ["## (d) `modbench claims`, quiet and loaded", "",
                  f"Wall time {found['claims_quiet']['wall_s']} s quiet, {found['claims_loaded']['wall_s']} s loaded. "
                  f"Claims and checks compared: {len(found['claims_quiet']) - 1}; flipped between holds and refuted: "
                  f"{len(flipped)}{': ' + ', '.join(flipped) if flipped else ''}.", "",
                  "| claim | quiet | loaded |", "|---|---|---|",
                  *[f"| {key} | {word} | {found['claims_loaded'].get(key, 'n/a')} |"
                    for key, word in found["claims_quiet"].items() if key != "wall_s" and "/" not in key], ""]
    if "history" in found:
        h = found["history"]
        lines += ["## (e) `modbench history` over a documentation-only commit", "",
                  f"`modbench measure --all --quick` at each commit: {h['quick_catalog_s'][0]:.1f} s and "
                  f"{h['quick_catalog_s'][1]:.1f} s. `modbench history` exited {h['history_exit']} with "
                  f"{len(h['regressions'])} regression(s){': ' + ', '.join(str(r.get('params')) for r in h['regressions']) if h['regressions'] else ''}.", ""]
    if "report" in found:
        lines += ["## (f) `modbench report`", "", f"Exit {found['report']['exit']}, {found['report']['wall_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)
