"""Where a run of the local cloud keeps its files in the project: ``.localcloud/`` (throwaway:
state, logs, extracted code, the files other shells read) and ``cfn-outputs/`` (the stack's
outputs, as a deploy to AWS writes them). Nothing else in the package spells these names.

Other shells (``--down``, ``--wait``, ``user``/``token``, the soak, CI) read:

- ``run.json``: the runner's pid and phase, and the emulator's pid and URL, while it runs;
- ``ready.json``: the API and emulator URLs, outputs paths and timings, once it serves;
- ``env``: shell exports (AWS_ENDPOINT_URL, the administrator's credentials, TF_CLI_CONFIG_FILE,
  API_BASE_URL) to run ``terraform plan`` or tests against it;
- ``last-error``: why the last run stopped before it served.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from localcloud import WORK_DIR_NAME


class _InWork:  # pylint: disable=too-few-public-methods  # a descriptor
    """A file or folder of the work folder, named once here."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, files: RunFiles, owner=None) -> Path:
        return files.work / self.name


class RunFiles:
    """The files of a run in project ``root`` (``ready_file``: where ``ready.json`` goes instead,
    as ``--ready-file`` asks)."""

    run_file = _InWork("run.json")
    env_file = _InWork("env")
    last_error = _InWork("last-error")
    lock = _InWork("lock")
    """Held by the running runner (``flock``); rewritten by each start."""
    terraform_config = _InWork("terraformrc")
    emulator_log = _InWork("emulator.log")
    deploy_log = _InWork("deploy.log")
    deploy_times = _InWork("deploy-times.log")
    """The last deploy's lines, each stamped with its seconds since the deploy began
    (``python -m bench.deploy_path`` reads its critical path and floor from it)."""
    destroy_log = _InWork("destroy.log")
    plan_log = _InWork("plan.log")
    """The plan that checks a warm start (``localcloud.deploy.warm``)."""
    teardown_file = _InWork("teardown.json")
    destroy_request = _InWork("destroy-asked")
    """Written by ``--down --destroy`` before it signals the runner: destroy the stack first."""
    synth_record = _InWork("synth.json")
    state_dir = _InWork("state")
    """The ``local`` stack's Terraform state (``stacks/base/config.py`` names it too)."""
    state_file = _InWork("state/terraform.tfstate")
    functions = _InWork("functions")
    """The functions' packages, extracted by the gateway."""
    packages = _InWork("packages")
    """Watch mode's packages of ``handlers/``."""
    warm = _InWork("warm")
    """The snapshot of the last deploy, for a warm start (``localcloud.deploy.warm``); outlives
    runs."""

    def __init__(self, root: Path, ready_file: Path | None = None):
        self.root = Path(root)
        self.work = self.root / WORK_DIR_NAME
        self.ready_file = Path(ready_file or self.work / "ready.json")
        self.outputs_dir = self.root / "cfn-outputs"
        self.all_outputs = self.outputs_dir / "all-outputs.json"
        self.flat_outputs = self.outputs_dir / "flat-outputs.json"

    def read_run(self) -> dict:
        """``run.json`` ({} when there is none, or it cannot be read)."""
        try:
            return self.read_json(self.run_file)
        except (OSError, ValueError):
            return {}

    @staticmethod
    def read_json(path: Path) -> dict:
        """One of the run's JSON files."""
        return json.loads(path.read_text(encoding="utf-8"))

    @staticmethod
    def write_json(path: Path, data: dict) -> None:
        """Write ``data`` to ``path`` at once (a reader never sees half of it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        partial.replace(path)

    def forget_last_run(self) -> None:
        """Remove the last run's error and logs, which a new run replaces."""
        for path in (self.last_error, self.deploy_log, self.destroy_log, self.plan_log):
            path.unlink(missing_ok=True)

    def run_state(self) -> tuple[Path, ...]:
        """What a run leaves only while it runs: the stack's state, the extracted and watched
        code, and the files that tell other shells it runs."""
        return (
            self.state_dir,
            self.functions,
            self.packages,
            self.ready_file,
            self.env_file,
            self.run_file,
            self.destroy_request,
        )

    def remove_run_state(self) -> None:
        """Remove ``run_state()``: after a teardown, or what a runner that died left behind."""
        for path in self.run_state():
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
