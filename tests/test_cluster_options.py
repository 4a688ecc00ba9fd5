"""``--cluster`` without a cluster: what it asks of a worker, how many local workers, and its usage errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from modbench.errors import UsageError
from modbench.run import RunOptions, start_run
from modbench.run.cluster import INSTALL_HINT, local_workers, task_resources
from modbench.spec import EntrySpec, Settings, Spec
from tests.ports import free_port


def specs(metrics: tuple[str, ...]) -> list[Spec]:
    return [Spec(EntrySpec.of("linear"), 1, Settings(metrics=metrics))]


def test_a_task_needs_a_measuring_slot_and_a_gpu_only_for_cuda() -> None:
    assert task_resources("cpu") == {"measure": 1}
    assert task_resources("cuda") == {"measure": 1, "cuda": 1}


def test_local_starts_one_worker_for_a_timing_run_and_one_per_core_for_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert local_workers("local", specs(("params", "latency"))) == 1
    assert local_workers("local", specs(("params", "flops"))) == 6
    assert local_workers("local:3", specs(("params", "latency"))) == 3


@pytest.mark.parametrize("address", ["local:0", "local:x", "nowhere", "tcp://host", ""])
def test_a_malformed_address_is_a_usage_error(address: str) -> None:
    with pytest.raises(UsageError, match="--cluster"):
        RunOptions(cluster=address)


def test_without_dask_the_cli_names_the_extra_and_exits_2(
    cli: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    result = cli("measure", "linear", "--metrics", "params", "--cluster", "local:2", "--results-dir", str(tmp_path))
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and INSTALL_HINT in result.err
    assert not list(tmp_path.glob("*.jsonl"))  # refused before a run was started


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: nothing to refuse")
def test_cuda_specs_are_planned_without_a_gpu_and_refused_only_where_they_would_run_here(tmp_path: Path) -> None:
    cuda = [Spec(EntrySpec.of("linear"), 1, Settings(metrics=("params",), device="cuda"))]  # a client plans for GPU workers
    with pytest.raises(UsageError, match="no CUDA device is available"):
        start_run(cuda, tmp_path / "here", RunOptions())
    with pytest.raises(UsageError, match="no CUDA device is available"):
        start_run(cuda, tmp_path / "local", RunOptions(cluster="local:1"))
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):  # the GPU is the remote workers' business
        start_run(cuda, tmp_path / "remote", RunOptions(cluster=f"tcp://127.0.0.1:{free_port()}"))
    assert not (tmp_path / "here").exists() or not any((tmp_path / "here").iterdir())  # refused before a run file is made


def test_a_local_cluster_runs_its_workers_without_dask_s_stack_sampler() -> None:
    # The sampler would take CPU from the measuring children every 10 ms; only a local cluster is modbench's to configure.
    from modbench.run.cluster import _client

    spec = Spec(EntrySpec("relu"), 1, Settings(metrics=("params",)))
    with _client("local:1", [spec]) as client:
        sampled = client.run(lambda dask_worker: sorted({"profile", "profile-cycle"} & set(dask_worker.periodic_callbacks)))
    assert list(sampled.values()) == [[]]
