"""The per-module table: parameters, MACs and FLOPs of each submodule, as a tree.

Built from one count (:func:`modbench.metrics.counting.count_ops` charges every forward op to
the innermost running submodule); a row's numbers include its children's, as in fvcore's
``flop_count_table`` and FlopCounterMode's depth view. Work done by the module's own code
outside any child (a residual addition, a reshape) is in its row only. The numbers are the
forward's, in the record's mode: the backward of a train step is not split by module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from torch import nn

from modbench.metrics.counting import OpCounts, count_ops
from modbench.metrics.params import count_parameters
from modbench.metrics.target import Target
from modbench.output import render

DEFAULT_DEPTH = 2
COLUMNS = ("module", "type", "params", "macs", "flops", "flops_elementwise")


@dataclass(frozen=True)
class ModuleRow:
    """One submodule: its dotted path (``""`` for the whole module), depth, type, and totals with its children."""

    module: str
    depth: int
    type: str
    params: int
    macs: int
    flops: int
    flops_elementwise: int


def module_rows(module: nn.Module, counts: OpCounts, depth: int | None = DEFAULT_DEPTH) -> list[ModuleRow]:
    """The tree of ``module``'s submodules down to ``depth`` (0: the module alone; ``None``: all), in module order."""
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be 0 or more, got {depth}")
    matmul: dict[str, int] = {}
    elementwise: dict[str, int] = {}
    for own in counts.modules:
        for ancestor in _ancestors(own.path):
            matmul[ancestor] = matmul.get(ancestor, 0) + own.flops_matmul
            elementwise[ancestor] = elementwise.get(ancestor, 0) + own.flops_elementwise
    rows = []
    for path, sub in module.named_modules():
        level = 0 if not path else path.count(".") + 1
        if depth is not None and level > depth:
            continue
        rows.append(ModuleRow(
            module=path, depth=level, type=type(sub).__name__, params=count_parameters(sub).params,
            macs=matmul.get(path, 0) // 2, flops=matmul.get(path, 0) + elementwise.get(path, 0),
            flops_elementwise=elementwise.get(path, 0),
        ))
    return rows


def target_rows(target: Target, batch: int, mode: str, depth: int | None = DEFAULT_DEPTH) -> list[ModuleRow]:
    """Build ``target`` at ``batch``, count one ``mode`` step, and return its module tree down to ``depth``."""
    module, inputs = target.checked_build(batch)
    return module_rows(module, count_ops(module, inputs, mode, input_grad=target.input_grad), depth)


def _ancestors(path: str) -> list[str]:
    """``"a.b.c"`` → ``["", "a", "a.b", "a.b.c"]``."""
    if not path:
        return [""]
    parts = path.split(".")
    return ["", *(".".join(parts[: index + 1]) for index in range(len(parts)))]


def module_table(targets: Sequence[Target], batches: Sequence[int], modes: Sequence[str],
                 depth: int | None = DEFAULT_DEPTH) -> list[dict[str, Any]]:
    """One row per submodule of each target × mode × batch, each led by ``entry``, ``batch`` and ``mode``."""
    return [
        {"entry": target.name, "batch": batch, "mode": mode, **asdict(row)}
        for target in targets for mode in modes for batch in batches
        for row in target_rows(target, batch, mode, depth)
    ]


def render_module_table(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """``rows`` of :func:`module_table` in ``fmt``. CSV and JSON keep every field (the dotted path,
    the depth); table and Markdown give each entry × batch × mode a heading and indent the tree."""
    if fmt not in ("table", "markdown"):
        return render(rows, fmt)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["entry"], row["batch"], row["mode"]), []).append(row)
    parts = []
    for (entry, batch, mode), group in groups.items():
        shown = [{**row, "module": _tree_label(row["module"], row["depth"])} for row in group]
        heading = f"{entry} (batch {batch}, {mode})"
        parts.append(("## " if fmt == "markdown" else "") + heading + "\n\n" + render(shown, fmt, columns=COLUMNS))
    return "\n\n".join(parts)


def _tree_label(path: str, depth: int) -> str:
    if not path:
        return "(total)"
    # a visible mark per level below the first: table renderers strip leading whitespace
    return "· " * (depth - 1) + path
