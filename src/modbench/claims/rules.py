"""A claim's rule in words, generated from its checks, so the text and the test cannot drift apart."""

from __future__ import annotations

from modbench.claims.schema import Claim


def rule_lines(claim: Claim) -> tuple[str, ...]:
    """One line per voting check: what is measured, what it must be, where, and how it could fail.

    Checks repeated over several comparisons (a sweep) are one line with the count.
    """
    if claim.scope is not None:
        return (f"Out of scope: {claim.scope}",)
    seen: dict[tuple[str, str, str], list[str]] = {}
    for comparison in claim.comparisons:
        for check in comparison.checks:
            if check.votes and check.expect is not None:
                key = (check.label, check.expect.text, check.could_fail or "")
                seen.setdefault(key, []).append(comparison.label)
    lines = []
    total = len(claim.comparisons)
    for (label, expected, could_fail), where in seen.items():
        place = where[0] if len(where) == 1 else ("at every comparison" if len(where) == total else f"at {len(where)} of {total} comparisons")
        lines.append(f"{label} {expected} ({place}); refuted if {could_fail}")
    for growth in claim.growth:
        if growth.votes and growth.expect is not None:
            lines.append(f"{growth.label}: growth exponent {growth.expect.text}; refuted if {growth.could_fail}")
    for probe in claim.probes:
        lines.append(f"{probe.label} {probe.expect.text}; refuted if {probe.could_fail}")
    return tuple(lines)
