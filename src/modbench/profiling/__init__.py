"""torch.profiler traces that TensorBoard's PyTorch Profiler tab and Perfetto open, and their summaries."""

from modbench.profiling.summary import OpStat, compare_ops, op_stats, top_by_memory, top_by_time
from modbench.profiling.trace import TraceResult, TraceSchedule, profile_target, run_name, worker_name

__all__ = [
    "OpStat",
    "TraceResult",
    "TraceSchedule",
    "compare_ops",
    "op_stats",
    "profile_target",
    "run_name",
    "top_by_memory",
    "top_by_time",
    "worker_name",
]
