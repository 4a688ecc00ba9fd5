"""``python -m modbench``: the same command line as the ``modbench`` script."""

from modbench.cli import console

console()
