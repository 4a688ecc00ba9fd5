"""Reports from a results table: Markdown and CSV tables, plots, one self-contained HTML page.

Reads results only and never measures; ``modbench report`` measures first, then calls
:func:`write_report`.
"""

from modbench.report.build import judge_devices, write_report
from modbench.report.run_info import RunInfo, load_run_infos

__all__ = ["RunInfo", "judge_devices", "load_run_infos", "write_report"]
