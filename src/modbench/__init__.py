"""modbench: what does this PyTorch block really cost, and is the claimed saving real?"""

__version__ = "0.1.0"

from modbench.api import measure  # noqa: E402  (after __version__, which the environment stamp reads)

__all__ = ["__version__", "measure"]
