"""The shape of a claim: who says what about which modules, and which measurements could refute it.

A claim is data. It quotes its seed (the sentence in the original Chinese, with an English
translation; the paper and table where a paper prints a number) and says how to test it:
*comparisons* of a candidate against a baseline, each with *checks* on one metric, *growth*
curves for how a cost scales, and *probes* for facts that are not a cost.

A check either **votes**, and then says how it could fail (``could_fail``: the measurement that
would refute it), or is **context**, shown and never voting, and says why (``context``): it
follows from the implementation or a definition, or the source claims nothing about it. Checks
on counts (params, MACs, FLOPs) make a claim's **cost** verdict; checks on latency and memory,
which depend on the device, its verdict **on this hardware**.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modbench.claims.expect import Expect
from modbench.claims.sources import Seed
from modbench.metrics.registry import DEVICE_METRICS

METRIC_NAMES = {
    "params": "params",
    "macs": "MACs",
    "flops": "FLOPs",
    "latency_ms": "latency",
    "peak_bytes": "peak memory",
    "activation_bytes": "activation memory",
    "gflops_achieved": "achieved GFLOP/s",
}
"""How a check names the metric it reads."""

if TYPE_CHECKING:
    import torch
    from torch import nn

FrozenConfig = tuple[tuple[str, Any], ...]
Inputs = tuple["torch.Tensor", ...]


def freeze(config: Mapping[str, Any]) -> FrozenConfig:
    """A config dict as sorted pairs, so a frozen dataclass holding it stays hashable."""
    return tuple(sorted(config.items()))


@dataclass(frozen=True)
class Extra:
    """A module that is no catalog entry, measured for a claim (a Ghost module's primary conv alone).

    ``build`` and ``inputs`` take the full config; rows are stored under ``name``.
    """

    name: str
    build: Callable[[Mapping[str, Any]], "nn.Module"]
    inputs: Callable[[Mapping[str, Any], int], Inputs]


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a catalog entry (or an :class:`Extra`) with config overrides, batch and mode.

    For an extra, ``config`` is the whole config.
    """

    entry: str
    config: FrozenConfig = ()
    batch: int = 1
    mode: str = "infer"
    extra: Extra | None = None

    @classmethod
    def of(cls, entry: str, *, batch: int = 1, mode: str = "infer", **config: Any) -> Side:
        """``Side.of("ghost", kernel_size=3, ratio=2)``: the entry at its defaults with these overrides."""
        return cls(entry=entry, config=freeze(config), batch=batch, mode=mode)

    @classmethod
    def of_extra(cls, extra: Extra, config: Mapping[str, Any], *, batch: int = 1) -> Side:
        return cls(entry=extra.name, config=freeze(config), batch=batch, extra=extra)

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.config)

    def at(self, batch: int) -> Side:
        """The same side at another batch size."""
        return Side(self.entry, self.config, batch, self.mode, self.extra)

    def describe(self) -> str:
        """``ghost(kernel_size=3, ratio=2)``, with batch and mode when they are not 1 and infer."""
        text = f"{self.entry}({', '.join(f'{k}={v}' for k, v in self.config)})"
        if self.batch != 1:
            text += f" ×{self.batch}"
        if self.mode != "infer":
            text += f" [{self.mode}]"
        return text


class _Judged:
    """What a check and a growth curve share: they vote when they can fail, on the aspect their metric is."""

    metric: str
    could_fail: str | None

    @property
    def votes(self) -> bool:
        return self.could_fail is not None

    @property
    def aspect(self) -> str:
        """``cost`` (a count, the same on every device) or ``hardware`` (latency, memory)."""
        return "hardware" if self.metric in DEVICE_METRICS else "cost"


@dataclass(frozen=True)
class Check(_Judged):
    """One number a comparison looks at: a metric, as a ratio or as the candidate's own value.

    ``on="ratio"`` divides the candidate's value by the baseline's; ``on="candidate"`` takes the
    candidate's value alone. Exactly one of ``could_fail`` (the check votes) and ``context`` (it
    does not) is given. A context check may still carry an expectation, shown with its outcome.
    """

    metric: str
    expect: Expect | None = None
    on: str = "ratio"
    could_fail: str | None = None
    context: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.on not in ("ratio", "candidate"):
            raise ValueError(f"a check is on 'ratio' or 'candidate', got {self.on!r}")
        if (self.could_fail is None) == (self.context is None):
            raise ValueError(f"check on {self.metric}: give exactly one of could_fail (it votes) or context (it does not)")
        if self.could_fail is not None and self.expect is None:
            raise ValueError(f"check on {self.metric} votes but expects nothing")

    @property
    def label(self) -> str:
        """``params ratio``, ``MACs`` (a candidate's own value), or the check's own name."""
        if self.name:
            return self.name
        metric = METRIC_NAMES.get(self.metric, self.metric)
        return f"{metric} ratio" if self.on == "ratio" else metric


def vote(metric: str, expect: Expect, could_fail: str, *, on: str = "ratio", name: str | None = None) -> Check:
    """A voting check and the measurement that would refute it."""
    return Check(metric, expect, on, could_fail=could_fail, name=name)


def context(metric: str, why: str = "shown beside the voting checks", *, expect: Expect | None = None, on: str = "ratio", name: str | None = None) -> Check:
    """A check that is shown and never votes, and why."""
    return Check(metric, expect, on, context=why, name=name)


NO_SPEED_CLAIMED = "the source claims no speed: time is shown, not judged"


@dataclass(frozen=True)
class Comparison:
    """A candidate against a baseline (or alone), with the checks that test the claim on them.

    ``point`` names the sweep coordinates when the comparison is one point of a sweep; ``note``
    says, from the data, what a reader should know about this comparison (why a row differs).
    """

    label: str
    candidate: Side
    baseline: Side | None
    checks: tuple[Check, ...]
    point: FrozenConfig = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.baseline is None and any(check.on == "ratio" for check in self.checks):
            raise ValueError(f"comparison {self.label!r} has ratio checks but no baseline")
        labels = [check.label for check in self.checks]
        if len(set(labels)) != len(labels):
            raise ValueError(f"comparison {self.label!r} has two checks named alike: {labels}")


@dataclass(frozen=True)
class Growth(_Judged):
    """How a metric grows with one config value: the log-log slope over the largest ``values``.

    The slope is fitted over the last ``tail`` points, where the leading term dominates. A growth
    without an expectation is context.
    """

    entry: str
    parameter: str
    values: tuple[int, ...]
    metric: str
    expect: Expect | None = None
    could_fail: str | None = None
    config: FrozenConfig = ()
    tail: int = 3

    @property
    def label(self) -> str:
        return f"{METRIC_NAMES.get(self.metric, self.metric)} vs {self.parameter}"

    def sides(self) -> tuple[Side, ...]:
        """One side per value of the swept parameter."""
        return tuple(Side(entry=self.entry, config=freeze({**dict(self.config), self.parameter: value})) for value in self.values)


Probe = Callable[[], Mapping[str, float]]
"""A function computing facts that are not costs, by key (one function may give several)."""


@dataclass(frozen=True)
class ProbeCheck:
    """One value a probe computes (``probe()[key]``) against an expectation; probes are counts, not timings."""

    probe: Probe
    key: str
    label: str
    expect: Expect
    could_fail: str

    aspect = "cost"
    votes = True


@dataclass(frozen=True)
class Quote:
    """A sentence as the seed states it, and its English translation."""

    original: str
    english: str


@dataclass(frozen=True)
class Published:
    """A figure a paper prints: data with its source, shown next to the measurement, never in its place."""

    what: str
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Exhibit:
    """A table a claim shows beside its checks (the Ghost sweep, a growth curve, a paper's table).

    ``plot`` names the kind of figure drawn from the rows: ``ratios`` (measured ratios against
    their references per point), ``roofline`` (achieved GFLOP/s against intensity), ``growth``
    (each column against the first).
    """

    key: str
    title: str
    rows: tuple[Mapping[str, Any], ...]
    plot: str | None = None
    note: str = ""


ExhibitMaker = Callable[[Any, str, Any], tuple[Exhibit, ...]]
"""(results lookup, device, the claim's check results) → its exhibits on that device; pure."""


@dataclass(frozen=True)
class Claim:
    """One claim: its source, its tests, and what it leaves out.

    ``seed`` is None for a paper's own table (its source is ``paper`` and ``table``). ``scope``
    is None for a cost claim; otherwise why the claim is out of scope (it states a
    capability, not a cost): its checks are then all context. ``targets`` are extra sides to
    measure for its exhibits (a Ghost module's two convolutions alone); ``exhibits`` computes its
    tables from the results.
    """

    id: str
    number: str
    statement: str
    seed: Seed | None
    quotes: tuple[Quote, ...]
    paper: str | None = None
    table: str | None = None
    comparisons: tuple[Comparison, ...] = ()
    decides: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    published: tuple[Published, ...] = ()
    growth: tuple[Growth, ...] = ()
    probes: tuple[ProbeCheck, ...] = ()
    scope: str | None = None
    targets: tuple[Side, ...] = ()
    exhibits: ExhibitMaker | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.scope is None and not any(self.voting_checks()):
            raise ValueError(f"claim {self.id} is in scope but no check votes")
        if self.scope is not None and any(self.voting_checks()):
            raise ValueError(f"claim {self.id} is out of scope, yet some checks vote")

    def voting_checks(self) -> tuple[Check | Growth | ProbeCheck, ...]:
        checks: list[Check | Growth | ProbeCheck] = [c for comparison in self.comparisons for c in comparison.checks if c.votes]
        return (*checks, *(g for g in self.growth if g.votes), *self.probes)

    def sides(self) -> tuple[Side, ...]:
        """Every side this claim needs measured, in order, without repeats (targets last)."""
        seen: dict[Side, None] = {}
        for comparison in self.comparisons:
            seen[comparison.candidate] = None
            if comparison.baseline is not None:
                seen[comparison.baseline] = None
        for growth in self.growth:
            for side in growth.sides():
                seen[side] = None
        for side in self.targets:
            seen[side] = None
        return tuple(seen)
