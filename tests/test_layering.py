"""The import layering a newcomer can rely on: no cycles, a light core, a cheap ``import modbench``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("pandas", "rich", "fvcore", "matplotlib")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module, known: set[str]) -> set[str]:
    """Modules imported when the module is (module body only: not in functions, not under ``if TYPE_CHECKING``)."""
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, (ast.If, ast.Try)):
            pending += [*node.body, *node.orelse, *getattr(node, "finalbody", []), *(h for x in getattr(node, "handlers", []) for h in x.body)]
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return found & known


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for path in SRC.joinpath("modbench").rglob("*.py")}
    known = set(files)
    return {name: _top_level_imports(ast.parse(path.read_text()), known) - {name} for name, path in files.items()}


def test_no_module_imports_itself_through_others() -> None:
    graph = import_graph()
    cycles = []

    def visit(name: str, trail: list[str], done: set[str]) -> None:
        for nxt in sorted(graph[name]):
            if nxt in trail:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in done:
                visit(nxt, trail + [nxt], done)
        done.add(name)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start], done)
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles)))


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(SRC)})
    return [name for name in run.stdout.strip().split(",") if name]


def test_the_core_and_import_modbench_load_no_heavy_dependency() -> None:
    assert _loaded_after("import modbench, modbench.records, modbench.spec, modbench.resultset, modbench.catalog, modbench.metrics.registry") == []


def test_the_catalog_registry_is_a_leaf() -> None:
    graph = import_graph()
    assert {name for name in graph["modbench.catalog.registry"] if name.startswith("modbench.catalog")} == set()
    assert {"modbench.errors", "modbench.text"} >= graph["modbench.catalog.registry"]


def test_the_report_and_history_read_no_live_catalog() -> None:
    """They render what the results (and the listing the command passes in) hold, not the registry of this process."""
    graph = import_graph()
    readers = [name for name in graph if name.startswith(("modbench.report", "modbench.history"))]
    assert readers
    assert {name: sorted(i for i in graph[name] if i.startswith("modbench.catalog")) for name in readers} == dict.fromkeys(readers, [])
