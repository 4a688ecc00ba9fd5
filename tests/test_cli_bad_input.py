"""Bad input on the command line and in the Python API: one line naming the problem, the right exit
status (2 for usage), nothing written that is not a result, and the rough edges a new user hit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from modbench.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "tests" / "plugins"


def one_line_usage_error(result, needle: str = "") -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.code, result.err)
    errors = [line for line in result.err.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in result.err, result.err
    assert needle in errors[0], errors[0]


@pytest.mark.parametrize("limit", ["inf", "nan", "1e300", "-inf", "0"])
def test_a_time_limit_that_is_not_a_usable_number_of_seconds_is_a_usage_error(cli: Callable, tmp_path: Path, limit: str) -> None:
    result = cli("measure", "relu", "--metrics", "params", "--time-limit", limit, "--results-dir", str(tmp_path / "r"))
    one_line_usage_error(result, "--time-limit")
    assert not list((tmp_path / "r").glob("*.jsonl")) if (tmp_path / "r").exists() else True  # no empty run left behind


@pytest.mark.parametrize("mode", [",", "", " , "])
def test_an_empty_mode_list_is_a_usage_error(cli: Callable, tmp_path: Path, mode: str) -> None:
    result = cli("measure", "relu", "--metrics", "params", "--mode", mode, "--results-dir", str(tmp_path / "r"))
    one_line_usage_error(result, "--mode")
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").glob("*.jsonl"))


def test_an_empty_metric_list_is_a_usage_error(cli: Callable, tmp_path: Path) -> None:
    one_line_usage_error(cli("measure", "relu", "--metrics", ",", "--results-dir", str(tmp_path / "r")), "metric")


def test_a_batch_too_large_to_be_real_is_a_usage_error(cli: Callable, tmp_path: Path) -> None:
    result = cli("measure", "relu", "--metrics", "params", "--batch", "99999999999999999999999", "--results-dir", str(tmp_path / "r"))
    one_line_usage_error(result, "--batch")


@pytest.mark.parametrize("args", [("--threads", "-1"), ("--device", "CPU"), ("--threads", "0"), ("--device", "tpu")])
def test_report_render_only_checks_its_options_too(cli: Callable, args: tuple[str, str]) -> None:
    one_line_usage_error(cli("report", "--render-only", *args), args[0].lstrip("-"))


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_results_dir_is_a_usage_error(cli: Callable, tmp_path: Path, value: str) -> None:
    one_line_usage_error(cli("measure", "relu", "--metrics", "params", "--results-dir", value), "--results-dir")
    assert not list(tmp_path.glob("*.jsonl"))


def test_a_nul_byte_in_a_directory_is_a_usage_error(cli: Callable) -> None:
    for command in (("history", "--out"), ("history", "--repo"), ("report", "--render-only", "--out")):
        one_line_usage_error(cli(*command, "a\x00b"))


def _plan_run(tmp_path: Path, plan: object) -> Path:
    results = tmp_path / "r"
    results.mkdir()
    path = results / "20260101T000000Z-aaaaaaaaaaaa-0000.jsonl"
    path.write_text(json.dumps({"kind": "run", "run": path.stem, "started": "2026-01-01T00:00:00+00:00", "plan": plan}) + "\n")
    return path


@pytest.mark.parametrize(
    "plan",
    [
        "measure everything",
        [{"entry": "relu", "overrides": {}, "input_shape": None, "batch": 1, "settings": {"metrics": ["params"], "warp": 9}}],
        [{"entry": "relu"}],
        [42],
        [{"entry": "relu", "overrides": {}, "input_shape": None, "batch": "one", "settings": {"metrics": ["params"]}}],
    ],
)
def test_resuming_a_plan_this_version_cannot_read_is_a_usage_error(cli: Callable, tmp_path: Path, plan: object) -> None:
    path = _plan_run(tmp_path, plan)
    result = cli("measure", "--resume", str(path))
    one_line_usage_error(result, "cannot be resumed")


def test_the_resume_hint_names_the_results_dir(cli: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modbench.commands import measure

    results = tmp_path / "elsewhere"
    real = measure.measure_specs

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        outcome = real(*args, **kwargs)
        outcome.interrupted = True
        return outcome

    monkeypatch.setattr(measure, "measure_specs", interrupted)
    result = cli("measure", "relu", "--metrics", "params", "--results-dir", str(results))
    assert result.code == 130
    hint = next(line for line in result.err.splitlines() if "--resume" in line)
    command = hint.split("finish it with: ", 1)[1].split()
    assert command[:3] == ["modbench", "measure", "--resume"] and "--results-dir" in command
    assert command[command.index("--results-dir") + 1] == str(results)


def test_measure_help_describes_format(cli: Callable) -> None:
    result = cli("measure", "--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    assert "--format" in text and "json" in text and "for programs" in text


def test_history_from_the_repository_root_finds_reports_results(cli: Callable, tmp_path: Path) -> None:
    import dataclasses

    from modbench.environment import current_environment
    from modbench.results import RunWriter
    from tests.test_storage_faults import make_record

    with RunWriter.create(tmp_path / "reports" / "results", plan=None) as writer:
        env = dataclasses.replace(current_environment("cpu"), git_commit="b" * 40)
        writer.append(dataclasses.replace(make_record(1), env=env))
    result = cli("history", "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert "reports/results" in (tmp_path / "out" / "history.md").read_text()


# ---------------------------------------------------------------- plugins


def _plugin(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "plugin.py"
    path.write_text("import torch\nfrom torch import nn\nfrom modbench.catalog import Source, register\n" + body)
    return path


def test_a_plugin_calling_sys_exit_at_import_is_a_usage_error(cli: Callable, tmp_path: Path, isolated_registry: dict) -> None:
    plugin = _plugin(tmp_path, "import sys\nsys.exit(7)\n")
    result = cli("--plugin", str(plugin), "list")
    one_line_usage_error(result, "sys.exit(7)")


def test_a_list_default_set_to_a_number_is_a_usage_error(cli: Callable, tmp_path: Path, isolated_registry: dict) -> None:
    plugin = _plugin(tmp_path, (
        "@register(family='block', example_input=lambda c, b: (torch.randn(b, 4),), source=Source(seed='t'))\n"
        "def listy(sizes: list = [4, 4]) -> nn.Module:\n"
        "    '''Linear layers of the given sizes.'''\n"
        "    return nn.Sequential(*[nn.Linear(4, s) for s in sizes])\n"
    ))
    result = cli("--plugin", str(plugin), "measure", "listy", "--metrics", "params", "--set", "sizes=7",
                 "--results-dir", str(tmp_path / "r"))
    one_line_usage_error(result, "sizes")


def test_a_failure_unrelated_to_shapes_is_not_called_a_shape_error(cli: Callable, tmp_path: Path, isolated_registry: dict) -> None:
    plugin = _plugin(tmp_path, (
        "class Broken(nn.Module):\n"
        "    def forward(self, x):\n"
        "        raise RuntimeError('the weights file is missing')\n"
        "@register(family='block', example_input=lambda c, b: (torch.randn(b, 4),), source=Source(seed='t'))\n"
        "def broken(width: int = 4) -> nn.Module:\n"
        "    '''Fails whatever its input.'''\n"
        "    return Broken()\n"
    ))
    result = cli("--plugin", str(plugin), "measure", "broken", "--metrics", "params", "--set", "width=8",
                 "--results-dir", str(tmp_path / "r"))
    assert result.code in (1, 2) and "Traceback" not in result.err
    assert "the weights file is missing" in result.err and "input of shape" not in result.err


# ---------------------------------------------------------------- the Python API


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"batch": "8"}, "batch"),
        ({"metrics": None}, "metrics"),
        ({"metrics": []}, "metrics"),
        ({"batch": 0}, "batch"),
    ],
)
def test_api_bad_arguments_are_usage_errors(kwargs: dict, needle: str) -> None:
    import modbench

    with pytest.raises(UsageError, match=needle) as raised:
        modbench.measure(nn.Linear(4, 4), torch.randn(1, 4), **{"metrics": ["params"], **kwargs})
    assert "\n" not in str(raised.value)


def test_api_a_zero_dimensional_input_is_measured_and_a_non_module_is_a_usage_error() -> None:
    import modbench

    frame = modbench.measure(nn.ReLU(), torch.tensor(1.0), metrics=["params"])  # a scalar: one sample, batch 1
    assert list(frame["status"]) == ["ok"]
    with pytest.raises(UsageError, match="tensors"):
        modbench.measure(nn.ReLU(), ["not a tensor"], metrics=["params"])  # type: ignore[list-item]
    with pytest.raises(UsageError, match="nn.Module"):
        modbench.measure(lambda x: x, torch.randn(1, 4), metrics=["params"])  # type: ignore[arg-type]


# ---------------------------------------------------------------- storage faults through the commands


def test_a_disk_full_mid_run_prints_the_table_names_the_path_and_exits_1(cli: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from modbench import results

    real_append = results.RunWriter.append
    calls = {"n": 0}

    def append(self, record):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise results.RunWriteError(self.path, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), record)
        return real_append(self, record)

    monkeypatch.setattr(results.RunWriter, "append", append)
    result = cli("measure", "relu", "linear", "silu", "--metrics", "params", "--results-dir", str(tmp_path / "r"), "--format", "json")
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    (error,) = [line for line in result.err.splitlines() if "No space left on device" in line]
    assert str(tmp_path / "r") in error
    shown = [row["entry"] for row in json.loads(result.out)]
    assert shown == ["relu", "linear"]  # what was measured, the unsaved record too
    from modbench.results import load_runs

    assert list(load_runs(tmp_path / "r")["entry"]) == ["relu"]


def test_two_resumes_of_one_run_never_measure_a_key_twice(tmp_path: Path, isolated_registry: dict) -> None:
    from modbench.catalog import load_plugin
    from modbench.results import RunWriter, read_run
    from modbench.spec import EntrySpec, Settings, Spec

    plugin = str(PLUGIN_DIR / "faults.py")
    load_plugin(plugin)
    results = tmp_path / "r"
    # Measured in the resuming process (no worker start-up); counting fault_sleep's FLOPs runs its
    # forward, which sleeps, so the first resume holds the run while the second tries to take it.
    plan = [Spec(EntrySpec.of(name), 1, Settings(metrics=(metric,))).to_plan()
            for name, metric in (("fault_sleep", "flops"), ("fault_ok", "params"), ("fault_ok_too", "params"))]
    with RunWriter.create(results, plan, plugins=[plugin], time_limit=None, isolate=False) as writer:
        path = writer.path
    resume = [sys.executable, "-m", "modbench.cli", "measure", "--resume", path.stem, "--results-dir", str(results)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MODBENCH_FAULT_SLEEP": "4"}
    processes = [subprocess.Popen(resume, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [process.communicate(timeout=300) for process in processes]
    codes = sorted(process.returncode for process in processes)
    measured = [record.key.entry for record in read_run(path).records]
    assert sorted(measured) == ["fault_ok", "fault_ok_too", "fault_sleep"], (measured, outs)  # each once
    assert codes == [0, 2], (codes, outs)
    refused = next(err for (_, err), process in zip(outs, processes) if process.returncode == 2)
    assert "being written by another modbench process" in refused and "Traceback" not in refused
