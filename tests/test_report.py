"""The report renders from a small synthetic results table: with GPU data missing, with it present,
from an empty table; the HTML page is self-contained and escapes every name it shows."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from torch import nn

from modbench.catalog import list_entries, register
from modbench.catalog.registry import Entry, Source
from modbench.claims import VERDICTS, all_claims
from modbench.claims.check import claim_plan
from modbench.claims.library.cbam import CBAM
from modbench.claims.library.ghost import GHOST
from modbench.claims.schema import Side
from modbench.claims.sides import side_config
from modbench.claims.sweeps import BATCH_CURVES, GHOST_CENTRE, GHOST_SWEEP
from modbench.commands.report import catalog_listing
from modbench.records import Record
from modbench.report.build import write_report
from modbench.report.document import Document, Table, Text, to_html
from modbench.report.run_info import RunInfo
from modbench.results import RunWriter
from modbench.resultset import ResultSet
from tests.claim_rows import result_set

CLAIMS = all_claims()
EVIL = "evil<script>alert(1)</script>"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def row(entry: str, config: dict[str, Any], index: int, device: str = "cpu", batch: int = 1, mode: str = "infer") -> dict[str, Any]:
    """A plausible ok row with made-up numbers that differ from row to row."""
    return {
        "entry": entry,
        "config": config,
        "batch": batch,
        "device": device,
        "dtype": "fp32",
        "mode": mode,
        "threads": 2,
        "status": "ok",
        "params": 1000 + index,
        "param_bytes": 4 * (1000 + index),
        "macs": 10_000 + 37 * index,
        "flops": 20_000 + 80 * index,
        "flops_elementwise": 100 + index,
        "latency_ms": 1.0 + index / 50,
        "latency_iqr_ms": 0.01,
        "throughput": batch / (1.0 + index / 50) * 1e3,
        "gflops_achieved": 0.5 + index / 100,
        "peak_bytes": 50_000 + index,
        "activation_bytes": 10_000 + index,
        "unsupported_ops": [],
        "device_name": "Test CPU" if device == "cpu" else "Test GPU",
        "cpu_model": "Test CPU",
        "torch_version": "2.13.0",
        "modbench_version": "0.1.0",
        "git_commit": "abc123",
        "machine_id": "testmachine",
        "timestamp": "2026-11-25T10:00:00+00:00",
    }


def side_row(side: Side, index: int, device: str = "cpu") -> dict[str, Any]:
    return row(side.entry, side_config(side), index, device, side.batch, side.mode)


def synthetic_results(devices: tuple[str, ...] = ("cpu",), full: bool = True) -> ResultSet:
    """Every claim side (the Ghost parts too); with ``full``, every catalog entry and the batch curves too."""
    sides = claim_plan(CLAIMS).sides()
    if full:
        sides += [Side.of(name) for name in list_entries()]
        sides += [Side(s.entry, s.config, batch, s.mode) for curve in BATCH_CURVES for s in curve.sides for batch in curve.batches]
    return result_set(side_row(side, index, device) for device in devices for index, side in enumerate(sides))


INFO = RunInfo(device="cpu", command="modbench report", run_id="test-run", probes={"conv1x1_linear_max_abs_diff": 1e-7})


@pytest.fixture
def evil_entry(isolated_registry: dict[str, Entry]) -> str:
    """A plugin entry whose name is HTML."""

    def factory(width: int = 4) -> nn.Module:
        return nn.Linear(width, width)

    register(family="block", example_input=lambda config, batch: (), source=Source(seed="plugin"), name=EVIL)(factory)
    return EVIL


def test_report_renders_with_gpu_data_missing(tmp_path: Path, evil_entry: str) -> None:
    results = synthetic_results()
    results.add(result_set([row(evil_entry, {"width": 4}, 0)]))
    paths = write_report(results, [INFO], tmp_path, catalog_listing())
    names = {p.relative_to(tmp_path).as_posix() for p in paths}
    assert {"claims.md", "catalog.md", "catalog.csv", "claims.json", "report.html"} <= names
    assert any(name.startswith("plots/") and name.endswith(".png") for name in names)

    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert page.count("data:image/png;base64,") >= 5  # scatter, ratio bars, batch curves, Ghost sweep, parts, growth
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "GPU: not measured" in page
    for claim in CLAIMS:
        assert f'id="{claim.id}"' in page
        for quote in claim.quotes:
            assert quote.original.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in page

    verdicts = json.loads((tmp_path / "claims.json").read_text(encoding="utf-8"))
    assert list(verdicts) == ["cpu"]
    assert [v["id"] for v in verdicts["cpu"]] == [c.id for c in CLAIMS]
    assert all(v["cost"] in VERDICTS and v["hardware"] in VERDICTS for v in verdicts["cpu"])
    for claim in CLAIMS:  # the contents link every claim's verdicts to its section
        assert f'<a href="#{claim.id}">' in page

    markdown = (tmp_path / "claims.md").read_text(encoding="utf-8")
    closing = markdown.split("## Closing note", 1)[1]
    for claim in CLAIMS:
        assert claim.statement in closing
    catalog = pd.read_csv(tmp_path / "catalog.csv")
    assert EVIL in set(catalog["entry"]) and "ghost" in set(catalog["entry"])


def test_report_names_the_gpu_when_it_was_measured(tmp_path: Path) -> None:
    infos = [INFO, RunInfo(device="cuda", command="modbench report --device cuda")]
    write_report(synthetic_results(("cpu", "cuda")), infos, tmp_path, catalog_listing(), claims=(GHOST, CBAM))
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "GPU: not measured" not in page
    assert "on cuda" in page and "Test GPU" in page
    assert list(json.loads((tmp_path / "claims.json").read_text(encoding="utf-8"))) == ["cpu", "cuda"]
    sweep = (tmp_path / "claims.md").read_text(encoding="utf-8")
    assert "latency ratio (cuda)" in sweep


def test_report_renders_from_an_empty_table(tmp_path: Path) -> None:
    write_report(ResultSet(), [RunInfo(device="cpu", command="modbench report")], tmp_path, catalog_listing())
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "not measured in this run" in page
    verdicts = json.loads((tmp_path / "claims.json").read_text(encoding="utf-8"))["cpu"]
    assert {v["cost"] for v in verdicts} <= {"unmeasured", "not claimed", "out of scope"}
    assert {v["hardware"] for v in verdicts} <= {"unmeasured", "not claimed", "out of scope"}


def test_html_escapes_text_and_tables() -> None:
    document = Document("<b>title</b>", [Text("a `<i>code</i>` and **<u>bold</u>**"), Table(pd.DataFrame([{"<th>": "<td>"}]))])
    page = to_html(document)
    for raw in ("<b>title", "<i>code", "<u>bold", "<th>", "<td>"):
        assert raw not in page.replace("<th>&lt;th&gt;</th>", "").replace("<td>&lt;td&gt;</td>", "")
    assert "&lt;i&gt;code&lt;/i&gt;" in page and "<code>" in page


def test_claim_ghost_centre_is_in_the_sweep() -> None:
    assert GHOST_SWEEP[0] == GHOST_CENTRE


def test_cli_report_render_only_and_claims_from_saved_results(tmp_path: Path, cli: Callable[..., Any]) -> None:
    results = tmp_path / "results"
    with RunWriter.create(results, plan=None) as writer:
        for record in synthetic_results(full=False):
            writer.append(record)
    INFO.save(INFO.path(tmp_path))

    rendered = cli("report", "--render-only", "--out", str(tmp_path))
    assert rendered.code == 0, rendered.err
    assert (tmp_path / "report.html").is_file() and "ghost-vs-conv" in rendered.out

    judged = cli("claims", "--from", str(results), "--format", "json", "ghost-vs-conv", "cbam-overhead")
    assert judged.code == 0, judged.err
    assert [v["id"] for v in json.loads(judged.out)] == ["ghost-vs-conv", "cbam-overhead"]

    missing = cli("report", "--render-only", "--out", str(tmp_path / "nowhere"))
    assert missing.code == 2 and "holds no runs" in missing.err
    unknown = cli("claims", "--list", "ghost-vs-cnov")
    assert unknown.code == 2 and "ghost-vs-conv" in unknown.err
