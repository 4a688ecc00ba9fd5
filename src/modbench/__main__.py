"""``python -m modbench``: the same command line as the ``modbench`` script."""

import sys

from modbench.cli import main

sys.exit(main())
