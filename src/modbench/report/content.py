"""What the reports say: the claims report and the catalog table, as documents.

Built from a results table, the verdicts judged on it, and the run's own description
(:class:`RunInfo`); rendered by :mod:`modbench.report.document`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from modbench.claims.definitions import GHOST, GMLP_LONG, THRESHOLDS, VERDICT_RULE
from modbench.claims.sweeps import GHOST_CENTRE
from modbench.claims.verdict import ClaimVerdict, Results, combine
from modbench.output import format_number
from modbench.report import plots, tables
from modbench.report.document import Bullets, Document, Heading, Plot, Quote, Table, Text
from modbench.report.run_info import RunInfo


def _load(values: tuple[float, ...] | None) -> str:
    return "unknown" if values is None else " / ".join(f"{v:.2f}" for v in values)


def _environment_lines(store: Results, devices: Sequence[str]) -> list[str]:
    lines = []
    for device in devices:
        env = tables.environment(store, device)
        if env:
            cpu = "" if env.get("device_name") == env.get("cpu_model") else f"; CPU {env.get('cpu_model')}"
            lines.append(
                f"**{device}**: {env.get('device_name')} ({env.get('threads')} thread(s){cpu}); "
                f"torch {env.get('torch_version')}, modbench {env.get('modbench_version')}, commit "
                f"`{str(env.get('git_commit'))[:12]}`, machine `{env.get('machine_id')}`; measured {env.get('measured')}"
            )
    return lines


def _run_lines(infos: Sequence[RunInfo]) -> list[str]:
    lines = []
    for info in infos:
        lines += [
            f"{info.device}: produced by `{info.command}` (run `{info.run_id}`), {info.started} – {info.finished}"
            + (f", {info.duration_s / 60:.1f} min" if info.duration_s is not None else "")
            + f"; load average (1 / 5 / 15 min) before {_load(info.load_before)}, after {_load(info.load_after)}; "
            f"latency plan: catalog table {info.catalog_timing}, claims and batch curves {info.claims_timing}.",
        ]
    lines += [
        "Latency plans: full = 0.25 s warm-up and at least 1 s of timed runs; quick = a short warm-up and at least "
        "0.05 s of timed runs (rough numbers, enough to place an entry on a plot).",
        "Latency on a shared machine scatters. Every latency check is decided on the quartiles of both sides; one "
        "whose quartile range straddles its threshold, or whose sides rest on fewer than 3 timed calls, is reported "
        "as unmeasured, not guessed.",
    ]
    return lines


def _verdict_line(verdict: ClaimVerdict) -> str:
    return f"Verdict on {verdict.device}: **{verdict.verdict}**. {verdict.summary}."


def _point_verdicts(verdict: ClaimVerdict) -> dict[str, str]:
    """Sweep point label → the combined outcome of its voting checks."""
    by_point: dict[str, list[str]] = {}
    for check in verdict.checks:
        if check.votes:
            by_point.setdefault(check.comparison, []).append(check.outcome)
    return {point: combine(outcomes) for point, outcomes in by_point.items()}


def _ghost_blocks(store: Results, verdicts: Sequence[ClaimVerdict], devices: Sequence[str]) -> list[Any]:
    sweep = tables.ghost_sweep_table(store, list(devices))
    for verdict in verdicts:
        points = _point_verdicts(verdict)
        sweep[f"verdict ({verdict.device})"] = [points.get(c.label, "unmeasured") for c in GHOST.comparisons]
    blocks: list[Any] = [
        Table(sweep, "The sweep: one of c, n, k, s, d or the resolution varied at a time around c=64 n=128 k=3 s=2 d=3 56×56, "
              "plus GhostNet's own modules. Ratios are Ghost / conv."),
        Plot("ghost_sweep", plots.ghost_sweep(sweep, devices), "Ghost vs conv over the sweep: measured ratios against Eq. 4 and 1/s"),
    ]
    for device in devices:
        parts = tables.ghost_parts_table(store, device)
        blocks += [
            Text(
                f"Where the time goes ({device}): each Ghost module's primary convolution and its cheap depthwise "
                "operation measured alone, with achieved GFLOP/s and arithmetic intensity (FLOPs per compulsory byte: "
                "input, output and weights moved once). A depthwise d×d convolution does only d² multiply-adds per "
                "output element it writes, so its intensity is low and memory bandwidth, not arithmetic, bounds it; "
                "the concatenation and the slice move data without any MACs. " + _parts_finding(parts)
            ),
            Table(parts),
            Plot(f"ghost_parts_{device}", plots.ghost_parts(parts, device), f"Primary conv vs cheap depthwise op: intensity and achieved GFLOP/s ({device})"),
        ]
    return blocks


def _parts_finding(parts: pd.DataFrame) -> str:
    """The measured medians of both parts, in words (empty when the parts were not timed)."""
    medians = parts.groupby("part")[["gflops_achieved", "intensity"]].median() if not parts.empty else pd.DataFrame()
    if not {"primary", "cheap"} <= set(medians.index) or medians.loc[["primary", "cheap"], "gflops_achieved"].isna().any():
        return "The parts were not timed in this run."
    primary, cheap = medians.loc["primary"], medians.loc["cheap"]
    return (
        f"Measured, median over the sweep: primary convolutions {format_number(primary['gflops_achieved'])} GFLOP/s at "
        f"{format_number(primary['intensity'])} FLOPs/byte; cheap operations {format_number(cheap['gflops_achieved'])} GFLOP/s at "
        f"{format_number(cheap['intensity'])} FLOPs/byte."
    )


def _growth_blocks(store: Results, devices: Sequence[str]) -> list[Any]:
    blocks: list[Any] = []
    for device in devices:
        table = tables.growth_table(store, GMLP_LONG.growth, device)
        parameter = GMLP_LONG.growth[0].parameter
        blocks += [
            Table(table, f"gMLP (seed 000's widths) against {parameter} ({device})"),
            Plot(f"gmlp_growth_{device}", plots.growth(table, parameter, device), f"gMLP cost against {parameter} ({device})"),
        ]
    return blocks


def _claim_blocks(claim_verdicts: Sequence[ClaimVerdict], store: Results, devices: Sequence[str]) -> list[Any]:
    first = claim_verdicts[0]
    claim = first.claim
    blocks: list[Any] = [
        Heading(f"{claim.number}. {claim.statement} — {first.verdict}", 2, claim.id),
        *[Text(_verdict_line(verdict)) for verdict in claim_verdicts],
        *[Quote(q.original, q.english, f"seed {claim.seed}") for q in claim.quotes],
    ]
    source = [f"Paper: {claim.paper}" if claim.paper else "No paper states a number for this claim", f"table: {claim.table}" if claim.table else ""]
    blocks.append(Text("; ".join(part for part in source if part) + "."))
    if claim.published:
        blocks.append(Table(tables.published_table(first), "Published figures (the papers' numbers, not measurements)"))
    blocks.append(Text(f"**Rule.** {claim.rule}"))
    if claim.decides:
        blocks += [Text("**What decides the verdict.**"), Bullets(claim.decides)]
    if claim.out_of_scope:
        blocks += [Text("**Out of scope (accuracy, not cost).**"), Bullets(claim.out_of_scope)]
    if claim.id == GHOST.id:
        blocks += _ghost_blocks(store, claim_verdicts, devices)
    elif claim.id == GMLP_LONG.id:
        blocks += _growth_blocks(store, devices)
    if claim.id != GHOST.id:
        for verdict in claim_verdicts:
            blocks.append(Table(tables.check_table(verdict), f"Checks on {verdict.device}"))
    return blocks


def claims_document(
    store: Results, verdicts: Mapping[str, Sequence[ClaimVerdict]], infos: Sequence[RunInfo], catalog: pd.DataFrame
) -> Document:
    """The claims report: summary, plots, one section per claim, and the closing note."""
    devices = list(verdicts)
    document = Document("modbench: cost claims checked by measurement")
    document.add(
        Text(
            "Every cost claim of the seed articles (SPEC §4), quoted in the original Chinese with an English "
            "translation, tested on modbench's catalog entries. Accuracy claims are out of scope and marked so."
        ),
        Heading("Where and how", 2, "where"),
        Bullets(tuple(_run_lines(infos) + _environment_lines(store, devices))),
    )
    if "cuda" not in devices:
        document.add(
            Text(
                "**GPU: not measured.** These results hold no CUDA run, so no latency or memory verdict is given for a "
                "GPU; counts (params, MACs, FLOPs) do not depend on the device. A GPU run added to `results/` (see "
                "`modbench report --device cuda`) appears here as its own column."
            )
        )
    document.add(
        Heading("How verdicts are decided", 2, "rules"),
        Text(VERDICT_RULE),
        Table(pd.DataFrame(THRESHOLDS, columns=["the seed says", "modbench checks"])),
        Text("\"FLOPs\" in the GhostNet, MobileNetV3 and CBAM papers are multiply-adds: those claims compare `macs`. "
             "modbench's `flops` column counts 2 per multiply-add plus element-wise work (activations, normalisation, "
             "pooling, products), shown for context."),
        Heading("Verdicts", 2, "verdicts"),
        Table(_summary_table(verdicts)),
        Plot(
            "claimed_vs_measured",
            plots.claimed_vs_measured(verdicts[devices[0]], frozenset(c.label for c in GHOST.comparisons if c.label != GHOST_CENTRE.label())) if devices else None,
            f"Claimed vs measured ratios ({devices[0] if devices else 'no device'}; the Ghost sweep shows its centre point here, all points below)",
        ),
    )
    for device in devices:
        document.add(
            Plot(f"flops_vs_latency_{device}", plots.flops_vs_latency(catalog, device), f"FLOPs vs latency over the whole catalog ({device})"),
            Plot(f"batch_curves_{device}", plots.batch_curves(tables.batch_curve_tables(store, device), device), f"Batch-size curves ({device})"),
        )
    by_claim: dict[str, list[ClaimVerdict]] = {}
    for device in devices:
        for verdict in verdicts[device]:
            by_claim.setdefault(verdict.claim.id, []).append(verdict)
    for claim_verdicts in by_claim.values():
        document.add(*_claim_blocks(claim_verdicts, store, devices))
    document.add(Heading("Closing note", 2, "closing"), Bullets(_closing(verdicts)))
    return document


def _summary_table(verdicts: Mapping[str, Sequence[ClaimVerdict]]) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}
    for device, device_verdicts in verdicts.items():
        for verdict in device_verdicts:
            row = rows.setdefault(verdict.claim.id, {"#": verdict.claim.number, "claim": verdict.claim.statement, "seed": verdict.claim.seed[:3]})
            row[f"verdict ({device})"] = verdict.verdict
            row[f"why ({device})"] = verdict.summary
    return pd.DataFrame(list(rows.values()))


def _closing(verdicts: Mapping[str, Sequence[ClaimVerdict]]) -> tuple[str, ...]:
    lines = []
    devices = list(verdicts)
    if not devices:
        return ("No claim could be judged: the results table is empty.",)
    for index, verdict in enumerate(verdicts[devices[0]]):
        per_device = "; ".join(f"{device}: **{verdicts[device][index].verdict}**" for device in devices)
        lines.append(f"{verdict.claim.number}. {verdict.claim.statement} {per_device}. {verdict.summary}.")
    return tuple(lines)


def catalog_document(catalog: pd.DataFrame, store: Results, infos: Sequence[RunInfo]) -> Document:
    """The catalog table: every entry at its default config, batch 1, on each measured device."""
    devices = sorted(set(catalog["device"]), key=lambda d: (d != "cpu", d)) if not catalog.empty else []
    document = Document("modbench: the catalog, measured")
    document.add(
        Text(
            "Every catalog entry at its default config and batch 1 (`modbench list` shows the configs): parameters, "
            "multiply-adds, FLOPs (2 per MAC + element-wise, the element-wise part also on its own), latency (median and "
            "inter-quartile range), throughput, achieved GFLOP/s, peak and activation memory. DropBlock and Dropout also "
            "appear in train mode (forward + backward), where their cost is."
        ),
        Bullets(tuple(_run_lines(infos) + _environment_lines(store, devices))),
        Table(catalog),
    )
    return document
