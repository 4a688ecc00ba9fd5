"""Hostile text in entry names and errors: tables keep one row per entry, terminals never receive raw
escape sequences, plots draw ``$`` literally, and nothing imports matplotlib unless it plots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from torch import nn

from modbench.catalog import register
from modbench.catalog.registry import Entry, Source
from modbench.claims.sweeps import BatchCurve
from modbench.claims.verdict import CheckResult, ClaimVerdict
from modbench.claims import all_claims
from modbench.output import format_cell, markdown_cell, render
from modbench.report import plots
from modbench.report.document import Document, Table, to_markdown
from modbench.text import printable

ROOT = Path(__file__).resolve().parents[1]
ESCAPES = ["\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\x9b31m", "\x07", "\x08\x08", "\u202eevil"]
RAW_CONTROLS = ("\x1b", "\x07", "\x08", "\x9b", "\u202e")
PIPE_NAME = "pipe|name\nsecond line"


def _entry(name: str, doc: str = "A linear layer.") -> None:
    def factory(width: int = 4) -> nn.Module:
        return nn.Linear(width, width)

    factory.__doc__ = doc
    register(family="block", example_input=lambda config, batch: (), source=Source(seed="plugin"), name=name)(factory)


@pytest.fixture
def hostile_entries(isolated_registry: dict[str, Entry]) -> list[str]:
    names = [PIPE_NAME, "title\x1b]0;pwned\x07", "$\\frac{x$ math"]
    for name in names:
        _entry(name, doc="Does | this and \x1b[31mthat\x1b[0m.")
    return names


# ---------------------------------------------------------------- tables


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
@pytest.mark.parametrize("text", ESCAPES)
def test_no_format_lets_a_control_character_through(fmt: str, text: str) -> None:
    out = render([{"entry": f"x{text}y", "error": text}], fmt)
    assert not any(char in out for char in RAW_CONTROLS), repr(out)


def test_json_escapes_control_characters_and_keeps_the_text() -> None:
    out = render([{"entry": "a\x1b]0;t\x07"}], "json")
    assert "\x1b" not in out and json.loads(out)[0]["entry"] == "a\x1b]0;t\x07"


def test_printable_shows_what_was_there() -> None:
    assert printable("a\x1b[2Jb\nc\td") == "a\\x1b[2Jb\\nc d"
    assert printable("x\u202ey") == "x\\u202ey"
    assert printable("a\nb\tc", keep_newlines=True) == "a\nb\tc"
    assert printable("ünïcode, 中文 stay") == "ünïcode, 中文 stay"


def test_markdown_rows_stay_rows() -> None:
    rows = [{"name": PIPE_NAME, "summary": "a | b"}, {"name": "plain", "summary": "c\r\nd"}]
    lines = render(rows, "markdown").splitlines()
    assert len(lines) == 4  # header, rule, one line per row
    assert lines[2].count(" | ") == 1 and "pipe\\|name<br>second line" in lines[2] and "a \\| b" in lines[2]
    assert markdown_cell("x|y\nz") == "x\\|y<br>z"


def test_a_gap_is_a_gap_whatever_pandas_calls_it() -> None:
    for missing in (None, float("nan"), pd.NA, pd.NaT):
        assert format_cell(missing) == ""
    frame = pd.DataFrame({"entry": ["ok", "failed"], "params": pd.array([10, None], dtype="Int64")})
    assert "<NA>" not in render(frame.to_dict("records"), "table")
    assert "<NA>" not in to_markdown(Document("t", [Table(frame)]))


def test_a_newline_in_an_entry_name_makes_no_phantom_row_in_the_catalog_page() -> None:
    frame = pd.DataFrame({"entry": [PIPE_NAME, "relu"], "params": [1, 2]})
    markdown = to_markdown(Document("catalog", [Table(frame)]))
    table = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(table) == 4 and all(line.count(" | ") == 1 for line in table if not line.startswith("|-"))


def test_list_markdown_escapes_pipes_newlines_and_escapes(cli: Callable, hostile_entries: list[str]) -> None:
    result = cli("list", "--format", "markdown")
    assert result.code == 0, result.err
    lines = result.out.strip().splitlines()
    rows = [line for line in lines[2:] if line.startswith("|")]
    assert len(rows) == len(lines) - 2  # every line after the header is a row of its own
    assert any("pipe\\|name<br>second line" in line for line in rows)
    assert not any(char in result.out for char in RAW_CONTROLS)


def test_list_table_never_prints_an_escape_sequence(cli: Callable, hostile_entries: list[str]) -> None:
    result = cli("list")
    assert result.code == 0 and "title\\x1b]0;pwned\\x07" in result.out
    assert not any(char in result.out + result.err for char in RAW_CONTROLS)


# ---------------------------------------------------------------- plots


def _captured(monkeypatch: pytest.MonkeyPatch) -> list:
    """Keep the figures the plot functions draw, to look at their layout."""
    figures: list = []
    real_png = plots.png

    def keep(figure):  # type: ignore[no-untyped-def]
        figures.append(figure)
        return real_png(figure)

    monkeypatch.setattr(plots, "png", keep)
    return figures


def test_dollar_signs_in_names_are_drawn_literally() -> None:
    catalog = pd.DataFrame({
        "entry": ["$\\frac{x$", "$x^$", "plain $5 and $6"], "family": "block", "device": "cpu", "mode": "infer",
        "flops": [1e3, 1e4, 1e5], "latency_ms": [0.1, 0.2, 0.3],
    })
    assert plots.flops_vs_latency(catalog, "cpu").startswith(b"\x89PNG")
    curve = BatchCurve("$\\bad{$ curve", ("$a$",), (), (1, 2))
    table = pd.DataFrame({"label": ["$\\x{$", "$\\x{$"], "batch": [1, 2], "throughput": [10.0, 18.0]})
    assert plots.batch_curves([(curve, table)], "cpu").startswith(b"\x89PNG")


def test_the_batch_curve_labels_do_not_overlap_the_next_rows_titles(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _captured(monkeypatch)
    table = pd.DataFrame({"label": ["a", "a", "a"], "batch": [1, 2, 4], "throughput": [10.0, 18.0, 30.0]})
    curves = [(BatchCurve(f"curve {i}, a long title that fills the panel", ("a",), (), (1, 2, 4)), table) for i in range(4)]
    assert plots.batch_curves(curves, "cpu") is not None
    (figure,) = figures
    renderer = figure.canvas.get_renderer()
    top, bottom = figure.axes[0], figure.axes[2]
    label = top.xaxis.label.get_window_extent(renderer)
    ticks = [t.get_window_extent(renderer) for t in top.get_xticklabels() if t.get_text()]
    title = bottom.title.get_window_extent(renderer)
    for box in [label, *ticks]:
        assert box.y0 > title.y1, (box, title)  # display y grows upwards: the label sits above the title


def _check(measured: float, low: float, high: float) -> CheckResult:
    return CheckResult(claim="c", comparison="x vs y", label="latency", metric="latency_ms", kind="ratio", aspect="hardware",
                       candidate=measured, baseline=1.0, measured=measured, expected=0.5, expected_text="≈ 0.5",
                       expect_kind="approx", outcome="refuted", why="test", votes=True, low=low, high=high)


def test_an_interval_reaching_a_million_does_not_squash_the_claims_axis(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _captured(monkeypatch)
    verdict = ClaimVerdict(claim=all_claims()[0], device="cpu", cost="not claimed", hardware="refuted", summary="", checks=(
        _check(0.8, 0.7, 0.9), _check(2.0, 1e-7, 1e6),
    ))
    assert plots.claimed_vs_measured([verdict]) is not None
    (figure,) = figures
    low, high = figure.axes[0].get_xlim()
    assert high <= 2.0 * 4 * 1.0001 and low >= 0.5 / 4 * 0.9999  # the axis spans the values, not the whisker
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert any("cut at its edge" in text for text in texts)


# ---------------------------------------------------------------- matplotlib only when plotting


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=env.pop("cwd", None),
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env})


def test_commands_that_do_not_plot_do_not_import_matplotlib(tmp_path: Path) -> None:
    done = _python(
        "import sys\nfrom modbench.cli import main\n"
        "main(['list']); main(['measure', 'relu', '--metrics', 'params', '--results-dir', 'r'])\n"
        "print('MPL', 'matplotlib' in sys.modules)",
        HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"), cwd=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "MPL False" in done.stdout
    assert not (tmp_path / "cache" / "matplotlib").exists()


def test_an_unwritable_matplotlib_cache_falls_back_to_a_temporary_one_quietly(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory would go")
    done = _python(
        "import os, pandas as pd\nfrom modbench.report import plots\n"
        "frame = pd.DataFrame({'entry': ['a'], 'family': 'block', 'device': 'cpu', 'mode': 'infer', 'flops': [1e3], 'latency_ms': [0.1]})\n"
        "assert plots.flops_vs_latency(frame, 'cpu')\nprint('DIR', os.environ['MPLCONFIGDIR'])",
        HOME=str(tmp_path), XDG_CACHE_HOME=str(blocked), MPLCONFIGDIR="",
    )
    assert done.returncode == 0, done.stderr
    assert "DIR " in done.stdout and str(blocked) not in done.stdout
    assert "Matplotlib" not in done.stderr and "writable" not in done.stderr


def test_progress_shows_a_hostile_name_as_text(cli: Callable, hostile_entries: list[str], tmp_path: Path) -> None:
    import io
    from types import SimpleNamespace

    from modbench.commands.progress import BarProgress

    stream = io.StringIO()
    bar = BarProgress(stream)
    bar.start(1)
    bar.begin(SimpleNamespace(label="[/]\x1b]0;pwned\x07 [bold]"))  # rich markup and an OSC sequence in a name
    bar.close()
    assert not any(char in stream.getvalue() for char in RAW_CONTROLS)
    result = cli("measure", "title\x1b]0;pwned\x07", "--metrics", "params", "--results-dir", str(tmp_path / "r"))
    assert "Traceback" not in result.err
    assert not any(char in result.out + result.err for char in RAW_CONTROLS)
