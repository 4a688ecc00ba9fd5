"""Keep freed memory in a measuring process, so a timed call pays for its compute, not for fresh pages.

glibc's ``malloc`` serves a block above its *mmap threshold* (128 KiB at start, then raised to
the largest block freed so far) straight from the kernel and hands it back on ``free``, and
trims the top of its heap back to the kernel once more than the *trim threshold* of it is free.
A forward pass allocates its activations anew every call, so each call can fault in fresh
pages: on this project's 2-vCPU machine a 64→128-channel 3×3 convolution at 56×56 took about
1,100 minor page faults per call, and how many depended on what the process had allocated
before. The same block then ran at 2.4 ms in one process and at 3.5–5 ms in the next, and the
Ghost / conv2d latency ratio read 0.46 in one process and 1.01 in another.

Fixing both thresholds (the mmap threshold at glibc's largest, 32 MiB on 64-bit; trimming off)
turns the dynamic behaviour off: freed blocks stay in the heap and the next call reuses them, as
a caching allocator does in a serving process (PyTorch's own on CUDA; jemalloc or tcmalloc,
which PyTorch's CPU tuning guide recommends, on CPU). A block of more than 32 MiB is still
mapped per call, the same way in every process. Elsewhere (macOS, musl, Windows) the system
allocator is left as it is, and the record says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt(3) parameters and glibc's largest mmap threshold on 64-bit (HEAP_MAX_SIZE / 2).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
NO_TRIM_BYTES = 2**31 - 1
HELD = "glibc malloc: freed memory kept (mmap threshold 32 MiB, no trim)"
SYSTEM = "system default"
_in_force = SYSTEM


def hold_freed_memory() -> str:
    """Fix glibc's thresholds in this process; what the allocator now does (:func:`allocator_in_force`)."""
    global _in_force
    if _in_force == HELD:
        return HELD
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # only glibc has both
    except (OSError, AttributeError, TypeError):
        return SYSTEM
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and mallopt(M_TRIM_THRESHOLD, NO_TRIM_BYTES) == 1:
        _in_force = HELD
    return _in_force


def allocator_in_force() -> str:
    """What this process's allocator does with freed memory, as stamped on each record's environment."""
    return _in_force
