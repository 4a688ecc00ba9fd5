"""modbench: what does this PyTorch block really cost, and is the claimed saving real?

``import modbench`` is cheap: :func:`measure` (which brings pandas and the counters) is imported
the first time it is used, so ``modbench.records`` or the catalog load without them.
"""

from __future__ import annotations

from typing import Any

from modbench._version import __version__

__all__ = ["__version__", "measure"]


def __getattr__(name: str) -> Any:
    if name == "measure":
        from modbench.api import measure

        return measure
    raise AttributeError(f"module 'modbench' has no attribute {name!r}")
