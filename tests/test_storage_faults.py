"""The results store under faults: torn tails, a full disk, two writers, damaged and foreign files.

Nothing complete is lost, nothing is written after a partial line, and one unreadable line or file
is a warning naming it while everything else is still read. The disk faults are real where the OS
can make them (``RLIMIT_FSIZE`` makes writes fail as a full disk does) and injected otherwise.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from modbench.environment import current_environment
from modbench.errors import UsageError
from modbench.paths import writable_dir
from modbench.records import Record, RecordKey, canonical_config
from modbench.results import RunLockedError, RunWriteError, RunWriter, load_runs, read_run
from modbench import results as results_module

ROOT = Path(__file__).resolve().parents[1]
PYTHONPATH = os.pathsep.join([str(ROOT / "src"), str(ROOT)])


def make_record(batch: int = 1, entry: str = "linear", status: str = "ok") -> Record:
    key = RecordKey(entry, canonical_config({"in_features": 4}), batch, "cpu", "fp32", "infer", 2)
    return Record(key=key, env=current_environment("cpu"), status=status, params=20 + batch)


def write_run(directory: Path, batches: tuple[int, ...] = (1, 2)) -> Path:
    with RunWriter.create(directory, plan=None) as writer:
        for batch in batches:
            writer.append(make_record(batch))
    return writer.path


def batches(path: Path) -> list[int]:
    return [record.key.batch for record in read_run(path).records]


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("modbench: warning:")]


# ---------------------------------------------------------------- torn tails


def test_a_torn_tail_is_cut_before_appending_so_the_file_stays_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_run(tmp_path)
    whole = path.read_bytes()
    with path.open("ab") as file:
        file.write(b'{"kind":"record","run":"x","entry":"lin')  # a kill or a full disk mid-line
    with RunWriter(path, "x") as writer:
        assert path.read_bytes() == whole  # cut back to the last whole record before anything is written
        writer.append(make_record(3))
    assert batches(path) == [1, 2, 3]
    assert all(json.loads(line) for line in path.read_text().splitlines())
    assert "removed a torn last line" in capsys.readouterr().err


def test_a_last_record_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    path = write_run(tmp_path)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert batches(path) == [1, 2]
    with RunWriter(path, "x") as writer:
        writer.append(make_record(3))
    assert batches(path) == [1, 2, 3]


def test_a_file_that_is_only_a_torn_header_is_cut_to_empty(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_bytes(b'{"kind": "ru')
    with RunWriter(path, "run") as writer:
        writer.append(make_record(1))
    assert path.read_text().count("\n") == 1 and batches(path) == [1]


# ---------------------------------------------------------------- two writers


def test_a_second_writer_of_one_run_is_refused_in_one_line(tmp_path: Path) -> None:
    path = write_run(tmp_path)
    with RunWriter(path, "x"):
        with pytest.raises(RunLockedError, match="being written by another modbench process") as refused:
            RunWriter(path, "x")
        assert "\n" not in str(refused.value) and isinstance(refused.value, UsageError)
    with RunWriter(path, "x") as again:  # the lock goes with the writer
        again.append(make_record(3))
    assert batches(path) == [1, 2, 3]


def test_a_writer_in_another_process_is_refused_too(tmp_path: Path) -> None:
    path = write_run(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from modbench.results import RunWriter;"
         " w = RunWriter(Path(sys.argv[1]), 'x'); print('locked', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError):
            RunWriter(path, "x")
    finally:
        holder.kill()
        holder.wait()
    RunWriter(path, "x").close()  # the holder's death released it


# ---------------------------------------------------------------- a full disk


def _fail_after(monkeypatch: pytest.MonkeyPatch, allowed: int, call: str = "write") -> None:
    """Let ``allowed`` bytes through ``os.write`` (or the first fsync), then fail with ENOSPC, as a filling disk does."""
    real_write = os.write
    budget = {"bytes": allowed}

    def write(fd: int, data: bytes) -> int:
        if budget["bytes"] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, bytes(data)[: budget["bytes"]])
        budget["bytes"] -= written
        return written

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if call == "write":
        monkeypatch.setattr(results_module.os, "write", write)
    else:
        monkeypatch.setattr(results_module.os, "fsync", fsync)


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_a_disk_filling_mid_record_keeps_every_whole_record_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    path = write_run(tmp_path)
    before = path.read_bytes()
    with RunWriter(path, "x") as writer:
        _fail_after(monkeypatch, 40, call)  # part of the next line fits, the rest does not
        with pytest.raises(RunWriteError) as failed:
            writer.append(make_record(3))
        monkeypatch.undo()
    message = str(failed.value)
    assert str(path) in message and "No space left on device" in message and "\n" not in message
    assert failed.value.record is not None and failed.value.record.key.batch == 3  # the caller can still show it
    assert path.read_bytes() == before  # the partial line was cut back
    with RunWriter(path, "x") as writer:  # space freed: the run goes on in the same file
        writer.append(make_record(3))
    assert batches(path) == [1, 2, 3]


def test_a_header_that_cannot_be_written_leaves_no_empty_run_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results_module, "writable_dir", lambda path, what: Path(path))  # the pre-check passed, then the disk filled
    _fail_after(monkeypatch, 0)
    with pytest.raises(RunWriteError, match="No space left"):
        RunWriter.create(tmp_path, plan=None)
    assert list(tmp_path.iterdir()) == []


def _with_file_size_limit(imports: str, code: str, limit: int) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (after ``imports``) where a file can grow to ``limit`` bytes only: writes past it
    fail (EFBIG), as on a full disk."""
    limit_files = (
        "import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
    )
    return subprocess.run([sys.executable, "-c", imports + "\n" + limit_files + code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": PYTHONPATH}, timeout=120)


def test_the_writability_check_really_writes_so_a_full_disk_fails_it(tmp_path: Path) -> None:
    done = _with_file_size_limit(
        "import sys\nfrom modbench.paths import writable_dir\nfrom modbench.errors import UsageError",
        f"try:\n    writable_dir({str(tmp_path / 'out')!r}, 'results')\nexcept UsageError as e:\n    print(e); sys.exit(3)\n",
        limit=0,
    )
    assert done.returncode == 3, done.stderr
    assert "cannot write results to" in done.stdout and "File too large" in done.stdout
    writable_dir(tmp_path / "out", "results")  # without the limit it passes


def test_a_real_write_failure_mid_run_keeps_the_header_and_every_record_before(tmp_path: Path) -> None:
    path = write_run(tmp_path, batches=(1,))
    size = path.stat().st_size
    done = _with_file_size_limit(
        "import sys\nfrom pathlib import Path\nfrom tests.test_storage_faults import make_record\n"
        "from modbench.results import RunWriter, RunWriteError\nrecord = make_record(2)",
        f"w = RunWriter(Path({str(path)!r}), 'x')\n"
        "try:\n    w.append(record)\nexcept RunWriteError as e:\n    print(e); sys.exit(4)\n",
        limit=size + 100,  # a record is several hundred bytes: it starts to fit, then the disk is full
    )
    assert done.returncode == 4, done.stderr
    assert str(path) in done.stdout and "File too large" in done.stdout
    assert path.stat().st_size == size and batches(path) == [1]


# ---------------------------------------------------------------- readers skip what they cannot read


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (b"garbage, not json\n", "not a JSON line"),
        (b"[1, 2, 3]\n", "not a record (a JSON object)"),
        (b'{"kind": "record", "entry": "relu"}\n', "not a modbench record (no"),
        (b'{"kind": "run", "run": "again"}\n', "a second run header"),
        (b"\xff\xfe\n", None),  # not UTF-8: the whole file is not text
    ],
)
def test_a_damaged_line_in_the_middle_is_skipped_with_one_warning_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: bytes, problem: str | None
) -> None:
    path = write_run(tmp_path, batches=(1,))
    good = write_run(tmp_path / "other", batches=(7,))
    with path.open("ab") as file:
        file.write(damage)
    with RunWriter(path, "x") as writer:
        writer.append(make_record(2))
    frame = load_runs([path, good])
    err = capsys.readouterr().err
    (warning,) = warnings_in(err)
    if problem is None:
        assert sorted(frame["batch"]) == [7] and "not UTF-8" in warning
    else:
        assert sorted(frame["batch"]) == [1, 2, 7]
        assert f"{path}:3: {problem}" in warning


def test_a_record_whose_config_is_not_json_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_run(tmp_path, batches=(1,))
    row = json.loads(path.read_text().splitlines()[-1])
    for bad_config in ("{not json", "[1, 2]"):
        with path.open("a") as file:
            file.write(json.dumps({**row, "config": bad_config, "batch": 9}) + "\n")
    with path.open("a") as file:
        file.write(json.dumps({**row, "batch": "8"}) + "\n")  # a key field of the wrong type
    assert batches(path) == [1]
    (warning,) = warnings_in(capsys.readouterr().err)
    assert f"{path}:3:" in warning and "(and 2 more unreadable lines)" in warning


def test_many_bad_lines_are_one_warning_not_a_flood(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_run(tmp_path, batches=(1,))
    with path.open("a") as file:
        file.write("x\n" * 500)
    assert batches(path) == [1]
    assert len(warnings_in(capsys.readouterr().err)) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("foreign.jsonl", b'{"event": "login", "user": 3}\n{"event": "logout"}\n'),
        ("binary.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("list.jsonl", b"[1, 2]\n[3]\n"),
        ("empty.jsonl", b""),
    ],
)
def test_a_foreign_file_in_the_results_directory_does_not_hide_the_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    write_run(tmp_path)
    (tmp_path / name).write_bytes(content)
    frame = load_runs(tmp_path)
    assert sorted(frame["batch"]) == [1, 2]
    warnings = warnings_in(capsys.readouterr().err)
    assert len(warnings) <= 1 and all(name in line for line in warnings)
    assert bool(warnings) == bool(content)  # an empty file is an empty run, nothing to warn about


def test_a_directory_named_like_a_run_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path)
    (tmp_path / "folder.jsonl").mkdir()
    assert sorted(load_runs(tmp_path)["batch"]) == [1, 2]
    assert "folder.jsonl" in capsys.readouterr().err


def test_report_and_claims_read_a_directory_holding_a_foreign_and_a_damaged_file(tmp_path: Path, cli: Callable) -> None:
    from tests.test_report import INFO, synthetic_results

    results = tmp_path / "results"
    with RunWriter.create(results, plan=None) as writer:
        for record in synthetic_results(full=False):
            writer.append(record)
    with writer.path.open("a") as file:
        file.write('{"kind": "record", "config": "{oops"}\n')
    (results / "notes.jsonl").write_text('{"todo": "measure more"}\n')
    INFO.save(INFO.path(tmp_path))
    rendered = cli("report", "--render-only", "--out", str(tmp_path))
    assert rendered.code == 0, rendered.err
    assert "Traceback" not in rendered.err and len(warnings_in(rendered.err)) == 2
    judged = cli("claims", "--from", str(results), "--format", "json", "ghost-vs-conv")
    assert judged.code == 0, judged.err
    assert [v["id"] for v in json.loads(judged.out)] == ["ghost-vs-conv"]


def test_history_reads_the_store_past_a_foreign_file(tmp_path: Path, cli: Callable) -> None:
    results = tmp_path / "runs"
    env = dataclasses.replace(current_environment("cpu"), git_commit="a" * 40)
    with RunWriter.create(results, plan=None) as writer:
        writer.append(dataclasses.replace(make_record(1), env=env))
    (results / "foreign.jsonl").write_text("hello\n")
    result = cli("history", "--results-dir", str(results), "--out", str(tmp_path / "out"), "--format", "csv")
    assert result.code == 0, result.err
    assert "foreign.jsonl" in result.err and "Traceback" not in result.err


# ---------------------------------------------------------------- malformed asv results

ASV_FIXTURE = ROOT / "tests" / "fixtures" / "asv_results"
GOOD = json.loads((ASV_FIXTURE / "fixture" / "26616578-virtualenv-py3.11-numpy-torch2.13.0.json").read_text())


def _result(**changes: object) -> bytes:
    """The fixture's first result file with ``changes`` (``None`` removes a field)."""
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


def _first_benchmark(row: object) -> bytes:
    name = next(iter(GOOD["results"]))
    return _result(commit_hash="f" * 40, results={**GOOD["results"], name: row})


ASV_VARIANTS = {
    # file name -> bytes: an extra result file next to the fixture's
    "not-json.json": b"{ this is not json",
    "empty.json": b"",
    "not-utf8.json": b'{"version": 2, "env_name": "\xff\xfe"}',
    "a-list.json": b"[1, 2, 3]",
    "version-1.json": _result(version=1),
    "no-version.json": _result(version=None),
    "no-result-columns.json": _result(result_columns=None),
    "result-columns-a-string.json": _result(result_columns="result,params"),
    "date-yesterday.json": _result(date="yesterday"),
    "date-huge.json": _result(date=1e300),
    "no-date.json": _result(date=None),
    "no-commit.json": _result(commit_hash=None),
    "results-a-list.json": _result(results=[1, 2]),
    "string-row.json": _first_benchmark("fast"),
    "string-results.json": _first_benchmark(["fast", [["'a'"]]]),
    "params-a-string.json": _first_benchmark([[1.0], "'a'"]),
    "nested-params-repr.json": _first_benchmark([[1.0], [["(" * 200]]]),
}
PARTLY_READABLE = {"string-row.json", "string-results.json", "params-a-string.json"}
MACHINE_VARIANTS = {"machine-a-list": b'["fixture"]', "machine-not-json": b"{", "machine-name-a-number": b'{"machine": 5}'}
BENCHMARKS_VARIANTS = {"benchmarks-a-list": b"[]", "benchmarks-not-utf8": b"\xff{", "benchmark-a-string": b'{"bench_catalog.Counts.track_flops": "x"}'}


def _asv_copy(tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(ASV_FIXTURE, tmp_path / "asv"))


@pytest.fixture(scope="module")
def asv_baseline() -> "pd.DataFrame":
    from modbench.history import read_asv_results

    return read_asv_results(ASV_FIXTURE)


@pytest.mark.parametrize("name", list(ASV_VARIANTS))
def test_a_malformed_asv_result_file_is_one_warning_and_the_rest_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], asv_baseline: "pd.DataFrame", name: str
) -> None:
    from modbench.history import read_asv_results

    root = _asv_copy(tmp_path)
    (root / "fixture" / name).write_bytes(ASV_VARIANTS[name])
    frame = read_asv_results(root)
    warnings = warnings_in(capsys.readouterr().err)
    if name == "nested-params-repr.json":  # readable: the odd parameter value is kept as written
        assert len(frame) > len(asv_baseline) and not warnings
        return
    (warning,) = warnings
    assert name in warning
    if name in PARTLY_READABLE:  # one benchmark is skipped, the file's other benchmarks are read
        assert len(frame) > len(asv_baseline) and next(iter(GOOD["results"])) in warning
    else:
        assert len(frame) == len(asv_baseline)


@pytest.mark.parametrize("name", list(MACHINE_VARIANTS) + list(BENCHMARKS_VARIANTS))
def test_a_malformed_machine_or_benchmarks_file_falls_back_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], asv_baseline: "pd.DataFrame", name: str
) -> None:
    from modbench.history import read_asv_results

    root = _asv_copy(tmp_path)
    target = root / "fixture" / "machine.json" if name in MACHINE_VARIANTS else root / "benchmarks.json"
    target.write_bytes({**MACHINE_VARIANTS, **BENCHMARKS_VARIANTS}[name])
    frame = read_asv_results(root)
    assert len(frame) == len(asv_baseline) and set(frame["machine"]) == {"fixture"}  # the folder's name
    assert len(warnings_in(capsys.readouterr().err)) <= 1


def test_history_on_a_results_directory_full_of_malformed_files_is_not_a_traceback(tmp_path: Path, cli: Callable) -> None:
    root = _asv_copy(tmp_path)
    for name, content in ASV_VARIANTS.items():
        (root / "fixture" / name).write_bytes(content)
    (root / "fixture" / "machine.json").write_bytes(MACHINE_VARIANTS["machine-a-list"])
    result = cli("history", "--asv-results", str(root), "--out", str(tmp_path / "out"), "--format", "csv")
    assert result.code == 1, result.err  # the fixture's one regression fails the gate
    assert "Traceback" not in result.err and "1 regression(s)" in result.err


def test_a_record_with_a_value_of_the_wrong_type_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_run(tmp_path, batches=(1,))
    row = json.loads(path.read_text().splitlines()[-1])
    with path.open("a") as file:
        file.write(json.dumps({**row, "batch": 2, "latency_ms": "fast"}) + "\n")
        file.write(json.dumps({**row, "batch": 3, "machine_id": ["a"]}) + "\n")
    assert batches(path) == [1]
    (warning,) = warnings_in(capsys.readouterr().err)
    assert "latency_ms has the wrong type" in warning


def test_history_leaves_out_a_record_whose_timestamp_is_not_a_time(tmp_path: Path, cli: Callable) -> None:
    results = tmp_path / "runs"
    with RunWriter.create(results, plan=None) as writer:
        for batch, stamp in ((1, "2026-11-25T10:00:00+00:00"), (2, "yesterday")):
            env = dataclasses.replace(current_environment("cpu"), git_commit="a" * 40, timestamp=stamp)
            writer.append(dataclasses.replace(make_record(batch), env=env))
    result = cli("history", "--results-dir", str(results), "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert "'yesterday'" in result.err and "Traceback" not in result.err
