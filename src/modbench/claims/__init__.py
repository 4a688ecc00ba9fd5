"""Claims as modules, checked by measurement: each claim module registers its claims (``library``);
``verdict`` turns a results table into two verdicts per claim without measuring; ``check``
measures what the claims need through the runner and then judges them.
"""

from modbench.claims import library  # noqa: F401  (registers every claim)
from modbench.claims.registry import all_claims, get_claims
from modbench.claims.schema import Claim
from modbench.claims.verdict import VERDICTS, ClaimVerdict, judge

__all__ = ["VERDICTS", "Claim", "ClaimVerdict", "all_claims", "get_claims", "judge"]
