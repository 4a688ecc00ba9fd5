"""Performance over commits: asv's results and modbench's own runs, as one table per series, with
the commits where a series changed found by step detection and a statistical test.

``modbench history`` wires it together: :func:`read_asv_results` and :func:`read_store` read the
sources, :func:`analyse` orders and judges every series, :func:`write_report` writes the page.
"""

from modbench.history.analysis import History, analyse
from modbench.history.asv_results import read_asv_results
from modbench.history.detect import Change, Thresholds, detect_changes
from modbench.history.report import write_report
from modbench.history.store import read_store
from modbench.history.table import COLUMNS, SeriesKey, series_tables

__all__ = [
    "COLUMNS", "Change", "History", "SeriesKey", "Thresholds", "analyse", "detect_changes", "read_asv_results",
    "read_store", "series_tables", "write_report",
]
