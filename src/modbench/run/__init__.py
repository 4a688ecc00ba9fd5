"""Running measurements: plan specs (:mod:`.plan`), measure each in a worker (:mod:`.worker`), keep them as a run (:mod:`.session`)."""

from modbench.run.plan import RunOptions, plan_specs
from modbench.run.session import Progress, RunOutcome, resume_run, run_plugins, run_specs, start_run
from modbench.run.worker import Worker, execute, failure_status

__all__ = [
    "Progress", "RunOptions", "RunOutcome", "Worker", "execute", "failure_status", "plan_specs",
    "resume_run", "run_plugins", "run_specs", "start_run",
]
