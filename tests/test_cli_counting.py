"""``modbench measure``: --by-module trees in every format, --cross-check fvcore, the unpriced-work warning."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from modbench.catalog.registry import Entry

BLOCK = ["vit_block", "--set", "d_model=16", "--set", "heads=2", "--set", "seq_len=5"]
BLOCK_MACS = 5 * 12 * 16 * 16 + 2 * 25 * 16


def test_by_module_table(cli: Callable[..., object]) -> None:
    result = cli("measure", *BLOCK, "--by-module", "--depth", "1")
    assert result.code == 0, result.err
    assert "vit_block (batch 1, infer)" in result.out
    assert "(total)" in result.out and "attention" in result.out and "MultiheadAttention" in result.out
    assert "mlp.0" not in result.out  # deeper than --depth 1


def test_by_module_json_csv_markdown(cli: Callable[..., object]) -> None:
    rows = json.loads(cli("measure", *BLOCK, "--by-module", "--format", "json", "--mode", "infer,train").out)
    assert {row["mode"] for row in rows} == {"infer", "train"}
    total = next(row for row in rows if row["module"] == "" and row["mode"] == "infer")
    assert total["macs"] == BLOCK_MACS and total["depth"] == 0
    assert any(row["module"] == "mlp.0" and row["depth"] == 2 for row in rows)  # default depth 2
    parsed = list(csv.DictReader(io.StringIO(cli("measure", *BLOCK, "--by-module", "--format", "csv").out)))
    assert parsed[0]["entry"] == "vit_block" and int(parsed[0]["macs"]) == BLOCK_MACS
    assert cli("measure", *BLOCK, "--by-module", "--format", "markdown").out.startswith("## vit_block (batch 1, infer)")


@pytest.mark.parametrize(("args", "message"), [
    (("measure", "linear", "--depth", "1"), "add --by-module"),
    (("measure", "linear", "--by-module", "--depth", "-1"), "0 or more"),
    (("measure", "linear", "--cross-check", "thop"), "invalid choice"),
])
def test_bad_counting_options_are_usage_errors(cli: Callable[..., object], args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_cross_check_fills_macs_fvcore(cli: Callable[..., object]) -> None:
    plain = json.loads(cli("measure", "linear", "--metrics", "flops", "--format", "json").out)
    checked = json.loads(cli("measure", "linear", "--metrics", "flops", "--format", "json", "--cross-check", "fvcore").out)
    assert plain[0]["macs_fvcore"] is None
    assert checked[0]["macs_fvcore"] == checked[0]["macs"] and checked[0]["counter_note"] is None


def test_unpriced_work_warns_and_is_flagged_in_the_record(cli: Callable[..., object], tmp_path: Path,
                                                          isolated_registry: dict[str, Entry]) -> None:
    plugin = tmp_path / "cumulative.py"
    plugin.write_text(textwrap.dedent('''
        import torch
        from torch import nn
        from modbench.catalog import register, Source
        from modbench.catalog.inputs import vector

        class Cumulative(nn.Module):
            def forward(self, x):
                return torch.cumsum(x, dim=-1)

        @register(family="block", example_input=vector("width"), source=Source(paper="test"))
        def cumulative(width: int = 8) -> nn.Module:
            """A running sum, which no handle prices."""
            return Cumulative()
    '''))
    result = cli("--plugin", str(plugin), "measure", "cumulative", "--metrics", "flops", "--format", "json")
    assert result.code == 0, result.err
    assert "warning: cumulative (batch 1, infer): cumsum ran on real tensors" in result.err
    record = json.loads(result.out)[0]
    assert record["unpriced_ops"] == ["cumsum"] and record["unsupported_ops"] == ["cumsum"]
