"""The environment stamped on every record: device, CPU, versions, git commit, machine id, time."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import platform
import subprocess
import uuid
from pathlib import Path

import torch

from modbench._version import __version__
from modbench.metrics.allocator import allocator_in_force
from modbench.records import Environment


@functools.cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform`` elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


@functools.cache
def machine_id() -> str:
    """A stable, anonymous id of this machine, so records from several machines never collide."""
    for source in (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id")):
        if source.exists() and source.read_text().strip():
            raw = source.read_text().strip()
            break
    else:
        raw = f"{platform.node()}-{uuid.getnode()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


@functools.cache
def git_commit() -> str | None:
    """The commit of the modbench checkout in use, if it is one."""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None


def device_name(device: str) -> str:
    """A human name for ``device``: the GPU's name for CUDA, the CPU model otherwise."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    return cpu_model()


def current_environment(device: str) -> Environment:
    """The environment of a measurement on ``device``, stamped now (UTC)."""
    return Environment(
        device_name=device_name(device),
        cpu_model=cpu_model(),
        torch_version=torch.__version__,
        modbench_version=__version__,
        git_commit=git_commit(),
        machine_id=machine_id(),
        timestamp=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        allocator=allocator_in_force(),
    )
