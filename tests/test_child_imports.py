"""What a measuring process imports: pandas never reaches a measuring child, and counting needs no torch._dynamo.

Each is tenths of a second to seconds per process on a 2-core machine: a forkserver that preloads
what its children never use delays the first record, and a module every child imports again
(multiprocessing runs the command's main module in each) costs that once per entry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# A plugin entry whose forward writes down whether its process holds pandas, after its first op.
PROBE = '''
import json, os, sys
from torch import nn
from modbench.catalog import register
from modbench.catalog.inputs import vector
from modbench.catalog.registry import Source


@register(family="block", example_input=vector("width"), source=Source(paper="test"), name="import_probe")
class ImportProbe(nn.Module):
    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.linear = nn.Linear(width, width)

    def forward(self, x):
        y = self.linear(x)
        with open(os.environ["PROBE_OUT"], "a") as out:
            out.write(json.dumps("pandas" in sys.modules) + "\\n")
        return y
'''


@pytest.mark.parametrize("metrics", ["params,flops", "params,latency"])
def test_a_measuring_child_never_imports_pandas(tmp_path: Path, metrics: str) -> None:
    # through the CLI as a user runs it: the forkserver's preload and the main module run again in the child
    probe, out = tmp_path / "probe.py", tmp_path / "imports.jsonl"
    probe.write_text(PROBE)
    command = [sys.executable, "-m", "modbench", "--plugin", str(probe), "measure", "import_probe",
               "--metrics", metrics, "--quick", "--results-dir", str(tmp_path / "results")]
    done = subprocess.run(command, env={**os.environ, "PROBE_OUT": str(out)}, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert seen and not any(seen)


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("modbench.cli", ("torch", "pandas")),  # multiprocessing runs the command's main module again in every child
        ("modbench.run.worker", ("pandas",)),  # what every measuring child runs, and its forkserver's preload
    ],
)
def test_a_module_every_child_imports_stays_light(module: str, absent: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print(sorted(set({absent!r}) & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_counting_an_op_imports_no_dynamo() -> None:
    # torch wraps a dispatch mode's __torch_dispatch__ in a dynamo guard that imports torch._dynamo on first use
    code = (
        "import sys, torch\n"
        "from modbench.metrics.counting import count_ops\n"
        "counts = count_ops(torch.nn.Conv2d(3, 8, 3), (torch.randn(1, 3, 8, 8),))\n"
        "print(counts.macs, 'torch._dynamo' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(3 * 8 * 9 * 6 * 6), "False"]  # c_in·c_out·k²·h_out·w_out MACs, and no dynamo
