"""The report shows the noise state: a mark on each row timed under load, the count in every header,
a verdict resting on a noisy latency says so, and the CLI warns once with the same count.

Built from the report tests' synthetic result set with one record marked noisy; nothing is timed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from modbench.catalog import get_entry
from modbench.claims import all_claims
from modbench.claims.schema import Side
from modbench.claims.sides import side_record_key
from modbench.commands.report import catalog_listing
from modbench.metrics.sentinel import under_load
from modbench.records import canonical_config
from modbench.report.build import write_report
from modbench.results import RunWriter
from modbench.resultset import ResultSet
from tests.test_report import INFO, synthetic_results

RELU_DEFAULT = canonical_config(get_entry("relu").config())


def one_noisy(full: bool = True) -> ResultSet:
    """The synthetic result set with the last record of ReLU at its default config (batch 1) timed under load."""
    records = list(synthetic_results(full=full))
    index = max(i for i, r in enumerate(records) if r.key.entry == "relu" and r.key.config == RELU_DEFAULT and r.key.batch == 1)
    records[index] = dataclasses.replace(records[index], noisy=True, sentinel_slowdown=0.32)
    return ResultSet(records)


def test_the_report_marks_the_noisy_row_and_counts_it_in_every_header(tmp_path: Path) -> None:
    results = one_noisy()
    noisy, timed = under_load(results)
    assert noisy == 1 and timed > 1
    write_report(results, [INFO], tmp_path, catalog_listing())
    count = f"1 of {timed} latency measurements taken under load"
    for name in ("claims.md", "catalog.md", "report.html"):
        assert count in (tmp_path / name).read_text(encoding="utf-8"), name

    catalog = (tmp_path / "catalog.md").read_text(encoding="utf-8")
    marked = [line for line in catalog.splitlines() if "noisy (sentinel +32%)" in line]
    assert len(marked) == 1 and "| relu " in marked[0]
    csv = pd.read_csv(tmp_path / "catalog.csv")
    assert csv.loc[csv["entry"] == "relu", "noisy"].tolist() == [True]  # the CSV keeps the plain value

    verdicts = {v["id"]: v for v in json.loads((tmp_path / "claims.json").read_text(encoding="utf-8"))["cpu"]}
    dropblock = verdicts["dropblock-free-at-inference"]  # its latency check is timed against one ReLU
    assert dropblock["under_load"] and "latency measured under load" in dropblock["headline"]
    [check] = [c for c in dropblock["checks"] if c["metric"] == "latency_ms" and c["votes"]]
    assert check["noisy"] and "sentinel up to 32% slower than quiet" in check["note"]
    def is_noisy_relu(side: Side | None) -> bool:
        return side is not None and side_record_key(side) == side_record_key(Side.of("relu"))

    resting = {  # every claim with a voting latency check on a side stored under that key, and no other
        claim.id for claim in all_claims() for comparison in claim.comparisons
        if (is_noisy_relu(comparison.candidate) or is_noisy_relu(comparison.baseline))
        and any(c.votes and c.metric == "latency_ms" for c in comparison.checks)
    }
    assert {name for name, v in verdicts.items() if v["under_load"]} == resting
    claims = (tmp_path / "claims.md").read_text(encoding="utf-8")
    assert "(latency measured under load)" in claims


def test_report_and_claims_cli_warn_once_with_the_same_count(tmp_path: Path, cli: Callable[..., Any]) -> None:
    results = tmp_path / "results"
    with RunWriter.create(results, plan=None) as writer:
        for record in one_noisy(full=False):
            writer.append(record)
    INFO.save(INFO.path(tmp_path))
    noisy, timed = under_load(ResultSet.from_runs(results))
    assert noisy == 1
    count = f"1 of {timed} latency measurements taken under load"

    rendered = cli("report", "--render-only", "--out", str(tmp_path))
    assert rendered.code == 0, rendered.err
    assert [line for line in rendered.err.splitlines() if "under load" in line] == [line for line in rendered.err.splitlines() if count in line]
    assert rendered.err.count(count) == 1 and count in (tmp_path / "claims.md").read_text(encoding="utf-8")

    judged = cli("claims", "--from", str(results), "dropblock-free-at-inference")
    assert judged.code == 0, judged.err
    assert judged.err.count(count) == 1
