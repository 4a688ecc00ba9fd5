"""What a claim expects of a measured number, and the words of the seeds read as fixed thresholds.

An expectation's text is generated from its numbers (``≤ 0.95``, ``≈ 1/s ± 10 %``), never
written beside them, so what the report says and what the check tests cannot drift apart. The
seeds' words are :class:`Word` objects, one per word, the same in every claim: a verdict never
depends on a bound chosen for one claim.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modbench.output import format_number

KINDS = ("approx", "at_most", "at_least", "equals")

ConfigFunction = Callable[[Mapping[str, Any], Mapping[str, Any]], float]


def percent(fraction: float) -> str:
    """0.1 → ``10 %``, 0.001 → ``0.1 %``: a tolerance as the report prints it."""
    return f"{fraction * 100:.3g} %"


@dataclass(frozen=True)
class Formula:
    """A target computed from the candidate's and the baseline's full configs, and how it reads (``1/s``)."""

    text: str
    compute: ConfigFunction


@dataclass(frozen=True)
class Word:
    """A word of the seeds and the bound modbench reads it as: ``fewer`` is a ratio ≤ 0.95.

    ``kind`` is ``at_most``, ``at_least`` or ``approx`` (for ``approx`` the bound is the relative
    tolerance, as in "about x").
    """

    name: str
    says: str
    kind: str
    bound: float

    def reads(self) -> str:
        """The check the word stands for, in words generated from the bound."""
        if self.kind == "approx":
            return f"within {percent(self.bound)} of x"
        sign = "≤" if self.kind == "at_most" else "≥"
        return f"ratio {sign} {format_number(self.bound)}"

    def expect(self) -> Expect:
        """The expectation the word alone makes (not for ``approx``, which needs a value: :func:`about`)."""
        if self.kind == "approx":
            raise ValueError(f"{self.name!r} needs a value: use about(value)")
        return Expect(self.kind, self.bound, word=self)


@dataclass(frozen=True)
class Expect:
    """A measured number's expectation: ``approx`` (within relative ``tolerance`` of the target),
    ``at_most`` / ``at_least`` a bound, or ``equals`` (within absolute ``tolerance``).

    The target is ``value``, or ``formula`` of the two sides' configs. ``word`` names the seed's
    word the expectation reads, when it reads one.
    """

    kind: str
    value: float = 0.0
    tolerance: float = 0.0
    formula: Formula | None = None
    word: Word | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown expectation kind {self.kind!r}; choose from {', '.join(KINDS)}")

    @property
    def text(self) -> str:
        """How the expectation reads, generated from its numbers: ``≤ 0.95 (fewer)``, ``≈ 1/s ± 10 %``."""
        target = self.formula.text if self.formula is not None else format_number(self.value)
        if self.kind == "approx":
            body = f"≈ {target} ± {percent(self.tolerance)}"
        elif self.kind == "equals":
            body = f"= {target}" + (f" ± {format_number(self.tolerance)}" if self.tolerance else "")
        else:
            body = f"{'≤' if self.kind == 'at_most' else '≥'} {target}"
        return f"{body} ({self.word.name})" if self.word is not None and self.kind != "approx" else body

    def target(self, candidate: Mapping[str, Any], baseline: Mapping[str, Any]) -> float:
        """The expected number for these configs (``value`` unless a formula computes it)."""
        return self.formula.compute(candidate, baseline) if self.formula is not None else self.value

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


def about(value: float | Formula, word: Word | None = None) -> Expect:
    """"About ``value``": within :data:`ABOUT`'s tolerance (or ``word``'s) of a value or a formula."""
    word = word or ABOUT
    if isinstance(value, Formula):
        return Expect("approx", tolerance=word.bound, formula=value, word=word)
    return Expect("approx", value, word.bound, word=word)


def at_most(bound: float) -> Expect:
    return Expect("at_most", bound)


def equals(value: float, tolerance: float = 0.0) -> Expect:
    return Expect("equals", value, tolerance)


def within(value: float, tolerance: float) -> Expect:
    """Within relative ``tolerance`` of ``value`` (a published figure, read to its printed precision)."""
    return Expect("approx", value, tolerance)


ABOUT = Word("about", "about x (约)", "approx", 0.10)
FEWER = Word("fewer", "reduces, fewer, lower (减少)", "at_most", 0.95)
FASTER = Word("faster", "faster, speeds up (提升速度)", "at_most", 0.95)
MARKEDLY = Word("markedly", "greatly, markedly (大大, 显著)", "at_most", 0.5)
FAR_FEWER = Word("far fewer", "far fewer, enormous (十分庞大)", "at_most", 0.1)
NEGLIGIBLE = Word("almost none", "almost none, minimal (几乎不, 极少)", "at_most", 1.05)
COMPARABLE = Word("comparable", "comparable (相当)", "at_most", 1.25)
NOT_FASTER = Word("not faster", "time hard to reduce (时间却很难减少)", "at_least", 0.95)

WORDS: tuple[Word, ...] = (ABOUT, FEWER, FASTER, MARKEDLY, FAR_FEWER, NEGLIGIBLE, COMPARABLE, NOT_FASTER)
"""Every word the claims read, in the order the report lists them."""
