"""``modbench compare A B``: every metric side by side with B/A, as a table and as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from modbench.commands.compare import ratio, split_overrides
from modbench.errors import UsageError


def test_compare_as_json_has_both_records_and_the_ratios(cli: Callable, tmp_path: Path) -> None:
    result = cli("compare", "relu", "swish", "--set", "channels=4", "--hw", "8", "--batch", "1,2",
                 "--metrics", "params,flops", "--results-dir", str(tmp_path), "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["a"], report["b"]) == ("relu", "swish")
    assert [r["entry"] for r in report["records"]] == ["relu", "relu", "swish", "swish"]
    flops = {row["batch"]: row for row in report["rows"] if row["metric"] == "flops"}
    for batch in (1, 2):
        elements = batch * 4 * 8 * 8
        assert flops[batch]["relu"] == elements
        assert flops[batch]["swish"] == 2 * elements  # x * sigmoid(x): two element-wise ops
        assert flops[batch]["ratio_b_a"] == pytest.approx(2.0)
    params = next(row for row in report["rows"] if row["metric"] == "params")
    assert params["ratio_b_a"] is None  # 0 / 0 has no ratio


def test_compare_as_a_table_measures_every_metric(cli: Callable, tmp_path: Path) -> None:
    result = cli("compare", "linear", "relu", "--set", "in_features=64", "--quick", "--results-dir", str(tmp_path))
    assert result.code == 0, result.err
    table = result.out.split("\n\n", 1)[1]  # after each side's config
    metrics = {line.split()[2] for line in table.splitlines()[2:] if line.strip()}
    assert {"params", "macs", "flops", "latency_ms", "throughput", "gflops_achieved", "peak_bytes", "activation_bytes"} <= metrics


def test_overrides_go_to_the_entries_that_have_the_key() -> None:
    a, b = split_overrides(("ghost", "conv2d"), {"in_channels": "64", "ratio": "2"})
    assert a == {"in_channels": "64", "ratio": "2"}
    assert b == {"in_channels": "64"}
    with pytest.raises(UsageError, match="neither ghost nor conv2d has config key 'colour'"):
        split_overrides(("ghost", "conv2d"), {"colour": "red"})


def test_one_entry_at_two_configs_with_per_side_overrides(cli: Callable, tmp_path: Path) -> None:
    result = cli("compare", "ghost", "ghost", "--set", "in_channels=16", "--set-a", "ratio=2", "--set-b", "ratio=4",
                 "--metrics", "flops", "--results-dir", str(tmp_path), "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["a"], report["b"]) == ("ghost (ratio=2)", "ghost (ratio=4)")
    macs = next(row for row in report["rows"] if row["metric"] == "macs")
    c, n, d, hw = 16, 64, 3, 32  # ghost's defaults besides in_channels; kernel_size 1

    def ghost_macs(s: int) -> int:
        m = -(-n // s)
        return (c * m + m * (s - 1) * d * d) * hw * hw

    assert (macs["ghost (ratio=2)"], macs["ghost (ratio=4)"]) == (ghost_macs(2), ghost_macs(4))
    assert macs["ratio_b_a"] == pytest.approx(ghost_macs(4) / ghost_macs(2))


def test_bad_comparisons_are_usage_errors(cli: Callable, tmp_path: Path) -> None:
    same = cli("compare", "relu", "relu", "--results-dir", str(tmp_path))
    assert same.code == 2 and "at the same config" in same.err
    wrong_side = cli("compare", "ghost", "conv2d", "--set-b", "ratio=4", "--results-dir", str(tmp_path))
    assert wrong_side.code == 2 and "conv2d has no config key 'ratio'" in wrong_side.err
    unknown = cli("compare", "relu", "relux", "--results-dir", str(tmp_path))
    assert unknown.code == 2 and "unknown catalog entry" in unknown.err


def test_ratio() -> None:
    assert ratio(2, 3) == 1.5
    assert ratio(0, 3) is None and ratio(None, 3) is None and ratio(2, None) is None


def test_latencies_are_compared_as_one_interleaved_pair_with_an_interval(cli: Callable, tmp_path: Path) -> None:
    result = cli("compare", "relu", "swish", "--set", "channels=4", "--hw", "8", "--batch", "1,2", "--quick",
                 "--threads", "1", "--metrics", "latency", "--results-dir", str(tmp_path), "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["config_a"]["channels"] == 4 and report["config_b"]["channels"] == 4
    records = {(r["entry"], r["batch"]): r for r in report["records"]}
    for batch in (1, 2):
        relu, swish = records[("relu", batch)], records[("swish", batch)]
        assert relu["pair"] == swish["pair"] is not None  # one pair task per batch
        assert len(relu["latency_round_s"]) == len(swish["latency_round_s"]) >= 5
        assert relu["noisy"] in (True, False) and relu["sentinel_attempts"] >= 1
        row = next(r for r in report["rows"] if r["metric"] == "latency_ms" and r["batch"] == batch)
        per_round = sorted(b / a for a, b in zip(relu["latency_round_s"], swish["latency_round_s"]))
        assert row["ratio_b_a"] == pytest.approx(per_round[len(per_round) // 2])  # the median of per-round ratios
        assert row["ratio_low"] <= row["ratio_b_a"] <= row["ratio_high"] and row["paired_rounds"] == len(per_round)
        assert row["noise"] == ("noisy" if relu["noisy"] or swish["noisy"] else "clean")
    assert records[("relu", 1)]["pair"] != records[("relu", 2)]["pair"]


def test_compare_shows_both_configs_and_the_set_keys_that_did_not_apply(cli: Callable, tmp_path: Path) -> None:
    args = ("compare", "ghost", "conv2d", "--set", "kernel_size=3", "--set", "ratio=4", "--metrics", "flops", "--results-dir", str(tmp_path))
    table = cli(*args)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].startswith("A ghost: ") and "in_channels=32" in lines[0] and "kernel_size=3" in lines[0] and "ratio=4" in lines[0]
    assert lines[1].startswith("B conv2d: ") and "kernel_size=3" in lines[1] and "ratio" not in lines[1]
    assert "--set ratio did not apply to conv2d, which has no such key" in table.out
    report = json.loads(cli(*args, "--format", "json").out)
    assert report["not_applied"] == {"ghost": [], "conv2d": ["ratio"]}
    assert report["config_a"]["kernel_size"] == report["config_b"]["kernel_size"] == 3


def test_the_readme_compare_example_pits_like_kernels() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    line = next(line for line in readme.splitlines() if "modbench compare ghost conv2d" in line)
    assert "--set kernel_size=3" in line
