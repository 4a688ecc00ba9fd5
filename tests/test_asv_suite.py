"""The asv suite (``benchmarks/``): it imports, covers the catalog, runs in-process, and passes ``asv check``.

The end-to-end test builds a test repository (``tests/asv_repo.py``), runs asv over its commits in
a fresh virtualenv and checks that ``modbench history`` and ``asv continuous`` both flag the commit
that made an entry slower. It takes two to four minutes (building a 1.3 GB virtualenv with packages
from PyPI), so it runs only when ``MODBENCH_ASV_E2E=1`` is set (docs/asv.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_catalog
from modbench.catalog import list_entries
from modbench.history import analyse, read_asv_results
from modbench.history.table import git_order
from modbench.metrics.registry import ASV_TRACKS
from tests.asv_repo import BENCHMARKS, MACHINE, SLOWED_ENTRY, build_test_repo, run_asv_over_commits

ROOT = Path(__file__).resolve().parents[1]
CHEAP = "linear"


def test_the_suites_track_benchmarks_are_the_metrics_the_registry_declares_for_asv() -> None:
    tracks = {name: getattr(bench_catalog.Counts, name) for name in dir(bench_catalog.Counts) if name.startswith("track_")}
    assert set(tracks) == set(ASV_TRACKS)
    assert {name: track.unit for name, track in tracks.items()} == {name: metric.unit for name, metric in ASV_TRACKS.items()}


def test_the_suite_covers_the_catalog_exactly() -> None:
    light = tuple(name for name in list_entries() if name not in bench_catalog.HEAVY_MODELS)
    heavy = tuple(name for name in list_entries() if name in bench_catalog.HEAVY_MODELS)
    message = (
        "benchmarks/bench_catalog.py's snapshot of the catalog is out of date; paste\n"
        f"LIGHT_ENTRIES = {light!r}\nHEAVY_MODELS = {heavy!r}"
    )
    assert bench_catalog.LIGHT_ENTRIES == light, message
    assert bench_catalog.HEAVY_MODELS == heavy, message
    assert set(bench_catalog.ALL_ENTRIES) == set(list_entries())
    assert set(list_entries(family="model")) >= set(heavy)


@pytest.mark.parametrize(
    ("suite", "entries"),
    [
        (bench_catalog.Infer, bench_catalog.LIGHT_ENTRIES),
        (bench_catalog.TrainStep, bench_catalog.LIGHT_ENTRIES),
        (bench_catalog.InferHeavy, bench_catalog.HEAVY_MODELS),
        (bench_catalog.TrainStepHeavy, bench_catalog.HEAVY_MODELS),
        (bench_catalog.Counts, bench_catalog.ALL_ENTRIES),
    ],
)
def test_params_come_from_the_catalog(suite: type, entries: tuple[str, ...]) -> None:
    assert suite.params == [entries]
    assert suite.param_names == ["entry"]


def test_every_track_has_a_unit() -> None:
    tracks = [name for name in dir(bench_catalog.Counts) if name.startswith("track_")]
    assert sorted(tracks) == ["track_flops", "track_macs", "track_params", "track_peak_bytes"]
    for name in tracks:
        assert getattr(bench_catalog.Counts, name).unit


def _run(suite: type, prefix: str | tuple[str, ...]) -> dict[str, object]:
    """Set up ``suite`` for the cheap entry and call each of its ``prefix*`` methods, as asv would."""
    bench = suite()
    bench.setup(CHEAP)
    return {name: getattr(bench, name)(CHEAP) for name in dir(suite) if name.startswith(prefix)}


def test_timed_benchmarks_run_in_process() -> None:
    assert set(_run(bench_catalog.Infer, ("time_", "peakmem_"))) == {"time_infer", "peakmem_infer"}
    assert set(_run(bench_catalog.TrainStep, "time_")) == {"time_train_step"}


def test_counts_are_positive_integers_and_repeatable() -> None:
    first = _run(bench_catalog.Counts, "track_")
    assert first == _run(bench_catalog.Counts, "track_")
    assert all(isinstance(value, int) and value > 0 for value in first.values()), first
    assert first["track_flops"] >= 2 * first["track_macs"]


def test_an_entry_missing_at_an_older_commit_is_skipped() -> None:
    with pytest.raises(NotImplementedError, match="unknown catalog entry"):
        bench_catalog.Infer().setup("not_in_this_commit")


@pytest.mark.slow
def test_asv_check_passes() -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("asv")), "check", "--python=same"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "No problems found" in completed.stdout


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("MODBENCH_ASV_E2E") != "1",
                    reason="builds a test repository and an asv virtualenv (2-4 min); set MODBENCH_ASV_E2E=1")
def test_a_slowed_commit_is_flagged_by_history_and_by_asv_continuous(tmp_path: Path) -> None:
    repo = build_test_repo(tmp_path / "repo")
    completed = run_asv_over_commits(repo)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]

    history = analyse([read_asv_results(repo.path / ".asv/results")], ["test repository"], git_order(repo.path))
    flagged = {(change.series.benchmark, change.series.params, change.commit) for change in history.regressions}
    assert ("bench_catalog.Infer.time_infer", f"entry={SLOWED_ENTRY}", repo.slowed) in flagged

    gate = repo.asv("continuous", "--machine", MACHINE, "--bench", BENCHMARKS, repo.commits[0], repo.slowed)
    assert gate.returncode == 1, gate.stdout[-3000:] + gate.stderr[-3000:]
    assert "PERFORMANCE DECREASED" in gate.stdout
