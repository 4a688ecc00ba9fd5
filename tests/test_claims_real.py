"""The real claims: their sources are quoted exactly, their entries build, and their params and MACs
verdicts, which do not depend on the machine, come out as asserted here.

Only parameters and operation counts are measured (in this process, about half a minute for
every side of every claim); latency verdicts depend on the machine and are in ``reports/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modbench.claims import Claim, ClaimVerdict, all_claims
from modbench.claims.check import check_claims, claim_plan
from modbench.claims.library.papers import ROW_VERDICTS
from modbench.claims.sides import side_record_key
from modbench.claims.sweeps import GHOST_SEED_EXAMPLE, GHOST_SWEEP, ghost_speedup

CLAIMS = all_claims()

SEEDS = Path(os.environ.get("MODBENCH_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds"))
"""The seed articles, beside the checkout (or where ``MODBENCH_SEEDS`` says)."""
COUNTS = ("params", "macs", "flops")


def test_claim_ids_are_unique_and_numbered_as_in_the_spec() -> None:
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
    numbers = {c.number.rstrip("abcd") for c in CLAIMS if c.seed is not None}
    assert numbers == {str(n) for n in range(1, 12)}


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seed articles are not at {SEEDS}")
@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.seed is not None], ids=lambda c: c.id)
def test_quotes_are_verbatim_from_the_seed(claim: Claim) -> None:
    assert claim.seed is not None
    text = (SEEDS / claim.seed.file).read_text(encoding="utf-8")
    for quote in claim.quotes:
        assert quote.original in text
        assert quote.english


def test_every_claim_names_its_source_rule_and_sides() -> None:
    for claim in CLAIMS:
        assert (claim.quotes and claim.seed) or (claim.paper and claim.table), claim.id
        assert claim.comparisons or claim.growth or claim.probes, claim.id
        for side in claim.sides():
            side_record_key(side)  # resolves against the catalog: the entry exists and the config is valid


def test_requests_ask_only_for_what_checks_read() -> None:
    # DropBlock in eval mode: counted alone (params, MACs, FLOPs) and timed against one ReLU, in one pair task
    [pair] = [p for p in claim_plan(CLAIMS).pairs if any(s.entry == "dropblock" and s.mode == "infer" for s in p.sides)]
    assert [side.entry for side in pair.sides] == ["relu", "dropblock"]  # the baseline is the pair's reference
    assert pair.metrics == frozenset({"params", "flops", "latency"})


@pytest.fixture(scope="module")
def verdicts() -> dict[str, ClaimVerdict]:
    run = check_claims(CLAIMS, metrics=("params", "flops"), isolate=False)
    assert not run.outcome.failures, [r.error for r in run.outcome.failures]
    return {v.claim.id: v for v in run.verdicts}


def outcomes(verdict: ClaimVerdict, label: str) -> list[str]:
    return [c.outcome for c in verdict.checks if c.label == label]


def measured(verdict: ClaimVerdict, comparison: str, label: str) -> float:
    (value,) = [c.measured for c in verdict.checks if c.comparison.startswith(comparison) and c.label == label]
    assert value is not None
    return value


def test_count_checks_are_all_decided(verdicts: dict[str, ClaimVerdict]) -> None:
    for verdict in verdicts.values():
        for check in verdict.checks:
            if check.metric in COUNTS or check.kind == "probe":
                assert check.measured is not None, (verdict.claim.id, check.label, check.note)


def test_ghost_macs_follow_eq4_everywhere_and_1_over_s_where_the_paper_says(verdicts: dict[str, ClaimVerdict]) -> None:
    ghost = verdicts["ghost-vs-conv"]
    eq4 = [c for c in ghost.checks if c.label == "MACs ratio vs Eq. 4"]
    assert [c.agrees for c in eq4] == [True] * len(GHOST_SWEEP) and not any(c.votes for c in eq4)
    centre = measured(ghost, "c=64 n=128 k=3 s=2 d=3 hw=56", "MACs ratio")
    assert centre == pytest.approx((64 * 64 * 9 + 64 * 9) / (64 * 128 * 9))  # c·m·k² + m·d² over c·n·k²
    within = [abs(ghost_speedup(p.c, p.k, p.s, p.d) - p.s) / p.s <= 0.1 for p in GHOST_SWEEP]
    assert outcomes(ghost, "MACs ratio") == ["holds" if ok else "refuted" for ok in within]
    refuted = [p.label() for p, ok in zip(GHOST_SWEEP, within) if not ok]
    assert refuted == [
        "c=32 n=64 k=1 s=2 d=3 hw=32",
        "c=64 n=128 k=1 s=2 d=3 hw=56",
        "c=64 n=128 k=1 s=2 d=5 hw=56",
        "c=16 n=128 k=1 s=2 d=3 hw=56",
        "c=24 n=72 k=1 s=2 d=3 hw=56",
    ]
    assert outcomes(ghost, "params ratio") == outcomes(ghost, "MACs ratio")


def test_ghost_is_markedly_cheaper_only_from_s_3(verdicts: dict[str, ClaimVerdict]) -> None:
    """At s = 2 the primary convolution alone takes half the conv's MACs, so "markedly" (≤ 1/2) needs s ≥ 3."""
    assert outcomes(verdicts["ghost-markedly-lower"], "MACs ratio") == ["holds" if p.s >= 3 else "refuted" for p in GHOST_SWEEP]


def test_the_seeds_own_ghost_example_as_measured(verdicts: dict[str, ClaimVerdict]) -> None:
    """Seed 004's GhostModule(32, 64) at k=1, s=2, d=3 on 32×32, against the 1×1 conv it replaces."""
    p = GHOST_SEED_EXAMPLE
    m = -(-p.n // p.s)
    ghost = verdicts["ghost-vs-conv"]
    macs = (p.c * m * p.k**2 + m * (p.s - 1) * p.d**2) / (p.c * p.n * p.k**2)
    params = (p.c * m * p.k**2 + 2 * m + m * (p.s - 1) * p.d**2 + 2 * m * (p.s - 1)) / (p.c * p.n * p.k**2 + 2 * p.n)
    assert measured(ghost, p.label(), "MACs ratio") == pytest.approx(macs) == pytest.approx(0.641, abs=5e-4)
    assert measured(ghost, p.label(), "params ratio") == pytest.approx(params) == pytest.approx(0.662, abs=5e-4)


def test_ghostnet_saves_30_percent_against_mobilenetv3_1x_only(verdicts: dict[str, ClaimVerdict]) -> None:
    ghostnet = verdicts["ghostnet-vs-mobilenetv3"]
    assert outcomes(ghostnet, "MACs ratio") == ["holds", "refuted"]
    assert measured(ghostnet, "GhostNet 1.0× vs MobileNetV3-Large 1.0×", "MACs ratio") == pytest.approx(0.652, abs=0.005)
    assert measured(ghostnet, "GhostNet 1.0× vs MobileNetV3-Large 0.75×", "MACs ratio") == pytest.approx(0.913, abs=0.005)


def test_cbam_adds_ten_percent_parameters_not_a_tenth_of_one(verdicts: dict[str, ClaimVerdict]) -> None:
    cbam = verdicts["cbam-overhead"]
    assert outcomes(cbam, "params ratio") == ["refuted"]
    assert measured(cbam, "ResNet-50 + CBAM", "params ratio") == pytest.approx(1.0985, abs=0.001)
    assert outcomes(cbam, "MACs ratio") == ["holds"]
    assert outcomes(cbam, "FLOPs ratio (with element-wise)") == ["holds"]


@pytest.mark.parametrize(
    ("claim_id", "label", "expected"),
    [
        ("nin-head", "params ratio", ["holds"]),
        ("coordconv-overhead", "params ratio", ["refuted", "refuted", "holds"]),
        ("coordconv-overhead", "MACs ratio", ["refuted", "refuted", "holds"]),
        ("swish-vs-relu", "FLOPs ratio", ["refuted", "refuted", "context", "context"]),
        ("dropblock-free-at-inference", "params", ["holds"]),
        ("dropblock-free-at-inference", "MACs", ["holds"]),
        ("dropblock-free-at-inference", "FLOPs", ["holds"]),
        ("cnn-gmlp-params", "params ratio", ["refuted"]),
        ("s2mlp-vs-conv", "MACs ratio", ["refuted", "holds", "refuted", "refuted"]),
        ("inception-reductions", "params ratio", ["holds"]),
        ("inception-reductions", "MACs ratio", ["holds"]),
        ("conv-vs-fc", "params ratio", ["holds", "holds"]),
        ("conv-vs-fc", "MACs ratio", ["holds", "holds"]),
        ("googlenet-average-pool-head", "params ratio", ["holds"]),
        ("googlenet-auxiliary-classifiers", "params ratio", ["holds"]),
    ],
)
def test_count_verdicts(verdicts: dict[str, ClaimVerdict], claim_id: str, label: str, expected: list[str]) -> None:
    assert outcomes(verdicts[claim_id], label) == expected


def test_gmlp_parameters_grow_with_the_square_of_the_sequence(verdicts: dict[str, ClaimVerdict]) -> None:
    gmlp = verdicts["gmlp-long-sequences"]
    (params,) = [c for c in gmlp.checks if c.label == "params vs seq_len"]
    assert params.measured == pytest.approx(2.0, abs=0.05) and params.outcome == "context"
    assert gmlp.cost == "out of scope"


def test_coordconv_macs_ratio_is_one_plus_two_over_c(verdicts: dict[str, ClaimVerdict]) -> None:
    for check in [c for c in verdicts["coordconv-overhead"].checks if c.label == "MACs ratio"]:
        c = int(check.comparison.split(": ")[1].split(" ")[0])
        assert check.measured == pytest.approx(1 + 2 / c)


def test_a_1x1_conv_is_a_per_pixel_linear(verdicts: dict[str, ClaimVerdict]) -> None:
    probe = verdicts["nin-1x1-conv-is-fc"]
    assert probe.cost == "holds"
    assert {c.metric: c.measured for c in probe.checks}["conv1x1_linear_param_diff"] == 0


def test_every_paper_row_reproduces_or_says_why_not(verdicts: dict[str, ClaimVerdict]) -> None:
    rows = [row for v in verdicts.values() if v.claim.seed is None for e in v.exhibits for row in e.rows]
    assert rows and {row["verdict"] for row in rows} <= set(ROW_VERDICTS) - {"unmeasured"}
    for row in rows:
        if row["verdict"] == "differs":
            assert row["why"], row
    differs = {(row["entry"], row["config"]) for row in rows if row["verdict"] == "differs"}
    assert differs == {
        ("ghost_resnet50", "ratio=2"), ("ghost_resnet50", "ratio=4"),  # printed as ResNet-50's weights / s
        ("gmlp_ti", "default"), ("gmlp_s", "default"),  # printed rounded: 5.87M as 6M, 19.4M as 20M
        ("s2mlpv2_medium", "default"),  # Algorithm 1's split attention; the abstract's 55M needs C/4
    }
