"""The claims registry: each claim module registers its claims here, as catalog families register entries.

A leaf module: it imports no claim. ``modbench.claims`` imports :mod:`modbench.claims.library`,
whose modules call :func:`register`, so the registry is full once the package is imported.
"""

from __future__ import annotations

import re

from modbench.claims.schema import Claim
from modbench.errors import UsageError, closest

_CLAIMS: dict[str, Claim] = {}


def register(*claims: Claim) -> None:
    """Add claims; an id registered twice is an error (two modules claiming the same name)."""
    for claim in claims:
        if claim.id in _CLAIMS:
            raise ValueError(f"claim {claim.id!r} is registered twice")
        _CLAIMS[claim.id] = claim


def _order(claim: Claim) -> tuple[int, str]:
    """Numbers sort as 1, 1b, 2, …, 10, 11a: the integer part, then the letter."""
    match = re.match(r"(\d+)(.*)", claim.number)
    return (int(match.group(1)), match.group(2)) if match else (10**6, claim.number)


def all_claims() -> tuple[Claim, ...]:
    """Every registered claim, in number order."""
    return tuple(sorted(_CLAIMS.values(), key=_order))


def get_claims(ids: list[str] | None = None) -> tuple[Claim, ...]:
    """The claims with these ids (all when ``ids`` is empty); an unknown id names the closest ones."""
    claims = all_claims()
    if not ids:
        return claims
    by_id = {claim.id: claim for claim in claims}
    for claim_id in ids:
        if claim_id not in by_id:
            hints = closest(claim_id, by_id) or list(by_id)
            raise UsageError(f"unknown claim {claim_id!r}; choose from: {', '.join(hints)}")
    return tuple(by_id[claim_id] for claim_id in dict.fromkeys(ids))
