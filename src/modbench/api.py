"""The Python API: measure any module, or catalog entries by name, from a notebook or a script.

>>> import torch, modbench
>>> frame = modbench.measure(torch.nn.Linear(512, 512), torch.randn(8, 512), batch=[1, 8, 32])
>>> frame[["batch", "latency_ms", "throughput", "peak_bytes"]]

The ``modbench measure`` and ``modbench compare`` commands are argument parsing around
:func:`run_measurements`, so a script and the command line measure the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from modbench.catalog.external import expand_names
from modbench.errors import UsageError
from modbench.metrics.batch_search import largest_fitting_batch
from modbench.metrics.pairs import PairSpec, plan_pairs
from modbench.metrics.registry import MEASUREMENTS, TIMED_MEASUREMENTS
from modbench.metrics.steps import pinned_threads
from modbench.metrics.by_module import DEFAULT_DEPTH, module_table
from modbench.metrics.target import module_target
from modbench.results import records_frame
from modbench.run.plan import RunOptions, plan_specs
from modbench.run.session import Progress, RunOutcome, start_run
from modbench.spec import EntrySpec, Settings, Spec, Subject, check_device_here


def measure(
    module_or_name: nn.Module | str | Sequence[str],
    example_inputs: torch.Tensor | Sequence[torch.Tensor] | None = None,
    *,
    metrics: str | Sequence[str] = MEASUREMENTS,
    device: str = "cpu",
    dtype: str = "fp32",
    batch: int | Sequence[int] | str | None = None,
    batch_dim: int = 0,
    mode: str | Sequence[str] = "infer",
    threads: int | None = None,
    quick: bool = False,
    config: dict[str, Any] | None = None,
    name: str | None = None,
    results_dir: str | Path | None = None,
    time_limit: float | None = None,
    cross_check: str | None = None,
    by_module: bool = False,
    depth: int | None = DEFAULT_DEPTH,
    channels_last: bool = False,
    compile: str | None = None,
    amp: str | None = None,
) -> pd.DataFrame:
    """Measure a module (with ``example_inputs``) or entries by name, with ``config`` overrides.

    A name is a catalog entry, ``package.module:callable``, ``path/to/file.py:callable``, or
    ``torchvision:NAME`` / ``timm:NAME`` (wildcards expand); see :mod:`modbench.catalog.external`.
    ``channels_last``, ``compile`` (a torch.compile mode) and ``amp`` (``"bf16"``/``"fp16"``) are
    the execution knobs of :mod:`modbench.metrics.variants`; ``batch="auto"`` (CUDA) finds the
    largest batch that fits.

    A module is measured on its inputs as given: the batch is their size along ``batch_dim``
    (default 0; 1 for a sequence-first input), and the record's config keeps their shapes. A
    ``batch`` sweep resizes the inputs along ``batch_dim`` only. Catalog entries default to batch 1.
    ``batch`` and ``mode`` may be lists: one row per combination. ``cross_check="fvcore"`` also
    counts the MACs with fvcore (``macs_fvcore``; a disagreement in ``counter_note``).
    ``by_module=True`` returns the per-module table instead (params, MACs, FLOPs and element-wise
    FLOPs of each submodule down to ``depth``, one row per submodule, entry, batch and mode;
    nothing is timed or saved). The module given is not
    changed: a copy is measured, so its weights, ``.grad`` and flags stay as they were, and
    this process's thread count is put back whatever the module's forward does. With
    ``results_dir`` the records are also saved as a run there; with ``time_limit`` (seconds)
    catalog entries are measured in a child process that is killed when it overruns.
    Example inputs the module cannot take raise :class:`UsageError` before anything is measured;
    a measurement that fails is a row with ``status`` other than ``ok`` and the reason in
    ``error``; an interrupt raises ``KeyboardInterrupt`` after saving what was measured.
    """
    if not metrics or not isinstance(metrics, (str, Sequence)):
        raise UsageError(f"metrics must name at least one of {', '.join(MEASUREMENTS)}, got {metrics!r}; e.g. metrics=['params']")
    if isinstance(module_or_name, nn.Module):
        if example_inputs is None:
            raise UsageError("measuring a module needs example inputs: modbench.measure(module, torch.randn(...))")
        target = module_target(module_or_name, example_inputs, name, batch_dim)
        given = target.batch
        with pinned_threads(torch.get_num_threads()):
            target.checked_build(given)  # inputs the module cannot take are the caller's mistake, not a failed measurement
        subjects: list[Subject] = [target]
    else:
        given = 1
        names = [module_or_name] if isinstance(module_or_name, str) else module_or_name
        if not isinstance(names, Sequence) or not names or not all(isinstance(entry, str) for entry in names):
            raise UsageError(
                f"measure takes an nn.Module (with example inputs) or entry names, got {type(module_or_name).__name__}; "
                "e.g. modbench.measure(nn.Linear(4, 4), torch.randn(1, 4)) or modbench.measure('ghost')"
            )
        subjects = [EntrySpec.of(entry, config) for entry in expand_names(list(names))]
    batches = [given] if batch is None else batch if isinstance(batch, str) else [batch] if isinstance(batch, int) else list(batch)
    modes = [mode] if isinstance(mode, str) else list(mode)
    if by_module:
        if isinstance(batches, str):
            raise UsageError("by_module counts at given batch sizes; batch='auto' is for timing on CUDA")
        targets = [subject.target() if isinstance(subject, EntrySpec) else subject for subject in subjects]
        return pd.DataFrame(module_table(targets, batches, modes, depth))
    outcome = run_measurements(
        subjects,
        batches=batches,
        modes=modes,
        metrics=[metrics] if isinstance(metrics, str) else list(metrics),
        device=device,
        dtype=dtype,
        threads=threads,
        quick=quick,
        results_dir=results_dir,
        time_limit=time_limit,
        isolate=time_limit is not None,
        cross_check=cross_check,
        channels_last=channels_last,
        compile=compile,
        amp=amp,
    )
    if outcome.interrupted:
        raise KeyboardInterrupt
    return records_frame(outcome.records, run=outcome.run_id)


def run_measurements(
    subjects: Sequence[Subject],
    *,
    batches: Sequence[int] | str,
    modes: Sequence[str],
    metrics: Sequence[str] = MEASUREMENTS,
    device: str = "cpu",
    dtype: str = "fp32",
    threads: int | None = None,
    quick: bool = False,
    results_dir: str | Path | None = None,
    time_limit: float | None = None,
    isolate: bool = True,
    reuse_worker: bool = False,
    plugins: Sequence[str] = (),
    progress: Progress | None = None,
    cross_check: str | None = None,
    paired: bool = False,
    precision: float | None = None,
    cluster: str | None = None,
    channels_last: bool = False,
    compile: str | None = None,
    amp: str | None = None,
) -> RunOutcome:
    """Plan one spec per subject × mode × batch and run them as one run (see :mod:`modbench.run`).

    ``paired``: the subjects are compared, so at each mode and batch they are measured as one pair
    task, their latencies in interleaved rounds (:mod:`modbench.metrics.pairs`); with a
    ``precision``, the rounds go on until each latency ratio's 95 % interval is within ``±precision``
    (or a cap of rounds and time is reached, :class:`~modbench.metrics.latency.TimingPlan`).
    ``batches="auto"``: each subject at the largest batch that fits on the GPU, found here first
    (the subjects' batches then differ, so they are measured one by one, not as pairs).
    """
    options = RunOptions(isolate=isolate, time_limit=time_limit, reuse_worker=reuse_worker, plugins=tuple(plugins), cluster=cluster)
    if threads is None and cluster is not None and not TIMED_MEASUREMENTS.intersection(metrics):
        # A count-only sweep measures on every core at once (a task per core); each task pinned
        # to all cores would oversubscribe them. Counts do not depend on the thread count.
        threads = 1
    settings = [
        Settings(
            metrics=tuple(metrics),
            device=device,
            dtype=dtype,
            mode=mode,
            quick=quick,
            cross_check=cross_check,
            channels_last=channels_last,
            compile=compile,
            amp=amp,
            precision=precision,
            **({"threads": threads} if threads is not None else {}),
        )
        for mode in modes
    ]
    if batches == "auto":
        tasks: list[Spec] | list[PairSpec] = auto_batch_specs(subjects, settings)
    elif isinstance(batches, str):
        raise UsageError(f"batch must be positive integers or 'auto', got {batches!r}")
    elif paired and "latency" in metrics:
        tasks = plan_pairs(subjects, batches, settings)
    else:
        tasks = plan_specs(subjects, batches, settings)
    return start_run(tasks, results_dir, options, progress)


def auto_batch_specs(subjects: Sequence[Subject], settings: Sequence[Settings]) -> list[Spec]:
    """One spec per subject × settings, each at the largest batch its step fits on the GPU with."""
    for setting in settings:
        check_device_here(setting.device)
    specs = []
    for subject in subjects:
        target = subject.target() if isinstance(subject, EntrySpec) else subject
        for setting in settings:
            specs += plan_specs([subject], [largest_fitting_batch(target, setting)], [setting])
    return specs
