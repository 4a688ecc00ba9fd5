"""Statistics on synthetic samples: intervals, pairing and the undecided rule (no timing involved)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modbench.stats import RatioEstimate, block_length, decide, median_ci, paired_ratio, unpaired_ratio


def drifting_rounds(rounds: int, true_ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two sides sharing a machine whose speed drifts by up to 4x between rounds, with 2 % own noise."""
    rng = np.random.default_rng(seed)
    drift = np.exp(rng.uniform(0, math.log(4), rounds))
    denominator = 1e-3 * drift * rng.lognormal(0, 0.02, rounds)
    numerator = true_ratio * 1e-3 * drift * rng.lognormal(0, 0.02, rounds)
    return numerator, denominator


def test_the_paired_ratio_is_the_median_of_the_per_round_ratios() -> None:
    numerator = [2.0, 3.0, 10.0, 4.0, 5.0]
    denominator = [1.0, 1.0, 2.0, 1.0, 2.0]
    estimate = paired_ratio(numerator, denominator)
    assert estimate.ratio == pytest.approx(float(np.median([2.0, 3.0, 5.0, 4.0, 2.5])))
    assert estimate.rounds == 5 and estimate.paired
    assert estimate.low <= estimate.ratio <= estimate.high
    assert 2.0 <= estimate.low and estimate.high <= 5.0  # a bootstrap median never leaves the range of the values


def test_pairing_cancels_drift_that_an_unpaired_ratio_cannot() -> None:
    covered = 0
    for seed in range(100):
        numerator, denominator = drifting_rounds(15, 0.5, seed=seed)
        paired = paired_ratio(numerator, denominator, seed=seed)
        unpaired = unpaired_ratio(numerator, denominator, seed=seed)
        covered += paired.low <= 0.5 <= paired.high
        assert paired.relative_half_width < 0.05  # 2 % noise per side, 4x drift cancelled inside each round
        assert not unpaired.paired
        assert unpaired.high - unpaired.low > 5 * (paired.high - paired.low)
    assert covered >= 85


def test_the_interval_covers_the_true_median_about_as_often_as_claimed() -> None:
    rng = np.random.default_rng(11)
    true_median = 2.0  # median of a lognormal with mu = log(2)
    trials = 300
    covered = 0
    for trial in range(trials):
        sample = rng.lognormal(math.log(true_median), 0.3, 40)
        low, high = median_ci(sample, seed=trial)
        covered += low <= true_median <= high
    assert 0.88 <= covered / trials <= 0.99


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    sample = np.random.default_rng(5).normal(10, 1, 50)
    low_90, high_90 = median_ci(sample, confidence=0.90)
    low_99, high_99 = median_ci(sample, confidence=0.99)
    assert low_99 <= low_90 < high_90 <= high_99


def test_the_same_seed_gives_the_same_interval_and_another_seed_may_not() -> None:
    numerator, denominator = drifting_rounds(9, 1.3, seed=1)
    assert paired_ratio(numerator, denominator, seed=4) == paired_ratio(numerator, denominator, seed=4)
    intervals = {(e.low, e.high) for e in (paired_ratio(numerator, denominator, seed=s, resamples=50) for s in range(5))}
    assert len(intervals) > 1


def test_fewer_than_two_values_give_an_unbounded_interval_that_decides_nothing() -> None:
    estimate = paired_ratio([1.0], [2.0])
    assert estimate.ratio == 0.5 and estimate.low == 0.0 and math.isinf(estimate.high)
    assert decide(estimate, 0.9) == "undecided" and decide(estimate, 0.1, below=False) == "undecided"
    assert median_ci([3.0]) == (-math.inf, math.inf)
    assert unpaired_ratio([1.0, 2.0], [3.0]).high == math.inf


@pytest.mark.parametrize(
    ("low", "high", "bound", "below", "verdict"),
    [
        (0.4, 0.6, 0.7, True, "holds"),
        (0.4, 0.7, 0.7, True, "holds"),  # "ratio <= 0.7" holds with the whole interval at or under it
        (0.6, 0.8, 0.7, True, "undecided"),
        (0.75, 0.8, 0.7, True, "refuted"),
        (1.2, 1.5, 1.1, False, "holds"),
        (1.0, 1.5, 1.1, False, "undecided"),
        (0.8, 1.0, 1.1, False, "refuted"),
    ],
)
def test_decide_needs_the_whole_interval_on_one_side(low: float, high: float, bound: float, below: bool, verdict: str) -> None:
    estimate = RatioEstimate(ratio=(low + high) / 2, low=low, high=high, rounds=7, paired=True)
    assert decide(estimate, bound, below=below) == verdict


def test_a_true_saving_under_drift_is_never_refuted() -> None:
    verdicts = set()
    for seed in range(100):
        numerator, denominator = drifting_rounds(9, 0.56, seed=seed)  # truth 7 % under the claimed bound
        verdicts.add(decide(paired_ratio(numerator, denominator, seed=seed), 0.6))
    assert "refuted" not in verdicts and "holds" in verdicts


def test_to_dict_round_trips_including_an_unbounded_end() -> None:
    for estimate in (paired_ratio([1.0, 1.1, 0.9], [2.0, 2.0, 2.1]), paired_ratio([1.0], [2.0])):
        data = estimate.to_dict()
        assert all(value is None or not (isinstance(value, float) and math.isinf(value)) for value in data.values())
        assert RatioEstimate.from_dict(data) == estimate


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paired_ratio([1.0, 2.0], [1.0]), "differ in length"),
        (lambda: paired_ratio([], []), "empty"),
        (lambda: paired_ratio([1.0, 0.0], [1.0, 1.0]), "must be positive"),
        (lambda: unpaired_ratio([1.0, math.nan], [1.0]), "NaN"),
        (lambda: median_ci([1.0, 2.0], confidence=1.0), "confidence"),
        (lambda: median_ci([1.0, 2.0], resamples=0), "resamples"),
        (lambda: decide(RatioEstimate(1.0, 0.9, 1.1, 5, True), math.nan), "bound"),
    ],
)
def test_bad_input_is_refused_with_the_reason(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def autocorrelated_ratios(rounds: int, lag_one: float, seed: int) -> np.ndarray:
    """Per-round ratios around 1.0 whose noise persists between rounds (an AR(1) series, 5 % scale)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=rounds + 50)
    series = np.zeros_like(noise)
    for i in range(1, noise.size):
        series[i] = lag_one * series[i - 1] + noise[i]
    return 1.0 + 0.05 * series[50:]


def test_block_length_grows_as_the_cube_root_from_forty_values() -> None:
    assert [block_length(n) for n in (1, 10, 39)] == [1, 1, 1]
    assert [block_length(n) for n in (40, 64, 100, 125)] == [4, 4, 5, 5]


def test_the_interval_keeps_its_coverage_when_rounds_depend_on_their_neighbours() -> None:
    # Resampling single rounds covers the true median about 80 % of the time on these series;
    # blocks of consecutive rounds bring it back near the nominal 95 %.
    trials = 200
    covered = 0
    for seed in range(trials):
        ratios = autocorrelated_ratios(100, 0.5, seed)
        estimate = paired_ratio(ratios, np.ones_like(ratios), resamples=1000, seed=seed)
        covered += estimate.low <= 1.0 <= estimate.high
    assert covered / trials >= 0.85
