"""The per-module table: each submodule's own work charged to it, totals including children, every format."""

from __future__ import annotations

import csv
import io
import json

import pytest
import torch
from torch import nn

from modbench.metrics.by_module import module_rows, module_table, render_module_table
from modbench.metrics.counting import count_ops


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # the addition is the block's own work


def net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), Residual(), nn.Linear(8, 2))


def test_rows_sum_children_and_charge_own_work_to_the_parent() -> None:
    module, x = net(), torch.randn(3, 4)
    rows = {row.module: row for row in module_rows(module, count_ops(module, (x,)), depth=None)}
    assert rows[""].macs == 3 * (4 * 8 + 8 * 16 + 16 * 8 + 8 * 2)
    assert rows["1.body.0"].macs == 3 * 8 * 16 and rows["1.body.0"].params == 8 * 16 + 16
    assert rows["1.body.1"].flops == rows["1.body.1"].flops_elementwise == 3 * 16  # the ReLU
    assert rows["1"].flops_elementwise == rows["1.body"].flops_elementwise + 3 * 8  # plus the residual addition
    assert rows["1"].macs == rows["1.body"].macs
    assert rows[""].params == sum(p.numel() for p in module.parameters())
    assert rows[""].flops == count_ops(module, (x,)).flops


def test_a_module_called_twice_is_charged_twice() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(5, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.fc(x))

    module = Twice()
    rows = {row.module: row for row in module_rows(module, count_ops(module, (torch.randn(2, 5),)))}
    assert rows["fc"].macs == rows[""].macs == 2 * 2 * 25


@pytest.mark.parametrize(("depth", "paths"), [(0, [""]), (1, ["", "0", "1", "2"]), (2, ["", "0", "1", "1.body", "2"])])
def test_depth_limits_the_tree(depth: int, paths: list[str]) -> None:
    module = net()
    assert [row.module for row in module_rows(module, count_ops(module, (torch.randn(1, 4),)), depth)] == paths


def test_negative_depth_is_refused() -> None:
    module = net()
    with pytest.raises(ValueError, match="depth"):
        module_rows(module, count_ops(module, (torch.randn(1, 4),)), -1)


def test_every_format_renders_the_tree() -> None:
    from modbench.metrics.target import module_target

    rows = module_table([module_target(net(), torch.randn(3, 4), name="net")], [3], ["infer", "train"], depth=2)
    table = render_module_table(rows, "table")
    assert "net (batch 3, infer)" in table and "net (batch 3, train)" in table
    assert "(total)" in table and "· 1.body" in table and "Residual" in table
    markdown = render_module_table(rows, "markdown")
    assert markdown.startswith("## net (batch 3, infer)") and "| module" in markdown
    parsed = list(csv.DictReader(io.StringIO(render_module_table(rows, "csv"))))
    assert [row["module"] for row in parsed[:5]] == ["", "0", "1", "1.body", "2"]
    assert {row["mode"] for row in parsed} == {"infer", "train"} and parsed[0]["entry"] == "net"
    data = json.loads(render_module_table(rows, "json"))
    assert data[3]["module"] == "1.body" and data[3]["depth"] == 2 and data[3]["macs"] == 3 * (8 * 16 + 16 * 8)


def test_a_catalog_entry_gives_its_tree() -> None:
    from modbench.metrics.by_module import target_rows
    from modbench.metrics.target import entry_target

    rows = target_rows(entry_target("vit_block", {"d_model": 16, "heads": 2, "seq_len": 5}), 2, "infer", depth=1)
    assert [row.module for row in rows] == ["", "norm1", "attention", "norm2", "mlp"]
    assert rows[2].macs == 2 * 5 * 4 * 16 * 16 + 2 * 2 * 5 * 5 * 16  # projections and attention (fast path)
    assert rows[0].macs == sum(row.macs for row in rows[1:])
