"""Bring your own model: a factory by import path or file path, torchvision/timm names, one-line errors."""

from __future__ import annotations

import importlib
import json
import re
import sys
import textwrap
import types
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import modbench
from modbench.catalog import get_entry
from modbench.catalog.external import expand_names
from modbench.errors import UsageError
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

NET = """
import torch
from torch import nn


def build(channels: int = 8, width: int = 32):
    '''A conv and a linear head: counts that depend on both keys.'''
    return nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(channels * 16 * 16, width))
"""

COUNTED = ("params", "macs", "flops")


def _one_line_error(result: CliResult) -> str:
    assert result.code == 2, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    return lines[0]


def _api_counts(channels: int, width: int) -> dict[str, int]:
    namespace: dict[str, object] = {}
    exec(NET, namespace)  # the very module the user's file builds
    module = namespace["build"](channels=channels, width=width)  # type: ignore[operator]
    row = modbench.measure(module, torch.randn(1, 3, 16, 16), metrics=("params", "flops")).iloc[0]
    return {metric: int(row[metric]) for metric in COUNTED}


def test_a_factory_in_a_package_measured_through_the_cli_counts_as_the_api(cli: Cli, tmp_path: Path) -> None:
    package = tmp_path / "mynets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "conv.py").write_text(NET)
    result = cli(
        "measure", "mynets.conv:build", "--set", "channels=4", "--input-shape", "1x3x16x16",
        "--metrics", "params,flops", "--format", "json",
    )
    assert result.code == 0, result.err
    (record,) = json.loads(result.out)
    assert record["entry"] == "mynets.conv:build"
    assert record["config"] == {"channels": 4, "width": 32, "input_shape": "Bx3x16x16"}
    assert {metric: record[metric] for metric in COUNTED} == _api_counts(4, 32)


def test_a_factory_in_a_file_with_an_example_input_needs_no_shape_and_resumes(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET + "\nbuild.example_input = torch.randn(1, 3, 16, 16)\n")
    result = cli("measure", "net.py:build", "--set", "width=10", "--metrics", "params,flops", "--batch", "1,2", "--format", "json")
    assert result.code == 0, result.err
    records = json.loads(result.out)
    assert [r["batch"] for r in records] == [1, 2]
    assert {m: records[0][m] for m in COUNTED} == _api_counts(8, 10)
    assert records[1]["macs"] == 2 * records[0]["macs"]
    run_id = result.err.split("modbench: run ")[1].split()[0]
    resumed = cli("measure", "--resume", run_id, "--format", "json")
    assert resumed.code == 0, resumed.err
    assert [r["entry"] for r in json.loads(resumed.out)] == ["net.py:build", "net.py:build"]


@pytest.mark.parametrize(
    ("files", "name", "needle"),
    [
        ({}, "nosuchpackage.nets:build", "cannot import 'nosuchpackage.nets'"),
        ({"broken.py": "raise RuntimeError('no GPU driver')"}, "broken:build", "RuntimeError: no GPU driver"),
        ({"broken.py": "raise RuntimeError('no GPU driver')"}, "broken.py:build", "RuntimeError: no GPU driver"),
        ({"net.py": NET}, "net.py:biuld", "has no 'biuld'"),
        ({}, "missing.py:build", "no file 'missing.py'"),
        ({"net.py": NET}, "net.py:build", "carries no example input; pass --input-shape"),
        ({"net.py": NET}, "net.py:torch", "not a callable"),
        ({"net.py": "def build():\n    return 3\n"}, "net.py:build", "not a torch.nn.Module"),
    ],
)
def test_a_missing_or_failing_import_is_one_line_and_exit_2(cli: Cli, tmp_path: Path, files: dict[str, str], name: str, needle: str) -> None:
    for file, text in files.items():
        (tmp_path / file).write_text(text)
    args = ["measure", name, "--metrics", "params"]
    if needle.startswith("not a torch"):
        args += ["--input-shape", "1x3"]
    assert needle in _one_line_error(cli(*args))


def test_an_unknown_keyword_names_the_callables_keywords(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET)
    line = _one_line_error(cli("measure", "net.py:build", "--set", "chanels=3", "--input-shape", "1x3x16x16"))
    assert "no keyword argument 'chanels'" in line and "channels, width" in line


def test_torchvision_that_does_not_import_is_a_one_line_error_naming_it(cli: Cli) -> None:
    try:
        import torchvision  # noqa: F401
    except Exception:
        pass
    else:
        pytest.skip("torchvision imports here; the error path needs a machine where it does not")
    line = _one_line_error(cli("measure", "torchvision:resnet18", "--metrics", "params"))
    assert line.startswith("modbench: error: torchvision does not import here")
    assert "install torchvision" in line


@pytest.fixture
def fake_timm(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A stand-in ``timm`` in ``sys.modules``: two tiny models and timm's list/create functions."""
    models = {
        "resnet_tiny": lambda **kw: torch.nn.Conv2d(3, kw.get("width", 4), 3),
        "resnet_wide": lambda **kw: torch.nn.Conv2d(3, 16, 3),
        "vit_tiny": lambda **kw: torch.nn.Flatten(),
    }
    fake = types.ModuleType("timm")
    fake.list_models = lambda pattern="*": sorted(models)  # type: ignore[attr-defined]
    fake.create_model = lambda name, **kw: models[name](**kw)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "timm", fake)
    return fake


def test_timm_wildcards_expand_and_names_resolve_through_the_package(fake_timm: types.ModuleType) -> None:
    assert expand_names(["conv2d", "timm:resnet*", "timm:resnet_tiny"]) == ["conv2d", "timm:resnet_tiny", "timm:resnet_wide", "timm:resnet_tiny"]
    with pytest.raises(UsageError, match=re.escape("no timm model matches 'effnet*'")):
        expand_names(["timm:effnet*"])
    with pytest.raises(UsageError, match="did you mean resnet_tiny"):
        get_entry("timm:Resnet_tin")
    module, config = get_entry("timm:resnet_tiny").build({"width": "6"})
    assert config == {"width": 6} and module.out_channels == 6


def test_a_timm_model_is_measured_in_process_under_its_full_name(fake_timm: types.ModuleType) -> None:
    frame = modbench.measure(["timm:resnet_tiny"], metrics="params", config={"width": 2})
    assert frame.loc[0, "entry"] == "timm:resnet_tiny"
    assert frame.loc[0, "params"] == 3 * 2 * 9 + 2


PLUGIN_READING_HW = textwrap.dedent("""
    from torch import nn
    from modbench.catalog import Source, inputs, register

    @register(family="block", example_input=inputs.image(3), source=Source(paper="mine"))
    def my_conv(out_channels: int = 8):
        return nn.Conv2d(3, out_channels, 3)
""")


def test_a_plugin_whose_example_input_reads_a_missing_key_is_refused_when_loaded(cli: Cli, tmp_path: Path, isolated_registry: dict) -> None:
    (tmp_path / "blocks.py").write_text(PLUGIN_READING_HW)
    line = _one_line_error(cli("--plugin", "blocks.py", "list"))
    assert "'hw'" in line and "my_conv" in line


def test_the_readme_plugin_example_registers_and_measures(cli: Cli, tmp_path: Path, isolated_registry: dict) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    example = readme.split("<!-- plugin-example -->")[1].split("```python")[1].split("```")[0]
    (tmp_path / "my_blocks.py").write_text(example)
    result = cli("--plugin", "my_blocks.py", "measure", "my_conv", "--metrics", "params", "--format", "json")
    assert result.code == 0, result.err
    (record,) = json.loads(result.out)
    assert record["params"] == 3 * 16 * 9 + 16


def test_a_file_callable_is_profiled_into_a_folder_named_after_it(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(NET + "\nbuild.example_input = torch.randn(1, 3, 16, 16)\n")
    result = cli("profile", "models/net.py:build", "--wait", "0", "--warmup", "1", "--active", "2", "--format", "json")
    assert result.code == 0, result.err
    assert {row["entry"] for row in json.loads(result.out)} == {"models/net.py:build"}
    assert list((tmp_path / "reports" / "traces").iterdir())[0].name == "models_net.py_build_cpu_infer"


def test_the_asv_suite_adds_user_models_named_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.bench_catalog as suite

    (tmp_path / "net.py").write_text(NET + "\nbuild.example_input = torch.randn(1, 3, 16, 16)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODBENCH_ASV_MODELS", "net.py:build")
    try:
        with_user = importlib.reload(suite)
        assert with_user.Counts.params == [with_user.ALL_ENTRIES + ("net.py:build",)]
        counts = with_user.Counts()
        counts.setup("net.py:build")
        assert counts.track_params("net.py:build") == _api_counts(8, 32)["params"]
    finally:
        monkeypatch.delenv("MODBENCH_ASV_MODELS")
        importlib.reload(suite)

