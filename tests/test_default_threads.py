"""The CPU threads a measurement pins when none are asked for: every core but one for a timing, every core for counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from modbench.spec import Settings, default_threads
from tests.conftest import CliResult


@pytest.mark.parametrize(("cores", "timed", "counted"), [(8, 7, 8), (2, 1, 2), (1, 1, 1)])
def test_a_timing_leaves_one_core_free_and_counting_uses_every_core(
    monkeypatch: pytest.MonkeyPatch, cores: int, timed: int, counted: int
) -> None:
    monkeypatch.setattr(torch, "get_num_threads", lambda: cores)
    assert default_threads(("latency",)) == timed
    assert Settings().threads == timed  # the default metrics include latency
    assert Settings(metrics=("params", "flops", "memory")).threads == counted


def test_threads_asked_for_are_kept_whatever_is_measured() -> None:
    assert Settings(metrics=("latency",), threads=3).threads == 3
    assert Settings(metrics=("params",), threads=3).threads == 3


def test_compare_times_at_the_default_and_says_so(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    expected = max(1, torch.get_num_threads() - 1)
    shown = cli("compare", "relu", "swish", "--set", "channels=4", "--hw", "8", "--quick", "--results-dir", str(tmp_path))
    assert shown.code == 0
    assert f"timed at {expected} CPU thread(s) of {torch.get_num_threads()} (the default: every core but one" in shown.out
    data = cli("compare", "relu", "swish", "--set", "channels=4", "--hw", "8", "--quick", "--threads", "1",
               "--format", "json", "--results-dir", str(tmp_path))
    assert {record["threads"] for record in json.loads(data.out)["records"]} == {1}
