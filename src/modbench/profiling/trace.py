"""Profile one target with ``torch.profiler`` and write a trace TensorBoard and Perfetto open.

Layout, as torch-tb-profiler expects it: each sub-folder of the logdir is a *run*, and each
``{worker}.{time_ns}.pt.trace.json`` in it a *worker* (a later profile of the same run adds a
*span*). modbench names the run ``{entry}_{device}_{mode}`` and the worker ``{entry}_{device}``, so
TensorBoard's run and worker menus say what was profiled where.

The schedule skips ``wait`` steps (lazy initialisation, first-call allocations), records but drops
``warmup`` steps (the profiler's own start-up cost), then keeps ``active`` steps. Shapes, memory,
Python stacks and FLOPs are recorded: the Operator view groups by input shape, the Memory view
needs allocation events, and the Module view is built from the Python call stacks.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile, schedule, tensorboard_trace_handler

from modbench.errors import UsageError
from modbench.metrics.state import preserved_state
from modbench.metrics.steps import make_step, pinned_threads, placed, step_inputs, synchronize
from modbench.metrics.target import Inputs, Target, describe_shapes
from modbench.metrics.sentinel import Sentinel, SentinelReading
from modbench.paths import writable_dir
from modbench.profiling.steps import ActiveSteps
from modbench.profiling.summary import OpStat, op_stats
from modbench.spec import Settings, check_device_here
from modbench.text import first_line, slug

KINETO_NOTICE = "USDT:"


@dataclass(frozen=True)
class TraceSchedule:
    """How many steps to skip, to record and drop, and to keep (``torch.profiler.schedule``)."""

    wait: int = 1
    warmup: int = 1
    active: int = 5

    def __post_init__(self) -> None:
        if self.wait < 0 or self.warmup < 0:
            raise UsageError(f"wait and warmup must be 0 or more steps, got wait={self.wait}, warmup={self.warmup}")
        if self.active < 1:
            raise UsageError(f"active must be at least 1 step, got {self.active}")

    @property
    def steps(self) -> int:
        """Steps to run so that exactly one trace is written."""
        return self.wait + self.warmup + self.active


@dataclass(frozen=True)
class TraceResult:
    """One profiled target: where its trace is, and its operators' cost per active step."""

    entry: str
    config: dict[str, Any]
    device: str
    mode: str
    batch: int
    schedule: TraceSchedule
    run_dir: Path
    worker: str
    trace_file: Path
    ops: tuple[OpStat, ...]
    active_steps: ActiveSteps
    sentinel: SentinelReading | None = None  # the noise sentinel around the profiled steps, when one ran

    @property
    def run(self) -> str:
        """The run's name as TensorBoard lists it (the run folder's name)."""
        return self.run_dir.name


def run_name(entry: str, device: str, mode: str) -> str:
    """The run folder of one entry profiled on one device in one mode (``models/net.py:build`` → ``models_net.py_build``)."""
    return slug(f"{entry}_{device}_{mode}")


def worker_name(entry: str, device: str) -> str:
    """The worker name TensorBoard shows; without dots, since ``.123`` in it would read as a span."""
    return slug(f"{entry}_{device}").replace(".", "_")


def profile_target(
    target: Target,
    logdir: str | Path,
    device: str = "cpu",
    mode: str = "infer",
    batch: int = 1,
    trace_schedule: TraceSchedule = TraceSchedule(),
    use_gzip: bool = False,
    threads: int | None = None,
    sentinel: Sentinel | None = None,
) -> TraceResult:
    """Profile ``target`` at ``batch`` and write its trace under ``logdir``/:func:`run_name`.

    A step is the one latency and memory measure (:mod:`modbench.metrics.steps`): an eval forward
    under ``inference_mode`` for "infer"; ``zero_grad``, forward and backward for "train", where
    the floating inputs require grad when ``target.input_grad`` says so (a block's do, a model's not).
    ``threads`` pins the CPU thread count (default: leave it). Each active step's wall time is kept,
    and ``sentinel``, when given, checks the machine before and after the profiled steps. The
    caller's module is not moved or converted, and its training flags, buffers and RNG state are restored.
    Raises :class:`UsageError` for a bad device or mode, an unwritable logdir, or a target that
    cannot be built, cannot take its input or fails a step (a train step at batch 1 with batch norm).
    """
    Settings(device=device, mode=mode)  # the same device and mode checks as `measure`
    check_device_here(device)
    worker = worker_name(target.name, device)
    run_dir = writable_dir(Path(logdir) / run_name(target.name, device, mode), "profiler traces")
    module, inputs = placed(*target.checked_build(batch), device, torch.float32)
    step = make_step(module, step_inputs(inputs, mode, target.input_grad), mode)

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    write_trace = tensorboard_trace_handler(str(run_dir), worker_name=worker, use_gzip=use_gzip)
    averages: list[Any] = []

    def on_trace_ready(prof: profile) -> None:
        write_trace(prof)
        averages.extend(prof.key_averages())

    before = set(run_dir.iterdir())
    steps = schedule(wait=trace_schedule.wait, warmup=trace_schedule.warmup, active=trace_schedule.active, repeat=1)

    def profiled_steps() -> list[float]:
        times = []
        with (
            _without_kineto_notices(),
            profile(
                activities=activities,
                schedule=steps,
                on_trace_ready=on_trace_ready,
                record_shapes=True,
                profile_memory=True,
                with_stack=True,
                with_flops=True,
            ) as prof,
        ):
            for _ in range(trace_schedule.steps):
                start = time.perf_counter()
                _checked_step(target.name, step, mode, inputs)
                synchronize(device)
                times.append(time.perf_counter() - start)
                prof.step()
        return times[-trace_schedule.active:]

    with pinned_threads(threads or torch.get_num_threads()), preserved_state(module, mode):
        step_times, reading = sentinel.watch(profiled_steps) if sentinel is not None else (profiled_steps(), None)
        module.zero_grad(set_to_none=True)

    written = sorted(set(run_dir.iterdir()) - before)
    if len(written) != 1:
        raise RuntimeError(f"expected one new trace in {run_dir}, found {[p.name for p in written]}")
    return TraceResult(
        entry=target.name,
        config=dict(target.config),
        device=device,
        mode=mode,
        batch=batch,
        schedule=trace_schedule,
        run_dir=run_dir,
        worker=worker,
        trace_file=written[0],
        ops=tuple(op_stats(averages, trace_schedule.active)),
        active_steps=ActiveSteps(tuple(step_times)),
        sentinel=reading,
    )


def _checked_step(name: str, step: Callable[[], Any], mode: str, inputs: Inputs) -> None:
    """Run one step; a failure is the user's batch size or mode, not a bug, so it becomes a usage error.

    The target's own check ran an eval forward only; a train step can still fail (batch norm
    refuses one value per channel, an output without gradient has no backward).
    """
    try:
        step()
    except (RuntimeError, ValueError, IndexError, TypeError, AssertionError) as error:
        raise UsageError(
            f"{name} fails a {mode} step on input of shape {describe_shapes(inputs)}: {first_line(error)}"
            + ("; try a larger --batch or --mode infer" if mode == "train" else "")
        ) from error


@contextmanager
def _without_kineto_notices() -> Iterator[None]:
    """Drop the ``USDT:`` lines Kineto writes straight to file descriptor 2; pass on everything else.

    Kineto writes from C++, below ``sys.stderr``, so the descriptor itself is redirected to a
    temporary file and the other lines (warnings, errors) are replayed once profiling ends.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines = sink.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not line.startswith(KINETO_NOTICE)))
