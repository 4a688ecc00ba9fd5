"""One module per ``modbench`` sub-command: ``HELP``, ``add_arguments(parser)``, ``run(args) -> int``."""
