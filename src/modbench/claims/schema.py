"""The shape of a claim: who says what about which catalog entries, and what measurement decides it.

A claim is data. It quotes its source (the seed article's sentence in the original Chinese, with an
English translation; the paper and table where a paper prints a number) and says how to test it:
*comparisons* of a candidate entry against a baseline entry, each with *checks* (a metric of the
results table and what the claim expects of it), *growth* curves for claims about how cost scales,
and *probes* for facts that are not a cost (two layers computing the same numbers).

Every check compares a measured number with an :class:`Expect`; checks without one are context,
shown next to the others but not voting. How check outcomes become a verdict is in
:mod:`modbench.claims.verdict`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

VERDICTS = ("holds", "refuted", "mixed", "unmeasured")
"""Claim verdicts: every measured check holds / none does / some do / nothing needed was measured."""

DEVICE_METRICS = frozenset({"latency_ms", "latency_iqr_ms", "throughput", "gflops_achieved", "peak_bytes", "activation_bytes"})
"""Results columns that depend on where they were measured; counts (params, MACs, FLOPs) do not."""

SPREAD_COLUMNS = {"latency_ms": "latency_iqr_ms"}
"""Columns whose samples scatter, and the column holding their inter-quartile range."""

FrozenConfig = tuple[tuple[str, Any], ...]


def freeze(config: Mapping[str, Any]) -> FrozenConfig:
    """A config dict as sorted pairs, so a frozen dataclass holding it stays hashable."""
    return tuple(sorted(config.items()))


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a catalog entry with config overrides, a batch size and a mode."""

    entry: str
    config: FrozenConfig = ()
    batch: int = 1
    mode: str = "infer"

    @classmethod
    def of(cls, entry: str, *, batch: int = 1, mode: str = "infer", **config: Any) -> Side:
        """``Side.of("ghost", kernel_size=3, ratio=2)``: the entry at its defaults with these overrides."""
        return cls(entry=entry, config=freeze(config), batch=batch, mode=mode)

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.config)

    def describe(self) -> str:
        """``ghost(kernel_size=3, ratio=2)``, with batch and mode when they are not 1 and infer."""
        text = f"{self.entry}({', '.join(f'{k}={v}' for k, v in self.config)})"
        if self.batch != 1:
            text += f" ×{self.batch}"
        if self.mode != "infer":
            text += f" [{self.mode}]"
        return text


ConfigFormula = Callable[[Mapping[str, Any], Mapping[str, Any]], float]


@dataclass(frozen=True)
class Expect:
    """What a claim says a measured number should be, and how close counts as agreeing.

    ``kind``: ``approx`` (within ``tolerance``, relative, of ``value``), ``at_most`` / ``at_least``
    (a bound), ``equals`` (within ``tolerance``, absolute; exact by default). With ``formula`` the
    target is computed from the candidate's and the baseline's full configs instead of ``value``
    (the GhostNet speed-up as a function of c, k, s, d). ``text`` is how the report states it.
    """

    kind: str
    value: float = 0.0
    tolerance: float = 0.0
    text: str = ""
    formula: ConfigFormula | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("approx", "at_most", "at_least", "equals"):
            raise ValueError(f"unknown expectation kind {self.kind!r}")

    def target(self, candidate: Mapping[str, Any], baseline: Mapping[str, Any]) -> float:
        """The expected number for these configs (``value`` unless a formula computes it)."""
        return self.formula(candidate, baseline) if self.formula is not None else self.value

    def agrees(self, measured: float, target: float) -> bool:
        """Whether ``measured`` meets the expectation ``target``."""
        if math.isnan(measured):
            return False
        if self.kind == "approx":
            return abs(measured - target) <= self.tolerance * abs(target)
        if self.kind == "at_most":
            return measured <= target
        if self.kind == "at_least":
            return measured >= target
        return abs(measured - target) <= self.tolerance


def approx(value: float, tolerance: float, text: str) -> Expect:
    """The measured number is ``value`` within ``tolerance`` (relative)."""
    return Expect("approx", value, tolerance, text)


def at_most(bound: float, text: str) -> Expect:
    return Expect("at_most", bound, text=text)


def equals(value: float, text: str, tolerance: float = 0.0) -> Expect:
    return Expect("equals", value, tolerance, text)


def by_formula(formula: ConfigFormula, tolerance: float, text: str) -> Expect:
    """The measured number is ``formula(candidate_config, baseline_config)`` within ``tolerance`` (relative)."""
    return Expect("approx", tolerance=tolerance, text=text, formula=formula)


@dataclass(frozen=True)
class Check:
    """One number a comparison looks at: a results column, as a ratio or as the candidate's own value.

    ``on="ratio"`` divides the candidate's value by the baseline's; ``on="candidate"`` takes the
    candidate's value alone (DropBlock's parameter count must be 0). ``expect=None`` makes the
    check context: measured and shown, no vote.
    """

    metric: str
    label: str
    expect: Expect | None = None
    on: str = "ratio"

    def __post_init__(self) -> None:
        if self.on not in ("ratio", "candidate"):
            raise ValueError(f"a check is on 'ratio' or 'candidate', got {self.on!r}")

    @property
    def votes(self) -> bool:
        return self.expect is not None


@dataclass(frozen=True)
class Comparison:
    """A candidate against a baseline (or alone), with the checks that test the claim on them.

    ``point`` names the sweep coordinates when the comparison is one point of a sweep.
    """

    label: str
    candidate: Side
    baseline: Side | None
    checks: tuple[Check, ...]
    point: FrozenConfig = ()

    def __post_init__(self) -> None:
        if self.baseline is None and any(check.on == "ratio" for check in self.checks):
            raise ValueError(f"comparison {self.label!r} has ratio checks but no baseline")


@dataclass(frozen=True)
class Growth:
    """How a metric grows with one config value: the log-log slope over the largest ``values``.

    The slope is fitted over the last ``tail`` points, where the leading term dominates (a
    quadratic term hidden under a constant at small sizes shows there as an exponent near 2).
    """

    label: str
    entry: str
    parameter: str
    values: tuple[int, ...]
    metric: str
    expect: Expect | None
    config: FrozenConfig = ()
    tail: int = 3

    def sides(self) -> tuple[Side, ...]:
        """One side per value of the swept parameter."""
        return tuple(
            Side(entry=self.entry, config=freeze({**dict(self.config), self.parameter: value})) for value in self.values
        )


@dataclass(frozen=True)
class ProbeCheck:
    """A number that is not a cost, computed by a named probe (see ``modbench.claims.check.PROBES``)."""

    probe: str
    label: str
    expect: Expect


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
class Claim:
    """One claim of SPEC §4: its source, its tests, the rule that decides it and what it leaves out."""

    id: str
    number: str
    statement: str
    seed: str
    quotes: tuple[Quote, ...]
    paper: str | None
    table: str | None
    comparisons: tuple[Comparison, ...]
    rule: str
    decides: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    published: tuple[Published, ...] = ()
    growth: tuple[Growth, ...] = ()
    probes: tuple[ProbeCheck, ...] = ()

    def sides(self) -> tuple[Side, ...]:
        """Every side this claim needs measured, in order, without repeats."""
        seen: dict[Side, None] = {}
        for comparison in self.comparisons:
            seen[comparison.candidate] = None
            if comparison.baseline is not None:
                seen[comparison.baseline] = None
        for growth in self.growth:
            for side in growth.sides():
                seen[side] = None
        return tuple(seen)
