"""Execution knobs: channels-last, torch.compile, autocast, --batch auto; each in the record key."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from modbench.errors import UsageError
from modbench.metrics.batch_search import decay_batch_step, largest_fitting_batch
from modbench.metrics.target import Target, entry_target
from modbench.metrics.variants import Autocast
from modbench.records import Record, RecordKey
from modbench.spec import Settings
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def _records(result: CliResult) -> list[dict]:
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_compile_and_channels_last_on_cpu_are_in_the_key_and_compile_time_is_apart(cli: Cli) -> None:
    (plain, knobbed) = (
        _records(cli("measure", "conv2d", "--metrics", "params,latency", "--quick", "--format", "json", *extra))[0]
        for extra in ((), ("--channels-last", "--compile", "aot_eager"))
    )
    assert (plain["channels_last"], plain["compile"], plain["compile_s"]) == (False, None, None)
    assert (knobbed["channels_last"], knobbed["compile"]) == (True, "aot_eager")
    assert knobbed["compile_s"] > 0 and knobbed["latency_ms"] > 0
    assert knobbed["params"] == plain["params"]
    table = cli("measure", "conv2d", "--metrics", "params", "--channels-last")
    assert "channels_last" in table.out.splitlines()[0]


def test_amp_bf16_on_cpu_autocasts_and_keeps_fp32_weights_unlike_dtype(cli: Cli) -> None:
    amp = _records(cli("measure", "conv2d", "--amp", "bf16", "--metrics", "params,latency", "--quick", "--format", "json"))[0]
    cast = _records(cli("measure", "conv2d", "--dtype", "bf16", "--metrics", "params", "--format", "json"))[0]
    assert (amp["amp"], amp["dtype"], amp["status"]) == ("bf16", "fp32", "ok")
    assert amp["param_bytes"] == 4 * amp["params"]
    assert cast["param_bytes"] == 2 * cast["params"]


def test_autocast_wrapper_runs_the_forward_at_bf16_with_fp32_weights() -> None:
    conv = torch.nn.Conv2d(3, 4, 3)
    output = Autocast(conv, "cpu", torch.bfloat16)(torch.randn(1, 3, 8, 8))
    assert output.dtype == torch.bfloat16 and conv.weight.dtype == torch.float32


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--amp", "bf16", "--dtype", "bf16"), "drop --dtype bf16"),
        (("--amp", "fp8"), "unknown --amp precision 'fp8'"),
        (("--compile", "fast"), "--compile 'fast' is not a mode"),
        (("--batch", "auto"), "--batch auto needs --device cuda"),
    ],
)
def test_knobs_that_cannot_apply_are_usage_errors(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    result = cli("measure", "conv2d", "--metrics", "params", *args)
    assert result.code == 2 and needle in result.err and len(result.err.strip().splitlines()) == 1, result


def test_a_record_written_before_the_knobs_reads_with_them_off() -> None:
    flat = {
        "entry": "conv2d", "config": {"in_channels": 3}, "batch": 1, "device": "cpu", "dtype": "fp32",
        "mode": "infer", "threads": 2, "status": "ok", "params": 10,
    }
    key = Record.from_dict(flat).key
    assert (key.channels_last, key.compile, key.amp, key.knobs) == (False, None, None, ())


def test_the_batch_back_off_is_timms_two_steps_per_halving() -> None:
    sizes = [256]
    while sizes[-1]:
        sizes.append(decay_batch_step(sizes[-1]))
    assert sizes == [256, 192, 128, 96, 64, 48, 32, 24, 16, 12, 8, 6, 4, 3, 2, 1, 0]


class _Hungry(torch.nn.Module):
    """Allocates ``per_sample`` fp32 elements per sample on the input's device: memory that grows with the batch."""

    def __init__(self, per_sample: int) -> None:
        super().__init__()
        self.per_sample = per_sample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ones(x.shape[0], self.per_sample, device=x.device).sum()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="--batch auto searches GPU memory; no CUDA device here")
def test_batch_auto_on_cuda_backs_off_to_a_batch_that_fits() -> None:
    settings = Settings(metrics=("latency",), device="cuda")
    assert largest_fitting_batch(entry_target("conv2d"), settings, start=64) == 64
    third_of_gpu = torch.cuda.get_device_properties(0).total_memory // 4 // 3
    hungry = Target("hungry", {}, lambda: _Hungry(third_of_gpu), lambda batch: (torch.zeros(batch, 1),))
    assert largest_fitting_batch(hungry, settings, start=4) == 2  # 4 and 3 thirds do not fit, 2 do


def test_a_knob_makes_its_own_history_series_and_older_labels_stay() -> None:
    base = RecordKey(entry="conv2d", config="{}", batch=1, device="cpu", dtype="fp32", mode="infer", threads=2)
    assert base.series_label() == "entry=conv2d, batch=1, mode=infer, device=cpu, dtype=fp32, threads=2, config={}"
    compiled = replace(base, compile="aot_eager", channels_last=True)
    assert compiled.series_label() == (
        "entry=conv2d, batch=1, mode=infer, device=cpu, dtype=fp32, threads=2, channels_last=True, compile=aot_eager, config={}"
    )


def test_a_name_after_a_bare_compile_is_read_as_its_mode_and_the_error_says_so(cli: Cli) -> None:
    result = cli("measure", "--compile", "conv2d", "--metrics", "params")
    assert result.code == 2 and "put the names before it" in result.err and len(result.err.strip().splitlines()) == 1, result


def test_a_compared_pair_is_timed_under_the_knobs_and_its_keys_say_so(cli: Cli, tmp_path: Path) -> None:
    result = cli("compare", "relu", "swish", "--set", "channels=4", "--hw", "8", "--metrics", "latency", "--quick", "--threads", "1",
                 "--compile", "aot_eager", "--channels-last", "--results-dir", str(tmp_path), "--format", "json")
    assert result.code == 0, result.err
    relu, swish = json.loads(result.out)["records"]
    assert relu["pair"] == swish["pair"] is not None
    for record in (relu, swish):
        assert (record["compile"], record["channels_last"]) == ("aot_eager", True)
        assert record["compile_s"] > 0 and record["latency_ms"] > 0


def test_the_api_refuses_an_unknown_compile_mode() -> None:
    with pytest.raises(UsageError, match="unknown --compile mode 'fast'"):
        Settings(compile="fast")
