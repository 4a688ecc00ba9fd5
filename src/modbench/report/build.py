"""Write every report file from a result set: Markdown, CSV, JSON and the HTML page.

Reads results (a :class:`~modbench.resultset.ResultSet`), judges the claims on them (pure; see :mod:`modbench.claims.verdict`) on every
device that has timings, and renders. Never measures: the same files can be rebuilt later from
a saved run with ``modbench report --from``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from modbench.claims import all_claims
from modbench.claims.lookup import Results
from modbench.claims.schema import Claim
from modbench.claims.verdict import ClaimVerdict, judge_claim
from modbench.output import render
from modbench.report import tables
from modbench.report.content import catalog_document, claims_document
from modbench.report.document import Document, Heading, plot_files, to_html, to_markdown
from modbench.report.run_info import RunInfo
from modbench.report.tables import Listed
from modbench.resultset import ResultSet


def judge_devices(store: Results, claims: Sequence[Claim], infos: Sequence[RunInfo]) -> dict[str, list[ClaimVerdict]]:
    """Verdicts per device with timings (the runs' own devices when nothing was timed), CPU first."""
    devices = store.devices or sorted({info.device for info in infos}, key=lambda d: (d != "cpu", d)) or ["cpu"]
    probes = {name: value for info in infos for name, value in info.probes.items()}
    return {device: [judge_claim(claim, store, device, probes) for claim in claims] for device in devices}


def write_report(
    results: ResultSet, infos: Sequence[RunInfo], out_dir: Path, listed: Sequence[Listed], claims: Sequence[Claim] | None = None
) -> list[Path]:
    """Write claims.md, catalog.md, catalog.csv, claims.json, report.html and plots/ into ``out_dir``.

    ``listed`` are the catalog table's entries; ``claims`` are judged (all claims by default).
    """
    claims = all_claims() if claims is None else claims
    out_dir.mkdir(parents=True, exist_ok=True)
    store = Results(results)
    verdicts = judge_devices(store, claims, infos)
    catalog = tables.catalog_table(results, listed)
    claims_doc = claims_document(store, verdicts, infos, catalog)
    catalog_doc = catalog_document(catalog, store, infos)
    written = {
        "claims.md": to_markdown(claims_doc),
        "catalog.md": to_markdown(catalog_doc),
        "catalog.csv": render(catalog.to_dict("records"), "csv", list(catalog.columns)),
        "claims.json": json.dumps({device: [v.to_dict() for v in vs] for device, vs in verdicts.items()}, indent=2, ensure_ascii=False) + "\n",
        "report.html": to_html(_merged(claims_doc, catalog_doc)),
    }
    paths = []
    for name, text in written.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    for name, png in {**plot_files(claims_doc), **plot_files(catalog_doc)}.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        paths.append(path)
    return paths


def _merged(claims_doc: Document, catalog_doc: Document) -> Document:
    """The HTML page: the claims report, then the catalog table as its last section."""
    merged = Document(claims_doc.title, list(claims_doc.blocks))
    merged.add(Heading("The catalog, measured", 2, "catalog"), *catalog_doc.blocks)
    return merged
