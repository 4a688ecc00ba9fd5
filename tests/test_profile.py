"""``modbench profile``: trace files TensorBoard can list, summaries, the op-by-op comparison, bad input.

The summary arithmetic is checked on hand-made events with exact expected values; the command is
run once on small ``ghost`` and ``conv2d`` configs and its files are read back.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn
from torch.autograd import DeviceType

from modbench.cli import main
from modbench.metrics.sentinel import SentinelReading
from modbench.metrics.target import module_target
from modbench.profiling import (
    OpStat,
    TraceSchedule,
    compare_ops,
    op_stats,
    profile_target,
    run_name,
    top_by_memory,
    top_by_time,
    worker_name,
)
from modbench.profiling.steps import WIDE_SPREAD, ActiveSteps

SMALL = ["--hw", "8", "--set", "in_channels=8", "--set", "out_channels=8"]
TRACE_NAME = re.compile(r"^(?P<worker>[^.]+)\.\d+\.pt\.trace\.json$")  # torch-tb-profiler's worker pattern, minus .gz


@dataclass
class FakeEvent:
    """The fields of ``FunctionEventAvg`` that the summary reads."""

    key: str
    count: int
    self_cpu_time_total: float
    cpu_time_total: float
    self_cpu_memory_usage: int = 0
    cpu_memory_usage: int = 0
    self_device_time_total: float = 0.0
    self_device_memory_usage: int = 0
    flops: int = 0
    device_type: DeviceType = DeviceType.CPU


EVENTS = [
    FakeEvent("ProfilerStep*", 2, 500.0, 1000.0, -8),
    FakeEvent("torch/nn/modules/conv.py(564): forward", 2, 40.0, 700.0),
    FakeEvent("nn.Module: Conv2d_0", 2, 10.0, 700.0),
    FakeEvent("aten::conv2d", 2, 20.0, 620.0, 0, 4096, flops=1000),
    FakeEvent("aten::_slow_conv2d_forward", 2, 600.0, 600.0, -2048, 4096),
    FakeEvent("aten::empty", 6, 60.0, 60.0, 6144, 6144),
    FakeEvent("aten::relu", 2, 120.0, 120.0),
    FakeEvent("void at::native::vectorized_elementwise_kernel<4>", 2, 0.0, 0.0, device_type=DeviceType.CUDA),
]


def test_op_stats_keeps_operators_per_step() -> None:
    stats = op_stats(EVENTS, steps=2)
    assert [stat.name for stat in stats] == ["aten::conv2d", "aten::_slow_conv2d_forward", "aten::empty", "aten::relu"]
    empty = stats[2]
    assert (empty.calls, empty.self_cpu_us, empty.self_cpu_memory_bytes, empty.cpu_memory_bytes) == (3, 30, 3072, 3072)
    assert stats[0].flops == 500
    with pytest.raises(ValueError):
        op_stats(EVENTS, steps=0)


def test_top_by_time_ranks_and_shares() -> None:
    rows = top_by_time(op_stats(EVENTS, steps=2), limit=2)
    # self CPU per step: 10 + 300 + 30 + 60 = 400
    assert rows == [
        {"op": "aten::_slow_conv2d_forward", "calls": 1, "self_cpu_us": 300, "self_cpu_pct": 75, "cpu_total_us": 300},
        {"op": "aten::relu", "calls": 1, "self_cpu_us": 60, "self_cpu_pct": 15, "cpu_total_us": 60},
    ]
    assert sum(row["self_cpu_pct"] for row in top_by_time(op_stats(EVENTS, steps=2), limit=100)) == pytest.approx(100)
    assert "self_cuda_us" in top_by_time(op_stats(EVENTS, steps=2), device=True)[0]


def test_top_by_memory_ranks_allocators_and_drops_the_rest() -> None:
    rows = top_by_memory(op_stats(EVENTS, steps=2))
    assert [(row["op"], row["self_cpu_memory_bytes"]) for row in rows] == [
        ("aten::empty", 3072),
        ("aten::_slow_conv2d_forward", -1024),
    ]


def test_compare_ops_fills_missing_ops_and_totals() -> None:
    first = op_stats(EVENTS, steps=2)
    second = [
        OpStat("aten::conv2d", 1, 50.0, 50.0, 0.0, 0, 0, 0, 0),
        OpStat("aten::mkldnn_convolution", 1, 150.0, 150.0, 0.0, 0, 0, 0, 0),
    ]
    rows = compare_ops(first, second, ("a", "b"))
    by_op = {row["op"]: row for row in rows}
    assert rows[0]["op"] == "aten::_slow_conv2d_forward"
    assert rows[-1] == {"op": "(total)", "a_cpu_us": 400, "a_pct": 100, "b_cpu_us": 200, "b_pct": 100, "b_minus_a_cpu_us": -200}
    assert by_op["aten::mkldnn_convolution"] == {
        "op": "aten::mkldnn_convolution", "a_cpu_us": 0, "a_pct": 0, "b_cpu_us": 150, "b_pct": 75, "b_minus_a_cpu_us": 150,
    }
    assert by_op["aten::conv2d"]["b_minus_a_cpu_us"] == 40
    with pytest.raises(ValueError):
        compare_ops(first, second, ("a", "a"))


def test_names() -> None:
    assert run_name("ghost", "cpu", "train") == "ghost_cpu_train"
    assert worker_name("ghost", "cuda") == "ghost_cuda"
    assert worker_name("resnet.50", "cpu") == "resnet_50_cpu"


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``modbench profile ghost conv2d --compare`` on small configs: (output folder, printed text)."""
    root = tmp_path_factory.mktemp("profile")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main([
            "profile", "ghost", "conv2d", *SMALL, "--compare", "--threads", "1",
            "--logdir", str(root / "traces"), "--report-dir", str(root / "profiles"),
        ])
    assert code == 0
    return root, stdout.getvalue()


@pytest.mark.parametrize("entry", ["ghost", "conv2d"])
def test_one_run_per_entry_with_a_named_worker(profiled: tuple[Path, str], entry: str) -> None:
    root, _ = profiled
    run_dir = root / "traces" / f"{entry}_cpu_infer"
    traces = list(run_dir.iterdir())
    assert len(traces) == 1
    match = TRACE_NAME.match(traces[0].name)
    assert match and match["worker"] == f"{entry}_cpu"

    trace = json.loads(traces[0].read_text())
    assert all(trace[flag] == 1 for flag in ("record_shapes", "profile_memory", "with_stack", "with_flops"))
    events = trace["traceEvents"]
    steps = [e["name"] for e in events if e.get("name", "").startswith("ProfilerStep#")]
    assert len(steps) == TraceSchedule().active
    conv = next(e for e in events if e.get("name") == "aten::conv2d")
    assert conv["args"]["Input Dims"][0] == [1, 8, 8, 8]  # shapes recorded
    assert any(e.get("name") == "[memory]" for e in events)  # allocations recorded
    assert any(e.get("cat") == "python_function" for e in events)  # stacks recorded


def test_summaries_saved_and_printed(profiled: tuple[Path, str]) -> None:
    root, printed = profiled
    for entry in ("ghost", "conv2d"):
        markdown = (root / "profiles" / f"{entry}_cpu_infer.md").read_text()
        assert f"# Profile of {entry} (cpu, infer, batch 1)" in markdown
        assert "## Top operators by self CPU time" in markdown and "## Top operators by self CPU memory" in markdown
        table = pd.read_csv(root / "profiles" / f"{entry}_cpu_infer.csv")
        assert list(table.columns) == [field.name for field in fields(OpStat)]
        assert table["name"].str.contains("::").all()
        assert table["self_cpu_us"].is_monotonic_decreasing
        conv = table.set_index("name").loc["aten::conv2d"]
        assert conv["calls"] == (2 if entry == "ghost" else 1)  # Ghost: primary + cheap convolution
        assert conv["flops"] == (2 * 8 * 4 * 8 * 8 + 2 * 4 * 9 * 8 * 8 if entry == "ghost" else 2 * 8 * 8 * 9 * 8 * 8)
    assert "Top operators by self CPU time" in printed
    assert "tensorboard --logdir" in printed and "--host 127.0.0.1" in printed


def test_comparison(profiled: tuple[Path, str]) -> None:
    root, printed = profiled
    table = pd.read_csv(root / "profiles" / "compare_ghost_vs_conv2d_cpu_infer.csv")
    assert list(table.columns) == ["op", "ghost_cpu_us", "ghost_pct", "conv2d_cpu_us", "conv2d_pct", "conv2d_minus_ghost_cpu_us"]
    ops = table[table["op"] != "(total)"]
    total = table[table["op"] == "(total)"].iloc[0]
    assert total["ghost_cpu_us"] == pytest.approx(ops["ghost_cpu_us"].sum())
    assert ops["ghost_pct"].sum() == pytest.approx(100)
    assert (table["conv2d_minus_ghost_cpu_us"] == table["conv2d_cpu_us"] - table["ghost_cpu_us"]).all()
    assert "aten::cat" in set(ops["op"])  # only Ghost concatenates its two halves
    assert ops.set_index("op").loc["aten::cat", "conv2d_cpu_us"] == 0
    assert "ghost vs conv2d" in printed


def test_train_mode_restores_the_module(tmp_path: Path) -> None:
    module = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    module.eval()
    before = [buffer.clone() for buffer in module.buffers()]
    result = profile_target(
        module_target(module, torch.randn(2, 4), name="mlp"), tmp_path, mode="train", batch=2,
        trace_schedule=TraceSchedule(wait=0, warmup=1, active=1),
    )
    names = {stat.name for stat in result.ops}
    assert "aten::addmm" in names and any(name.startswith("autograd::engine") for name in names)
    assert result.run_dir == tmp_path / "mlp_cpu_train" and result.trace_file.parent == result.run_dir
    assert not module.training
    assert all(torch.equal(a, b) for a, b in zip(before, module.buffers(), strict=True))
    assert all(parameter.grad is None for parameter in module.parameters())


def test_train_mode_without_parameters_and_kineto_notices_hidden(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = main(["profile", "relu", "--hw", "4", "--mode", "train", "--active", "1",
                 "--logdir", str(tmp_path / "traces"), "--report-dir", str(tmp_path / "profiles")])
    out, err = capfd.readouterr()
    assert code == 0
    assert "threshold_backward" in out  # ReLU's backward ran, through the input's gradient
    assert "USDT:" not in err and "USDT:" not in out


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def dirs(tmp_path: Path) -> list[str]:
    """``--logdir`` and ``--report-dir`` inside the test's folder, so nothing lands in the repository."""
    return ["--logdir", str(tmp_path / "t"), "--report-dir", str(tmp_path / "p")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["profile", "ghots"], "unknown catalog entry 'ghots'; did you mean ghost"),
        (["profile", "ghost", "--compare"], "--compare needs two or more entries"),
        (["profile", "ghost", "ghost"], "ghost named twice"),
        (["profile", "ghost", "--active", "0"], "active must be at least 1 step"),
        (["profile", "ghost", "--batch", "0"], "--batch must be a positive integer"),
        (["profile", "ghost", "--threads", "0"], "--threads must be a positive integer"),
        (["profile", "ghost", "--mode", "trian"], "unknown mode 'trian'"),
        (["profile", "ghost", "--set", "nope=1"], "ghost has no config key 'nope'"),
        (["profile", "conv2d", "--hw", "1", "--mode", "train"], "conv2d fails a train step on input of shape (1, 32, 1, 1)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli([*argv, *dirs(tmp_path)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and message in err


def test_unwritable_logdir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, err = run_cli(["profile", "ghost", "--logdir", str(blocker / "traces"), "--report-dir", str(tmp_path / "p")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "cannot write profiler traces to" in err and "pass a writable directory" in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error given when CUDA is missing")
def test_cuda_without_cuda(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["profile", "ghost", "--device", "cuda", *dirs(tmp_path)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "no CUDA device is available" in err
    assert not list((tmp_path / "t").glob("*/*.pt.trace.json"))


def test_active_steps_state_their_count_and_warn_on_few_wide_or_busy() -> None:
    steady = ActiveSteps((0.010, 0.0101, 0.0099, 0.010, 0.0102))
    assert steady.count == 5 and steady.warnings(None) == []
    assert steady.describe().startswith("5 active step(s) kept, 10 ms per step")
    few = ActiveSteps((0.010, 0.011, 0.010))
    assert [w.split(":")[0] for w in few.warnings(None)] == ["only 3 active step(s)"]
    wide = ActiveSteps((0.010, 0.020, 0.010, 0.030, 0.012))
    assert wide.relative_iqr > WIDE_SPREAD and any("spread widely" in w for w in wide.warnings(None))
    busy = SentinelReading(slowdown=0.6, other_cores=1.0, steal=0.0, load_average=2.0, cpus=2, threads=2, attempts=1, noisy=True)
    warnings = steady.warnings(busy)
    assert warnings[0].startswith("the machine was busy while profiling") and "pin --threads 1" in warnings[1]


def test_the_summary_states_the_steps_kept_and_the_machine_state(profiled: tuple[Path, str]) -> None:
    root, _ = profiled
    text = (root / "profiles" / "ghost_cpu_infer.md").read_text()
    assert f"- steps: {TraceSchedule().active} active step(s) kept" in text
    assert "- machine: " in text and "noise sentinel" in text
