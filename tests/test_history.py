"""``modbench history``: reading asv's results and modbench's runs, finding the commit that regressed.

The fixture ``tests/fixtures/asv_results`` comes from a real ``asv run --record-samples`` over the
three commits of ``tests/asv_repo.py``'s test repository (its ``COMMITS`` file lists them, oldest
first): the second commit makes ``conv2d`` run its forward four times; ``ghost`` is the control.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modbench.environment import current_environment
from modbench.history import Thresholds, analyse, detect_changes, read_asv_results, read_store, write_report
from modbench.history.analysis import History
from modbench.history.table import COLUMNS, SeriesKey, git_order, series_tables
from modbench.records import Latency, Record, RecordKey, canonical_config
from modbench.results import RunWriter
from tests.conftest import CliResult

FIXTURE = Path(__file__).parent / "fixtures" / "asv_results"
COMMITS = (FIXTURE / "COMMITS").read_text().split()
SLOWED = COMMITS[1]
TIME_INFER = "bench_catalog.Infer.time_infer"
TRACK_PARAMS = "bench_catalog.Counts.track_params"
KEY = SeriesKey("test", "machine", "env", "bench", "entry=x")


def test_the_asv_reader_gives_one_row_per_benchmark_parameter_set_and_commit() -> None:
    frame = read_asv_results(FIXTURE)
    assert list(frame.columns) == COLUMNS
    assert set(frame["benchmark"]) == {TIME_INFER, TRACK_PARAMS}
    assert set(frame["params"]) == {"entry=conv2d", "entry=ghost"}
    assert set(frame["commit"]) == set(COMMITS)
    assert len(frame) == 2 * 2 * len(COMMITS)
    timings = frame[frame["benchmark"] == TIME_INFER]
    assert (timings["unit"] == "seconds").all() and (timings["kind"] == "time").all()
    assert all(len(samples) >= 10 for samples in timings["samples"])  # recorded with --record-samples
    assert (timings["iqr"] > 0).all()
    counts = frame[frame["benchmark"] == TRACK_PARAMS]
    assert (counts["unit"] == "parameters").all() and (counts["kind"] == "count").all()
    assert (counts["value"] > 0).all() and (counts["iqr"] == 0).all()


def test_each_series_is_one_table_in_commit_order() -> None:
    tables = dict(series_tables(read_asv_results(FIXTURE)))
    assert len(tables) == 4
    for key, table in tables.items():
        assert key.source == "asv" and key.machine == "fixture"
        assert list(table["commit"]) == COMMITS


def test_the_slowed_commit_is_flagged_and_nothing_else() -> None:
    history = analyse([read_asv_results(FIXTURE)], ["fixture"])
    assert [change.series.label() for change in history.changes] == [f"{TIME_INFER} (entry=conv2d)"]
    regression = history.regressions[0]
    assert regression.commit == SLOWED and regression.previous_commit == COMMITS[0]
    assert regression.ratio > 2  # the forward runs four times
    assert regression.test == "mann-whitney" and regression.p_value < 1e-6


def test_the_report_names_the_commit_and_plots_the_regression(tmp_path: Path) -> None:
    history = analyse([read_asv_results(FIXTURE)], ["fixture"])
    page = write_report(history, tmp_path)
    text = page.read_text()
    assert page == tmp_path / "history.md"
    assert "## Regressions (1)" in text and "## Improvements (0)" in text
    assert f"Started at `{SLOWED[:8]}`" in text
    plots = list((tmp_path / "history").glob("*.png"))
    assert [plot.name for plot in plots] == ["bench_catalog.Infer.time_infer-entry=conv2d.png"]
    assert plots[0].read_bytes().startswith(b"\x89PNG")
    assert f"(history/{plots[0].name})" in text


def test_the_command_prints_the_regression_and_writes_the_report(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = cli("history", "--asv-results", str(FIXTURE), "--out", str(tmp_path), "--format", "csv")
    assert result.code == 1, result.err  # a regression fails the gate, as asv continuous does
    rows = pd.read_csv(io.StringIO(result.out), dtype=str)
    assert list(rows["started_at"]) == [SLOWED[:8]]
    assert list(rows["params"]) == ["entry=conv2d"]
    assert "1 regression(s)" in result.err
    assert (tmp_path / "history.md").is_file()
    reported = cli("history", "--asv-results", str(FIXTURE), "--out", str(tmp_path), "--no-fail")
    assert reported.code == 0 and "1 regression(s)" in reported.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--asv-results", "no/such/dir"), "is not a directory"),
        (("--alpha", "1.5"), "--alpha must be between 0 and 1"),
        (("--min-effect", "-1"), "non-negative"),
        (("--noise-factor", "-1"), "--noise-factor must be 0 or more"),
    ],
)
def test_bad_arguments_are_one_line_errors(cli: Callable[..., CliResult], args: Sequence[str], needle: str) -> None:
    result = cli("history", *args)
    assert result.code == 2 and needle in result.err and "Traceback" not in result.err


def test_no_results_at_all_is_a_usage_error(cli: Callable[..., CliResult], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("history")
    assert result.code == 2 and "no results to read" in result.err


def _series(values: Sequence[float], kind: str = "time", iqr: Sequence[float] | None = None,
            samples: Sequence[Sequence[float] | None] | None = None, slowdown: Sequence[float | None] | None = None,
            noisy: Sequence[bool | None] | None = None, params: str = "entry=x") -> pd.DataFrame:
    """A series table with one commit per value (commits c0, c1, ...)."""
    return pd.DataFrame({
        "source": "test", "machine": "machine", "env": "env", "benchmark": "bench", "params": params,
        "kind": kind, "unit": "seconds",
        "commit": [f"c{i}" for i in range(len(values))],
        "date": pd.date_range("2026-01-01", periods=len(values), freq="h", tz="UTC"),
        "value": list(values),
        "iqr": list(iqr) if iqr is not None else [0.0] * len(values),
        "samples": list(samples) if samples is not None else [None] * len(values),
        "slowdown": list(slowdown) if slowdown is not None else [None] * len(values),
        "noisy": list(noisy) if noisy is not None else [None] * len(values),
    }, columns=COLUMNS)


def _noisy(levels: Sequence[float], spread: float = 0.03, n: int = 20, seed: int = 0) -> pd.DataFrame:
    """Timings whose commit ``i`` has ``n`` samples around ``levels[i]`` (relative spread ``spread``)."""
    rng = np.random.default_rng(seed)
    samples = [tuple(level * (1 + spread * rng.standard_normal(n))) for level in levels]
    medians = [float(np.median(s)) for s in samples]
    iqrs = [float(np.subtract(*np.percentile(s, [75, 25]))) for s in samples]
    return _series(medians, iqr=iqrs, samples=samples)


def test_a_step_in_noisy_samples_is_found_at_its_first_commit() -> None:
    changes = detect_changes(_noisy([1.0] * 5 + [1.3] * 5), KEY)
    assert [(c.commit, c.previous_commit, c.test) for c in changes] == [("c5", "c4", "mann-whitney")]
    assert changes[0].regression and changes[0].ratio == pytest.approx(1.3, rel=0.05)


def test_noise_alone_is_not_a_change() -> None:
    for seed in range(5):
        assert detect_changes(_noisy([1.0] * 10, spread=0.05, seed=seed), KEY) == []


def test_a_real_but_small_step_is_below_the_minimum_effect() -> None:
    series = _noisy([1.0] * 5 + [1.04] * 5, spread=0.005)
    assert detect_changes(series, KEY) == []
    assert len(detect_changes(series, KEY, Thresholds(min_effect=0.02))) == 1


def test_a_transient_slowdown_is_a_regression_then_an_improvement() -> None:
    changes = detect_changes(_noisy([1.0] * 4 + [2.0] * 2 + [1.0] * 4), KEY)
    assert [(c.commit, c.regression) for c in changes] == [("c4", True), ("c6", False)]


def test_counts_are_exact_so_any_change_counts() -> None:
    changes = detect_changes(_series([100, 100, 101, 101, 90], kind="count"), KEY)
    assert [(c.commit, c.before, c.after, c.test) for c in changes] == [("c2", 100, 101, "exact"), ("c4", 101, 90, "exact")]


def test_without_samples_the_interquartile_bands_decide() -> None:
    apart = detect_changes(_series([1.0, 1.0, 1.5, 1.5], iqr=[0.1] * 4), KEY)
    assert [(c.commit, c.test, c.p_value) for c in apart] == [("c2", "iqr-bands", None)]
    assert detect_changes(_series([1.0, 1.0, 1.5, 1.5], iqr=[0.8] * 4), KEY) == []


def test_a_step_within_the_series_own_wander_between_commits_is_not_a_regression() -> None:
    rng = np.random.default_rng(2)
    wander = [float(v) for v in np.exp(rng.normal(0, 0.15, 10))]  # 15 % from run to run, whatever the code
    stepped = wander[:5] + [1.25 * v for v in wander[5:]]
    assert detect_changes(_series(stepped, iqr=[0.01] * 10), KEY) == []
    assert detect_changes(_series(stepped, iqr=[0.01] * 10), KEY, Thresholds(noise_factor=0)) != []
    steady = [1.0, 1.01, 0.99, 1.0, 1.01, 1.25, 1.26, 1.24, 1.25, 1.26]
    [change] = detect_changes(_series(steady, iqr=[0.01] * 10), KEY)
    assert change.commit == "c5" and change.noise is not None and change.noise < 0.02


def test_noisy_measurements_are_left_out_of_a_timing_verdict() -> None:
    values = [1.0, 1.0, 1.0, 1.8, 1.0, 1.0]
    assert len(detect_changes(_series(values, iqr=[0.01] * 6), KEY)) == 2  # a spike: up, then down
    marked = detect_changes(_series(values, iqr=[0.01] * 6, noisy=[False, False, False, True, False, False]), KEY)
    assert marked == []


def test_a_slowdown_the_sentinel_saw_is_divided_out() -> None:
    values, slowdown = [1.0, 1.0, 1.0, 1.12, 1.12, 1.12], [0.0, 0.01, 0.0, 0.12, 0.11, 0.12]
    assert len(detect_changes(_series(values, iqr=[0.01] * 6), KEY)) == 1
    assert detect_changes(_series(values, iqr=[0.01] * 6, slowdown=slowdown), KEY) == []
    real = detect_changes(_series([1.0, 1.0, 1.0, 1.5, 1.5, 1.5], iqr=[0.01] * 6, slowdown=slowdown), KEY)
    assert [c.commit for c in real] == ["c3"] and real[0].after == 1.5 and "sentinel" in real[0].basis
    assert real[0].judged_ratio == pytest.approx(1.5 / 1.12, rel=0.01)


def test_a_commit_at_which_every_timing_moved_together_is_machine_drift() -> None:
    def rerun(values: list[float], params: str) -> pd.DataFrame:  # two runs per commit: the steps are confirmed
        return _series(values, iqr=[0.01 * v for v in values], samples=[(v, v * 1.002) for v in values], params=params)

    series = [rerun([1.0 * k, 1.8 * k], f"entry={k}") for k in range(1, 7)]
    alone = analyse([series[0]], ["one"])
    assert [c.commit for c in alone.regressions] == ["c1"]  # one series alone cannot tell
    together = analyse(series, ["six"])
    assert together.regressions == []
    slowed = series[:5] + [rerun([6.0, 6 * 1.8 * 1.5], "entry=6")]
    [regression] = analyse(slowed, ["six, one slowed"]).regressions
    assert regression.series.params == "entry=6" and regression.judged_ratio == pytest.approx(1.5, rel=0.1)
    assert "machine drift" in regression.basis


def test_git_history_orders_commits_when_it_knows_them_all(tmp_path: Path) -> None:
    table = _series([1.0, 2.0, 3.0])
    reversed_order = {"c2": 0, "c1": 1, "c0": 2}
    [(_, ordered)] = series_tables(table, reversed_order)
    assert list(ordered["commit"]) == ["c2", "c1", "c0"]
    [(_, by_date)] = series_tables(table, {"c2": 0})  # c0, c1 unknown to git: dates decide
    assert list(by_date["commit"]) == ["c0", "c1", "c2"]
    assert git_order(tmp_path) == {}  # not a git repository


def _record(commit: str, hour: int, latency_ms: float, params: int = 100) -> Record:
    env = dataclasses.replace(current_environment("cpu"), git_commit=commit, machine_id="m1",
                              timestamp=f"2026-01-01T{hour:02d}:00:00+00:00")
    key = RecordKey("linear", canonical_config({"in_features": 4}), 1, "cpu", "fp32", "infer", 1)
    samples_ms = (latency_ms - 0.02, latency_ms, latency_ms + 0.02)  # median latency_ms, IQR 0.02 ms
    return Record(key=key, env=env, params=params, latency=Latency(tuple(t / 1e3 for t in samples_ms)))


def test_modbench_runs_at_several_commits_make_a_history(tmp_path: Path) -> None:
    for hour, (commit, latency) in enumerate((("a" * 40, 1.0), ("b" * 40, 1.01), ("c" * 40, 2.0))):
        with RunWriter.create(tmp_path, plan=None) as writer:
            writer.append(_record(commit, hour, latency))
    with RunWriter.create(tmp_path, plan=None) as writer:
        failed = _record("d" * 40, 3, 9.0)
        writer.append(dataclasses.replace(failed, status="failed"))  # failed records are left out
    frame = read_store(tmp_path)
    assert set(frame["benchmark"]) == {"latency_ms", "params"}
    assert set(frame["commit"]) == {"a" * 40, "b" * 40, "c" * 40}
    assert frame["params"].iloc[0].startswith("entry=linear, batch=1, mode=infer, device=cpu")
    history = analyse([frame], ["store"])
    assert [(c.series.benchmark, c.commit, c.test) for c in history.changes] == [("latency_ms", "c" * 40, "iqr-bands")]


def test_the_store_carries_the_sentinel_and_a_noisy_commit_is_not_a_regression(tmp_path: Path) -> None:
    runs = (("a" * 40, 1.0, 0.01, False), ("b" * 40, 1.02, 0.0, False), ("c" * 40, 1.9, 0.6, True))
    for hour, (commit, latency, slowdown, noisy) in enumerate(runs):
        with RunWriter.create(tmp_path, plan=None) as writer:
            writer.append(dataclasses.replace(_record(commit, hour, latency), sentinel_slowdown=slowdown, noisy=noisy))
    with RunWriter.create(tmp_path, plan=None) as writer:  # a clean repeat at c: the clean run speaks for c
        writer.append(dataclasses.replace(_record("c" * 40, 4, 1.01), sentinel_slowdown=0.02, noisy=False))
    frame = read_store(tmp_path)
    latency = frame[frame["benchmark"] == "latency_ms"].set_index("commit")
    assert latency.loc["c" * 40, "noisy"] == False and latency.loc["c" * 40, "value"] == pytest.approx(1.01)  # noqa: E712
    assert latency.loc["a" * 40, "slowdown"] == pytest.approx(0.01)
    assert analyse([frame], ["store"]).regressions == []
    with RunWriter.create(tmp_path, plan=None) as writer:  # only a noisy run at d: left out of the verdict
        writer.append(dataclasses.replace(_record("d" * 40, 5, 3.0), sentinel_slowdown=0.9, noisy=True))
    frame = read_store(tmp_path)
    assert frame.set_index(["benchmark", "commit"]).loc[("latency_ms", "d" * 40), "noisy"] == True  # noqa: E712
    assert analyse([frame], ["store"]).regressions == []


def test_a_timing_step_with_one_run_per_commit_and_few_commits_is_unconfirmed(tmp_path: Path) -> None:
    def history_of(runs_per_commit: int) -> History:
        directory = tmp_path / f"runs{runs_per_commit}"
        for hour, (commit, latency) in enumerate((("a" * 40, 1.0), ("b" * 40, 1.3))):
            for repeat in range(runs_per_commit):
                with RunWriter.create(directory, plan=None) as writer:
                    writer.append(_record(commit, 2 * hour + repeat, latency + 0.01 * repeat))
        return analyse([read_store(directory)], ["store"])

    once = history_of(1)  # +30 % with tight IQRs, but nothing shows how far a run moves on its own
    assert once.regressions == [] and [c.commit for c in once.unconfirmed] == ["b" * 40]
    twice = history_of(2)  # repeated runs at both commits measure that spread: the step is confirmed
    assert [c.commit for c in twice.regressions] == ["b" * 40] and twice.unconfirmed == []


def test_an_unconfirmed_step_does_not_fail_the_gate_and_is_listed(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    for hour, (commit, latency) in enumerate((("a" * 40, 1.0), ("b" * 40, 1.3))):
        with RunWriter.create(tmp_path / "runs", plan=None) as writer:
            writer.append(_record(commit, hour, latency))
    result = cli("history", "--results-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert "1 timing step(s) unconfirmed" in result.err and "0 regression(s)" in result.err
    assert "## Unconfirmed timing steps (1)" in (tmp_path / "out" / "history.md").read_text()
