"""How a report's results were produced, recorded by the command that measured them (``run.json``).

The results table says what was measured and where; this says how the run went: which command,
when, how long, how loaded the machine was, which timing plans were used, and the probe values
(facts that are not costs, such as two layers computing the same numbers), so a report can be
rendered again later from the saved files alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RunInfo:
    """How the results were produced, as the command that measured them recorded it (``run.json``)."""

    device: str
    command: str
    run_id: str | None = None
    started: str | None = None
    finished: str | None = None
    duration_s: float | None = None
    load_before: tuple[float, ...] | None = None
    load_after: tuple[float, ...] | None = None
    catalog_timing: str = "quick"
    claims_timing: str = "full"  # the claims' comparisons and the batch curves
    probes: dict[str, float] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> RunInfo:
        data = json.loads(path.read_text())
        for key in ("load_before", "load_after"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def path(self, out_dir: Path) -> Path:
        """Where this run's description lives in a report directory: one file per device."""
        return out_dir / f"run-{self.device}.json"


def load_run_infos(out_dir: Path) -> list[RunInfo]:
    """Every run description in a report directory, CPU first."""
    infos = [RunInfo.load(path) for path in sorted(out_dir.glob("run-*.json"))]
    return sorted(infos, key=lambda info: (info.device != "cpu", info.device))
