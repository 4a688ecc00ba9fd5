"""matplotlib, loaded only when something is drawn, with names drawn as the literal text they are.

Importing matplotlib costs about a second and writes its font cache; a command that prints a
table should do neither, so the plotting modules import it through :func:`new_figure` alone. When
matplotlib's cache directory cannot be written (a read-only home), a temporary one is used
instead of letting matplotlib warn on every run. Every plot is drawn with ``text.parse_math``
off: an entry named ``$x$`` (or ``$\\foo``) is a label, not a formula that crashes the report.
"""

from __future__ import annotations

import atexit
import functools
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from matplotlib.figure import Figure

P = ParamSpec("P")
R = TypeVar("R")


def new_figure(**kwargs: object) -> Figure:
    """A matplotlib figure on the Agg canvas (no display, no pyplot state)."""
    _prepare_config_dir()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(**kwargs)
    FigureCanvasAgg(figure)
    return figure


def png(figure: Figure) -> bytes:
    """``figure`` as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def literal_text(function: Callable[P, R]) -> Callable[P, R]:
    """Run a plotting function with mathtext off, so ``$`` in any label is drawn as ``$``."""

    @functools.wraps(function)
    def draw(*args: P.args, **kwargs: P.kwargs) -> R:
        _prepare_config_dir()
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return function(*args, **kwargs)

    return draw


def _prepare_config_dir() -> None:
    """Point ``MPLCONFIGDIR`` at a temporary directory if matplotlib's own cannot be written (before its import)."""
    if "matplotlib" in sys.modules or _writable(_matplotlib_cache_dir()):
        return
    temporary = tempfile.mkdtemp(prefix="modbench-matplotlib-")
    atexit.register(shutil.rmtree, temporary, ignore_errors=True)
    os.environ["MPLCONFIGDIR"] = temporary


def _matplotlib_cache_dir() -> Path:
    """Where matplotlib will keep its font cache: ``$MPLCONFIGDIR``, else ``$XDG_CACHE_HOME/matplotlib``."""
    if os.environ.get("MPLCONFIGDIR"):
        return Path(os.environ["MPLCONFIGDIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return directory.is_dir() and os.access(directory, os.W_OK)
