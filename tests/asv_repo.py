"""A throw-away git repository of modbench in which one commit makes an entry slower on purpose.

Used by the slow end-to-end test (``asv run`` over its commits, then ``modbench history`` and
``asv continuous`` must flag the slow commit) and to regenerate ``tests/fixtures/asv_results``:

    .venv/bin/python -m tests.asv_repo /tmp/asv-fixture --fixture tests/fixtures/asv_results

The repository holds three commits: the modbench tree as it is here, the slowdown (``conv2d``
runs its forward four times), and an unrelated change after it, so the regression is seen to persist.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("src/modbench", "benchmarks", "pyproject.toml", "README.md", "asv.conf.json", ".gitignore")
MACHINE = "fixture"
SLOWED_ENTRY = "conv2d"
CONTROL_ENTRY = "ghost"
# What the test and the fixture run: the slowed entry and a control, timed and counted.
BENCHMARKS = rf"Infer\.time_infer\('({SLOWED_ENTRY}|{CONTROL_ENTRY})'\)|Counts\.track_params\('({SLOWED_ENTRY}|{CONTROL_ENTRY})'\)"
FIRST_DATE = 1_767_225_600  # 2026-01-01: commits one hour apart, so dates order them too

SLOWDOWN = f'''

# Slowed on purpose (tests/asv_repo.py): {SLOWED_ENTRY} runs its forward four times.
import dataclasses as _dataclasses

from modbench.catalog import registry as _registry


def _three_more_forwards(module, args):
    for _ in range(3):
        module.forward(*args)


def _slowed(factory):
    def build(**config):
        module = factory(**config)
        module.register_forward_pre_hook(_three_more_forwards)
        return module

    return build


_entry = _registry._entries["{SLOWED_ENTRY}"]
_registry._entries["{SLOWED_ENTRY}"] = _dataclasses.replace(_entry, factory=_slowed(_entry.factory))
'''


@dataclass(frozen=True)
class SlowedRepo:
    """The repository, its commits oldest first, and the environment asv must run with."""

    path: Path
    commits: list[str]
    env: dict[str, str]

    @property
    def slowed(self) -> str:
        """The commit that made the entry slower."""
        return self.commits[1]

    def asv(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run ``asv ARGS`` in the repository (the asv of this interpreter's environment)."""
        return subprocess.run(
            [str(Path(sys.executable).with_name("asv")), *args],
            cwd=self.path, env=self.env, capture_output=True, text=True, timeout=timeout,
        )


def build_test_repo(path: Path) -> SlowedRepo:
    """Copy modbench into ``path``, commit it three times (the second commit slows an entry), set up asv."""
    path.mkdir(parents=True, exist_ok=True)
    for item in COPIED:
        source, target = ROOT / item, path / item
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, target)
    home = path / ".home"  # asv machine --yes writes ~/.asv-machine.json; keep it out of the real home
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "GIT_AUTHOR_NAME": "modbench", "GIT_AUTHOR_EMAIL": "modbench@localhost",
           "GIT_COMMITTER_NAME": "modbench", "GIT_COMMITTER_EMAIL": "modbench@localhost"}
    (path / ".gitignore").write_text((path / ".gitignore").read_text() + "/.home/\n")
    _git(path, env, "init", "-q", "-b", "main")
    commits = [_commit(path, env, "modbench as it is", 0)]
    with (path / "src/modbench/catalog/__init__.py").open("a") as families:
        families.write(SLOWDOWN)
    commits.append(_commit(path, env, f"Make {SLOWED_ENTRY} slower on purpose", 1))
    with (path / "README.md").open("a") as readme:
        readme.write("\nAn unrelated change after the slowdown.\n")
    commits.append(_commit(path, env, "Unrelated change", 2))
    repo = SlowedRepo(path, commits, env)
    machine = repo.asv("machine", "--yes", "--machine", MACHINE)
    if machine.returncode != 0:
        raise RuntimeError(f"asv machine failed: {machine.stderr or machine.stdout}")
    return repo


def _git(path: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, env=env, capture_output=True, text=True, check=True).stdout.strip()


def _commit(path: Path, env: dict[str, str], message: str, index: int) -> str:
    date = f"@{FIRST_DATE + 3600 * index} +0000"
    dated = {**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    _git(path, dated, "add", "-A")
    _git(path, dated, "commit", "-q", "-m", message)
    return _git(path, env, "rev-parse", "HEAD")


def run_asv_over_commits(repo: SlowedRepo) -> subprocess.CompletedProcess[str]:
    """``asv run`` over every commit of ``repo``, samples recorded, for :data:`BENCHMARKS` only."""
    return repo.asv("run", "--record-samples", "--machine", MACHINE, "--bench", BENCHMARKS, "ALL", timeout=900)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="an empty directory for the test repository")
    parser.add_argument("--fixture", type=Path, help="copy the asv results here (replacing what is there)")
    args = parser.parse_args()
    repo = build_test_repo(args.path)
    completed = run_asv_over_commits(repo)
    print(completed.stdout[-3000:], completed.stderr[-3000:], sep="\n")
    if args.fixture:
        shutil.rmtree(args.fixture, ignore_errors=True)
        shutil.copytree(repo.path / ".asv/results", args.fixture)
        (args.fixture / "COMMITS").write_text("".join(f"{commit}\n" for commit in repo.commits))
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
