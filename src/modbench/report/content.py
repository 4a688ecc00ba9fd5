"""What the reports say: the claims report and the catalog table, as documents.

Built from a results table, the verdicts judged on it, and the run's own description
(:class:`RunInfo`); rendered by :mod:`modbench.report.document`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from modbench.claims.expect import WORDS
from modbench.claims.lookup import Results
from modbench.claims.verdict import VERDICT_RULE, ClaimVerdict
from modbench.metrics.sentinel import NOISE_THRESHOLD, load_count
from modbench.report import plots, tables
from modbench.report.claim_sections import claim_section, sweep_tails, toc_lines, verdict_words
from modbench.report.document import Block, Bullets, Document, Heading, Plot, Table, Text
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


def noise_line(store: Results) -> str:
    """The header's count of measurements taken under load, and how they are marked."""
    return (
        f"**Noise**: {load_count(store.results)}; each is marked `noisy` in the tables (the noise sentinel, timed "
        f"around every measurement, ran more than {NOISE_THRESHOLD:.0%} slower than the run's quiet reference, or "
        "other work left fewer cores free than threads pinned), and a verdict resting on one says so."
    )


def _run_lines(infos: Sequence[RunInfo]) -> list[str]:
    lines = []
    for info in infos:
        lines += [
            f"{info.device}: produced by `{info.command}` (run `{info.run_id}`), {info.started} – {info.finished}"
            + (f", {info.duration_s / 60:.1f} min" if info.duration_s is not None else "")
            + f"; load average (1 / 5 / 15 min) before {_load(info.load_before)}, after {_load(info.load_after)}; "
            f"latency plan: catalog table {info.catalog_timing}, claims and batch curves {info.claims_timing}.",
        ]
    return lines


def _words_table() -> pd.DataFrame:
    return pd.DataFrame([{"the seed says": w.says, "modbench reads": w.name, "check": w.reads()} for w in WORDS])


def claims_document(
    store: Results, verdicts: Mapping[str, Sequence[ClaimVerdict]], infos: Sequence[RunInfo], catalog: pd.DataFrame
) -> Document:
    """The claims report: contents, where and how, the rules, the verdicts, one section per claim, the closing note."""
    devices = list(verdicts)
    document = Document("modbench: cost claims checked by measurement")
    document.add(
        Text(
            "Every cost claim of the seed articles, quoted in the original Chinese with an English translation, "
            "tested on modbench's catalog entries; each has a cost verdict (counts, the same on every device) and a "
            "verdict on each device measured (latency, memory). Accuracy claims are out of scope and marked so."
        ),
        Heading("Contents", 2, "contents"),
        Bullets(toc_lines(dict(verdicts))),
        Heading("Where and how", 2, "where"),
        Bullets(tuple(_run_lines(infos) + _environment_lines(store, devices) + [noise_line(store)])),
    )
    if "cuda" not in devices:
        document.add(
            Text(
                "**GPU: not measured.** These results hold no CUDA run, so no latency or memory verdict is given for a "
                "GPU; counts (params, MACs, FLOPs) do not depend on the device. A GPU run added to `results/` (see "
                "`modbench report --device cuda`) appears here as its own column."
            )
        )
    first = verdicts[devices[0]] if devices else []
    document.add(
        Heading("How verdicts are decided", 2, "rules"),
        Text(VERDICT_RULE),
        Table(_words_table()),
        Text("\"FLOPs\" in the GhostNet, MobileNetV3 and CBAM papers are multiply-adds: those claims compare `macs`. "
             "modbench's `flops` column counts 2 per multiply-add plus element-wise work (activations, normalisation, "
             "pooling, products), shown for context."),
        Heading("Verdicts", 2, "verdicts"),
        Table(_summary_table(verdicts)),
        Plot(
            "claimed_vs_measured",
            plots.claimed_vs_measured(first, sweep_tails(first)) if devices else None,
            f"Claimed vs measured ratios ({devices[0] if devices else 'no device'}; a sweep shows its first point here, "
            "every point in its section)",
        ),
    )
    for device in devices:
        document.add(
            Plot(f"flops_vs_latency_{device}", plots.flops_vs_latency(catalog, device), f"FLOPs vs latency over the whole catalog ({device})"),
            Plot(f"batch_curves_{device}", plots.batch_curves(tables.batch_curve_tables(store, device), device), f"Batch-size curves ({device})"),
            Table(
                tables.batch_curve_ratios(store, device),
                f"Batch-size curves ({device}): each side's latency against the curve's first side, at each batch size "
                "timed together in interleaved rounds (paired: the median per-round ratio and its 95 % interval)",
            ),
        )
    by_claim: dict[str, list[ClaimVerdict]] = {}
    for device in devices:
        for verdict in verdicts[device]:
            by_claim.setdefault(verdict.claim.id, []).append(verdict)
    seeds = [vs for vs in by_claim.values() if vs[0].claim.seed is not None]
    papers = [vs for vs in by_claim.values() if vs[0].claim.seed is None]
    blocks: list[Block] = [block for claim_verdicts in seeds for block in claim_section(claim_verdicts)]
    if papers:
        blocks += [
            Heading("Papers' tables reproduced", 2, "papers"),
            Text(
                "Each printed row of the papers' own tables, as a catalog entry at the paper's size: the printed "
                "parameters and MACs beside modbench's counts, **reproduced** within the figures' tolerances or "
                "**differs** with the reason recorded with the figure; a recalled figure is shown, marked, and does "
                "not vote (its row stays unconfirmed). docs/papers.md discusses every row."
            ),
        ]
        blocks += [block for claim_verdicts in papers for block in claim_section(claim_verdicts)]
    document.add(*blocks, Heading("Closing note", 2, "closing"), Bullets(_closing(verdicts)))
    return document


def _summary_table(verdicts: Mapping[str, Sequence[ClaimVerdict]]) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}
    for device, device_verdicts in verdicts.items():
        for verdict in device_verdicts:
            row = rows.setdefault(
                verdict.claim.id,
                {"#": verdict.claim.number, "claim": verdict.claim.statement, "seed": verdict.claim.seed.number if verdict.claim.seed else "", "cost": verdict.cost},
            )
            row[f"on {device}"] = verdict.hardware
            row[f"why ({device})"] = verdict.summary
    return pd.DataFrame(list(rows.values()))


def _closing(verdicts: Mapping[str, Sequence[ClaimVerdict]]) -> tuple[str, ...]:
    devices = list(verdicts)
    if not devices:
        return ("No claim could be judged: the results table is empty.",)
    lines = []
    for index, verdict in enumerate(verdicts[devices[0]]):
        hardware = "; ".join(verdict_words(verdicts[device][index]) for device in devices)
        lines.append(f"{verdict.claim.number}. {verdict.claim.statement} {hardware}. {verdict.summary}.")
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
        Bullets(tuple(_run_lines(infos) + _environment_lines(store, devices) + [noise_line(store)])),
        Table(tables.marked(catalog)),
    )
    return document
