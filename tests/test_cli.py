"""The CLI as a user meets it: listings, measurements, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def _one_line_error(result: CliResult) -> str:
    assert result.code == 2, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_list_shows_entries_as_json(cli: Cli) -> None:
    result = cli("list", "--family", "block", "--format", "json")
    assert result.code == 0
    rows = json.loads(result.out)
    names = {row["name"] for row in rows}
    assert "ghost" in names and "resnet50" not in names
    ghost = next(row for row in rows if row["name"] == "ghost")
    assert ghost["default_config"]["in_channels"] == 32
    assert ghost["source"]


def test_measure_ghost_and_conv_json_matches_the_ghostnet_formula(cli: Cli) -> None:
    result = cli("measure", "ghost", "conv2d", "--metrics", "params,flops", "--format", "json")
    assert result.code == 0, result.err
    records = {r["entry"]: r for r in json.loads(result.out)}
    for field in ("entry", "config", "batch", "device", "mode", "params", "params_trainable", "macs", "flops", "flops_elementwise", "unsupported_ops"):
        assert field in records["ghost"]
    cfg = records["ghost"]["config"]
    c, n, k, s, d, hw = cfg["in_channels"], cfg["out_channels"], cfg["kernel_size"], cfg["ratio"], cfg["dw_size"], cfg["hw"]
    m = math.ceil(n / s)
    assert records["ghost"]["macs"] == (c * m * k * k + m * (s - 1) * d * d) * hw * hw


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("measure", "ghots"), "did you mean ghost"),
        (("measure", "ghost", "--set", "in_chanels=3"), "valid keys"),
        (("measure", "ghost", "--set", "in_channels=abc"), "not a valid int"),
        (("measure", "ghost", "--set", "in_channels"), "KEY=VALUE"),
        (("measure", "ghost", "--input-shape", "1x3x32x32"), "cannot take input of shape (1, 3, 32, 32)"),
        (("measure", "ghost", "--input-shape", "1x32x32"), "expects a 4-D input like (1, 32, 32, 32)"),
        (("measure", "ghost", "--input-shape", "1xax3"), "write it like 1x3x224x224"),
        (("measure", "ghost", "--metrics", "flop"), "unknown metric 'flop'"),
        (("measure", "ghost", "--set", "hw=-3"), "sizes must be positive"),
        (("measure", "ghost", "--set", "out_channels=0"), "cannot be built"),
        (("measure", "embedding", "--set", "num_embeddings=0"), "sizes must be positive"),
        (("measure", "nin", "--hw", "20"), "cannot take input of shape (1, 1, 20, 20)"),
        (("measure", "lstm", "--hw", "56"), "lstm has no config key 'hw'"),
        (("measure", "ghost", "--batch", "0"), "positive integers"),
        (("measure", "ghost", "--mode", "training"), "unknown mode"),
        (("measure",), "name at least one catalog entry"),
        (("list", "--tag", "atention"), "did you mean attention"),
        (("list", "gost"), "did you mean ghost"),
        (("measure", "ghost", "--metrics", ""), "no metric given"),
        (("claims", "nin-head", "--metrics", "param"), "unknown metric 'param'"),
        (("measure", "relu", "--results-dir", "/proc/modbench-results"), "cannot write results to '/proc/modbench-results'"),
        (("report", "--out", "/proc/modbench-report"), "cannot write the report to '/proc/modbench-report'"),
        (("history", "--out", "/proc/modbench-history"), "cannot write the history report"),
        (("claims", "--from", "."), "holds no measurements"),
        (("history", "--repo", "/proc"), "'/proc' is not a git repository"),
        (("history", "--asv-results", "."), "'.' holds no asv results"),
        (("history", "--results-dir", "."), "'.' holds no modbench runs"),
        (("--plugin", "/nonexistent/plugin.py", "list"), "does not exist"),
        (("list", "--family", "blocks"), "invalid choice: 'blocks'"),
        (("compare", "ghost"), "required: B"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        ((), "required: COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    assert needle in _one_line_error(cli(*args))


def test_cuda_without_a_gpu_is_a_one_line_error(cli: Cli) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present; this checks the CPU-only message")
    assert "no CUDA device" in _one_line_error(cli("measure", "relu", "--device", "cuda"))


def test_measure_csv_keeps_every_record_field(cli: Cli) -> None:
    import csv
    import io

    result = cli("measure", "relu", "linear", "--metrics", "params,flops", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [row["entry"] for row in rows] == ["relu", "linear"]
    for field in ("config", "macs_fvcore", "flops_matmul", "zero_cost_ops", "counter_note", "machine_id", "git_commit", "timestamp"):
        assert field in rows[0]
    assert int(rows[1]["params"]) == 512 * 512 + 512


@pytest.mark.parametrize("command", [("report", "--render-only", "--out"), ("measure", "relu", "--results-dir"), ("history", "--out")])
def test_an_output_path_that_is_a_file_is_a_one_line_error(cli: Cli, tmp_path, command: tuple[str, ...]) -> None:
    (tmp_path / "occupied").write_text("not a directory")
    assert "it is a file, not a directory" in _one_line_error(cli(*command, "occupied"))
    assert (tmp_path / "occupied").read_text() == "not a directory"


def test_a_repeated_name_or_batch_is_measured_once(cli: Cli) -> None:
    result = cli("measure", "relu", "relu", "--batch", "2,2,1", "--metrics", "params,params", "--format", "json")
    assert result.code == 0, result.err
    assert [(r["entry"], r["batch"]) for r in json.loads(result.out)] == [("relu", 2), ("relu", 1)]


def test_input_shape_gives_the_batch_and_is_part_of_the_key(cli: Cli) -> None:
    result = cli("measure", "ghost", "--input-shape", "2x32x16x16", "--metrics", "flops", "--format", "json")
    assert result.code == 0, result.err
    (record,) = json.loads(result.out)
    assert record["batch"] == 2
    assert record["config"]["input_shape"] == "Bx32x16x16"
    cfg = record["config"]
    c, n, s, d = cfg["in_channels"], cfg["out_channels"], cfg["ratio"], cfg["dw_size"]
    m = math.ceil(n / s)
    assert record["macs"] == 2 * (c * m + m * (s - 1) * d * d) * 16 * 16  # kernel_size 1 by default

    swept = cli("measure", "ghost", "--input-shape", "2x32x16x16", "--batch", "1,4", "--metrics", "flops", "--format", "json")
    assert [r["batch"] for r in json.loads(swept.out)] == [1, 4]
    default = cli("measure", "ghost", "--metrics", "flops", "--format", "json")
    assert "input_shape" not in json.loads(default.out)[0]["config"]


def test_csv_cells_hold_json_configs_and_integers_with_gaps() -> None:
    from modbench.output import render

    text = render([{"params": 20, "config": {"width": 4}, "ops": ["aten::cat"]}, {"params": None, "config": {}, "ops": []}], "csv")
    assert text.splitlines() == ["params,config,ops", '20,"{""width"": 4}","[""aten::cat""]"', ",{},[]"]


def test_python_dash_m_modbench_runs_the_same_command_line() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "modbench", "measure", "ghots"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "modbench: error: unknown catalog entry 'ghots'; did you mean ghost, ghostnet?"
