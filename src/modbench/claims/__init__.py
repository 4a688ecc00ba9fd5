"""Claims as data, checked by measurement: definitions, verdicts, and the checker that measures them.

``definitions`` holds the claims of SPEC §4 (quoted sources, comparisons, expectations, rules);
``verdict`` turns a results table into verdicts without measuring; ``check`` measures what the
claims need through the runner and then judges them.
"""

from modbench.claims.definitions import CLAIMS, get_claims
from modbench.claims.schema import VERDICTS, Claim
from modbench.claims.verdict import ClaimVerdict, judge

__all__ = ["CLAIMS", "VERDICTS", "Claim", "ClaimVerdict", "get_claims", "judge"]
