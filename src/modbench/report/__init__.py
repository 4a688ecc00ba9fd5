"""Reports from a results table: Markdown and CSV tables, plots, one self-contained HTML page.

Reads results only and never measures; ``modbench report`` measures first, then calls
:func:`modbench.report.build.write_report`. The package imports none of its modules, so they can
import each other (``from modbench.report import plots``) without a cycle through this file.
"""
