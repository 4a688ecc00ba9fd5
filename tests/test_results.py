"""The results store: durable appends, torn lines, merging runs from several machines, export."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from modbench.environment import current_environment
from modbench.errors import UsageError
from modbench.records import Latency, Record, RecordKey, canonical_config
from modbench.results import COLUMNS, RunWriter, export, load_runs, read_run, records_frame, run_path
from modbench.run.session import resume_run


def make_record(entry: str = "linear", batch: int = 1, status: str = "ok", machine: str | None = None, **values: object) -> Record:
    env = current_environment("cpu")
    if machine is not None:
        env = dataclasses.replace(env, machine_id=machine)
    key = RecordKey(entry, canonical_config({"in_features": 4}), batch, "cpu", "fp32", "infer", 2)
    return Record(key=key, env=env, status=status, **values)


def test_each_record_is_on_disk_before_append_returns(tmp_path: Path) -> None:
    writer = RunWriter.create(tmp_path, plan=None)
    for batch in (1, 2):
        writer.append(make_record(batch=batch, latency=Latency((0.0005,))))
        lines = writer.path.read_text().splitlines()  # read while the writer is still open
        assert json.loads(lines[-1])["batch"] == batch
    writer.close()
    log = read_run(writer.path)
    assert log.run_id == writer.run_id
    assert [r.key.batch for r in log.records] == [1, 2]
    assert log.records[0].latency_ms == 0.5
    assert dataclasses.replace(log.records[0].env, timestamp="") == dataclasses.replace(make_record().env, timestamp="")  # written a moment earlier


def test_a_torn_last_line_is_skipped_and_cut_before_the_next_append(tmp_path: Path) -> None:
    with RunWriter.create(tmp_path, plan=None) as writer:
        writer.append(make_record(batch=1))
    with writer.path.open("a") as file:
        file.write('{"kind":"record","entry":"lin')  # what a kill in the middle of a write leaves
    assert [r.key.batch for r in read_run(writer.path).records] == [1]
    with RunWriter(writer.path, writer.run_id) as again:
        again.append(make_record(batch=2))
    assert [r.key.batch for r in read_run(writer.path).records] == [1, 2]  # readable as a whole, for good
    lines = writer.path.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)


def test_latest_keeps_the_last_record_of_a_key(tmp_path: Path) -> None:
    with RunWriter.create(tmp_path, plan=None) as writer:
        writer.append(make_record(status="timeout", error="exceeded"))
        writer.append(make_record(batch=8))
        writer.append(make_record(latency=Latency((0.001,))))
    log = read_run(writer.path)
    assert len(log.records) == 3
    latest = {r.key.batch: r for r in log.latest()}
    assert latest[1].status == "ok" and latest[1].latency_ms == 1.0
    frame = load_runs(tmp_path)
    assert len(frame) == 2
    assert len(load_runs(tmp_path, latest=False)) == 3


def test_runs_from_several_machines_merge_without_collision(tmp_path: Path) -> None:
    for machine in ("machine-a", "machine-b"):
        for _ in range(2):  # two runs per machine, measuring the very same keys
            with RunWriter.create(tmp_path / machine, plan=None) as writer:
                writer.append(make_record(batch=1, machine=machine))
                writer.append(make_record(batch=8, machine=machine))
    frame = load_runs([tmp_path / "machine-a", tmp_path / "machine-b"])
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 8
    assert frame["run"].nunique() == 4
    assert set(frame["machine_id"]) == {"machine-a", "machine-b"}
    identity = ["run", "entry", "config", "batch", "device", "dtype", "mode", "threads"]
    assert not frame.duplicated(identity).any()


def test_csv_and_markdown_export(tmp_path: Path) -> None:
    frame = records_frame([make_record(batch=1, latency=Latency((0.00025,))), make_record(batch=8, latency=Latency((0.0015,)))], run="r1")
    csv_path = export(frame, tmp_path / "out.csv")
    back = pd.read_csv(csv_path)
    assert list(back["batch"]) == [1, 8]
    assert list(back["latency_ms"]) == [0.25, 1.5]
    markdown = export(frame, tmp_path / "out.md").read_text()
    assert markdown.splitlines()[0].startswith("| run")
    assert "| linear" in markdown
    with pytest.raises(UsageError, match=r"\.csv or \.md"):
        export(frame, tmp_path / "out.xlsx")


def test_an_empty_store_loads_as_an_empty_table_with_every_column(tmp_path: Path) -> None:
    frame = load_runs(tmp_path)
    assert frame.empty and list(frame.columns) == COLUMNS


def test_unknown_run_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no run"):
        run_path("20990101T000000Z-nope", tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"entry": "relu"}\n{"entry": "relu"}\n', "its first line is not a run header"),
        ("not json\n{}\n", "its first line is not a run header"),
    ],
)
def test_a_file_that_is_not_a_run_is_a_usage_error_when_read_alone(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "foreign.jsonl"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        read_run(path)


def test_a_run_killed_before_its_header_is_empty_and_cannot_be_resumed(tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl"
    path.write_text('{"kind": "ru')
    assert load_runs(path).empty
    with pytest.raises(UsageError, match="no run header"):
        resume_run(read_run(path))
