"""Turn "what to measure" into specs, and "how to run them" into :class:`RunOptions`: the one planner.

The Python API, ``modbench measure`` / ``compare``, the claims and the report all plan through
:func:`plan_specs` and run with one ``RunOptions``, so they measure the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from modbench.catalog import get_entry
from modbench.catalog.external import is_external
from modbench.errors import UsageError
from modbench.metrics.sentinel import QuietReferences
from modbench.spec import EntrySpec, Settings, Spec, Subject


@dataclass(frozen=True)
class RunOptions:
    """How a run measures its specs (not *what*: that is the specs).

    * ``isolate``: measure catalog entries in a child process, so a crash or an overrun is a
      recorded failure and ``time_limit`` can be enforced.
    * ``time_limit``: seconds one measurement may take, counted from when the child has imported
      torch and the catalog and built the entry (start-up is bounded separately).
    * ``reuse_worker``: measure every entry in one child process instead of a fresh one each.
      Saves the start-up (importing torch, a few seconds per entry on a loaded machine) at the
      price of isolation: an entry that monkeypatches torch or leaks threads skews the next.
    * ``plugins``: plugin files the child must load to know their entries.
    * ``cluster``: a Dask scheduler address, or ``local[:N]``, to measure on
      (:mod:`modbench.run.cluster`); ``None`` measures here.
    * ``quiet_references``: the noise sentinel's quiet reference per thread count, taken once at
      the run's start (:func:`~modbench.metrics.sentinel.quiet_references`); every worker judges
      its measurements against them instead of calibrating for itself.
    """

    isolate: bool = True
    time_limit: float | None = None
    reuse_worker: bool = False
    plugins: tuple[str, ...] = ()
    cluster: str | None = None
    quiet_references: QuietReferences = ()

    def __post_init__(self) -> None:
        limit = self.time_limit
        if limit is not None and not (math.isfinite(limit) and 0 < limit <= 1e6):
            raise UsageError(f"--time-limit must be a positive, finite number of seconds (at most 1e6), got {limit:g}")
        if limit is not None and not self.isolate:
            raise UsageError("a per-entry time limit needs isolated measurement (a child process); drop the limit or isolate")
        if self.cluster is not None:
            from modbench.run.cluster import check_cluster  # Dask is the cluster extra's, imported only when asked for

            check_cluster(self.cluster)


def plan_specs(subjects: Sequence[Subject], batches: Sequence[int], settings: Sequence[Settings]) -> list[Spec]:
    """One spec per subject × settings × batch, an entry's specs adjacent.

    Mistakes are usage errors here, before anything runs: an unknown entry or config key, and,
    for an entry whose config or input shape the user changed, a module that cannot be built or
    cannot take its input (one forward at batch 1). An entry at its default config is not built
    here: whether it runs is the measurement's business, recorded like any other failure.
    """
    if not batches or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in batches):
        raise UsageError(f"batch sizes must be positive integers, got {list(batches)}")
    specs = []
    for subject in subjects:
        if isinstance(subject, EntrySpec) and (subject.overrides or subject.input_shape):
            subject.target().checked_build(1)
        elif isinstance(subject, EntrySpec) and is_external(subject.name):
            get_entry(subject.name).inputs(subject.config, 1)  # no example input and no --input-shape: say so now
        specs += [Spec(subject, batch, setting) for setting in settings for batch in batches]
    return specs
