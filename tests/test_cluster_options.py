"""``--cluster`` without a cluster: what it asks of a worker, how many local workers, and its usage errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from modbench.errors import UsageError
from modbench.run.plan import RunOptions
from modbench.run.session import start_run
from modbench.metrics.pairs import PairSpec
from modbench.run.cluster import INSTALL_HINT, family_rank, local_workers, submission_order, submitted_resources, task_resources
from modbench.spec import EntrySpec, Settings, Spec
from tests.ports import free_port


def specs(metrics: tuple[str, ...]) -> list[Spec]:
    return [Spec(EntrySpec.of("linear"), 1, Settings(metrics=metrics))]


def test_a_task_needs_a_measuring_slot_and_a_gpu_only_for_cuda() -> None:
    assert task_resources("cpu") == {"measure": 1}
    assert task_resources("cuda") == {"measure": 1, "cuda": 1}


def test_models_are_submitted_before_blocks() -> None:
    # a model takes seconds, a block tenths: with the models first, no worker waits long on the last task
    def spec(name: str) -> Spec:
        return Spec(EntrySpec.of(name), 1, Settings(metrics=("params", "latency")))

    assert family_rank(spec("resnet50")) == 1
    assert family_rank(spec("relu")) == 0
    assert family_rank(PairSpec((spec("relu"), spec("resnet50")))) == 1
    plan = [spec(name) for name in ("relu", "resnet50", "conv2d", "vit_tiny")]
    assert [(index, s.key.entry) for index, s in submission_order(plan)] == [
        (1, "resnet50"), (3, "vit_tiny"), (0, "relu"), (2, "conv2d"),
    ]


def test_a_local_cluster_queues_its_tasks_and_a_remote_one_routes_them_by_resources() -> None:
    # a local cluster's one-thread workers are alike: a task without restrictions is queued and goes to the next free worker
    assert submitted_resources("local", "cpu") is None
    assert submitted_resources("local:2", "cuda") is None
    assert submitted_resources("tcp://10.0.0.1:8786", "cuda") == {"measure": 1, "cuda": 1}


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
