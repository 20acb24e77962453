"""Warm start: the local cloud back in its deployed state in seconds, without Terraform, when
nothing that the deploy reads has changed since the last successful one.

After each cold deploy the runner keeps, in ``.localcloud/warm/``: the emulator's whole state
(``localcloud.emulator.state``, saved by the emulator between two requests, before anything but
the deploy touched it), Terraform's state and the stack's outputs as that deploy left them, and a
record of what the deploy read (the synth's fingerprints, ``localcloud.deploy.synth``: ``main.py``,
``stacks/``, ``handlers/``, ``cdktf.json``, the lock files, the ``ECOMMERCE_*`` variables, and
what the synth wrote), the stack and the region.

The next start whose fingerprints, stack and region match starts the emulator from that state,
puts Terraform's state and the outputs back, and serves at once. Then, in the background,
``terraform plan`` must find nothing to change; if it does (or cannot run), the runner says so,
forgets the snapshot and deploys (Terraform applies the difference onto the running emulator).
A snapshot that cannot be restored is said and forgotten, and the start goes on cold. ``--cold``
ignores the snapshot (and replaces it); ``--down --forget`` removes it.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say
from localcloud.base.processes import AT_ONCE, GENTLE, RunningChild
from localcloud.base.run_files import RunFiles
from localcloud.deploy.synth import inputs_fingerprint, output_fingerprint

PLAN_CHANGES = 2
"""``terraform plan -detailed-exitcode``: the plan has changes."""


class Snapshot:
    """``.localcloud/warm/`` of the run's ``files``, for ``stack`` in ``region``."""

    def __init__(self, files: RunFiles, stack: str, region: str):
        self.files = files
        self.stack = stack
        self.region = region
        self.folder = files.warm
        self.record = self.folder / "warm.json"
        self.emulator_state = self.folder / "emulator.pickle"
        """Where the emulator writes its state (and reads it back)."""
        self.terraform_state = self.folder / "state"
        self.outputs = self.folder / "all-outputs.json"

    def unusable(self, inputs: str, stack_dir: Path) -> str | None:
        """Why the snapshot cannot bring back what a deploy of ``inputs`` would (None: it can)."""
        try:
            record = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "no snapshot of a deploy" if not self.folder.exists() else "no usable snapshot"
        if (record.get("stack"), record.get("region")) != (self.stack, self.region):
            return f"the snapshot is of {record.get('stack')} in {record.get('region')}"
        if record.get("inputs") != inputs or record.get("output") != output_fingerprint(stack_dir):
            return "what the deploy reads changed since the snapshot"
        missing = [p.name for p in self.parts() if not p.exists()]
        if missing:
            return f"the snapshot lacks {', '.join(missing)}"
        return None

    def parts(self) -> tuple[Path, ...]:
        """The files the snapshot is made of, besides its record."""
        return (self.emulator_state, self.terraform_state, self.outputs)

    def since(self) -> str:
        """When the snapshot was taken, for the user."""
        try:
            return json.loads(self.record.read_text(encoding="utf-8")).get("at", "?")
        except (OSError, ValueError):
            return "?"

    def keep(self, emulator, inputs: str, stack_dir: Path) -> float:
        """Take the snapshot of the deploy that just finished (the record last: a snapshot
        interrupted halfway has none, so it is never used); seconds it took."""
        started = time.monotonic()
        self.forget()
        self.folder.mkdir(parents=True)
        emulator.save_state()
        shutil.copytree(self.files.state_dir, self.terraform_state)
        shutil.copy2(self.files.all_outputs, self.outputs)
        record = {
            "stack": self.stack,
            "region": self.region,
            "inputs": inputs,
            "output": output_fingerprint(stack_dir),
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.files.write_json(self.record, record)
        return time.monotonic() - started

    def put_back(self) -> None:
        """Terraform's state and the outputs file as the snapshot's deploy left them."""
        shutil.rmtree(self.files.state_dir, ignore_errors=True)
        shutil.copytree(self.terraform_state, self.files.state_dir)
        self.files.outputs_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.outputs, self.files.all_outputs)

    def forget(self) -> None:
        """Remove the snapshot."""
        shutil.rmtree(self.folder, ignore_errors=True)


class PlanCheck(threading.Thread):
    """In the background, after a warm start: ``plan()`` (a ``terraform plan
    -detailed-exitcode`` of the stack, returning its exit status and last lines) must find
    nothing to change; when it does, or fails, ``snapshot`` is forgotten and ``deploy()`` runs.
    ``tell``: the runner's output; ``child``: the process either runs as (the deployer's), which
    ``stop()`` stops at the teardown."""

    def __init__(self, snapshot: Snapshot, *, plan, deploy, tell, child: RunningChild):
        super().__init__(name="warm-plan-check", daemon=True)
        self.snapshot = snapshot
        self.plan = plan
        self.deploy = deploy
        self.say = tell
        self.child = child
        self.planning = True
        self.stopped = threading.Event()
        self.outcome: str | None = None
        """``unchanged``, ``redeployed`` or ``failed`` once done."""

    def run(self) -> None:
        started = time.monotonic()
        status, summary = self.plan()
        self.planning = False
        if self.stopped.is_set():
            return
        seconds = time.monotonic() - started
        if status == 0:
            self.outcome = "unchanged"
            self.say(
                f"warm start checked: terraform plan finds nothing to change ({seconds:.1f} s)"
            )
            return
        why = "finds changes" if status == PLAN_CHANGES else "failed"
        self.say(
            f"warm start: terraform plan {why} ({summary}); forgetting the snapshot and "
            "deploying onto the running emulator"
        )
        self.snapshot.forget()
        if self.stopped.is_set():
            return
        try:
            what = self.deploy()
        except LocalCloudError as error:
            if not self.stopped.is_set():
                self.outcome = "failed"
                self.say(f"warm start: the deploy failed too: {error}")
            return
        if not self.stopped.is_set():
            self.outcome = "redeployed"
            self.say(f"warm start: deployed ({what}); the next start is cold")

    def stop(self) -> None:
        """Say nothing more, start nothing more, and stop what runs: the plan at once (it writes
        nothing: no lock, no state, and the emulator it reads is going), a deploy gently
        (Terraform keeps its state on SIGINT)."""
        self.stopped.set()
        self.child.stop(AT_ONCE if self.planning else GENTLE)


class WarmStart:
    """The runner's warm start (see the module docstring): ``start()`` instead of the emulator's
    start and the deploy when it can; ``keep()`` after a cold deploy; ``check()`` once serving;
    ``stop()`` at the teardown."""

    def __init__(self, runner):
        self.runner = runner
        self.snapshot = Snapshot(runner.files, runner.options.stack, runner.region)
        self.used = False
        self.checker: PlanCheck | None = None

    def start(self) -> bool:
        """Bring the emulator back from the snapshot; False (said) when it cannot be."""
        runner = self.runner
        deployer = runner.stack.deployer
        inputs = inputs_fingerprint(runner.root, runner.env)
        why = (
            "--cold" if runner.options.cold else self.snapshot.unusable(inputs, deployer.stack_dir)
        )
        if why:
            if runner.options.cold or self.snapshot.folder.exists():
                say(f"cold start: {why}")
            return False
        say(
            f"warm start from the snapshot of {self.snapshot.since()} (what the deploy reads "
            "is unchanged); terraform plan checks it in the background"
        )
        started = time.monotonic()
        try:
            runner.start_emulator(restore=True)
            self.snapshot.put_back()
            runner.stack.adopt()
        except (LocalCloudError, OSError) as error:
            say(f"the snapshot cannot be restored ({error}); forgetting it and deploying cold")
            self.snapshot.forget()
            if runner.emulator is not None:
                runner.emulator.stop()
                runner.emulator = None
            return False
        runner.timings.update(start="warm", deploy_s=0.0)
        runner.timings["restore_s"] = round(time.monotonic() - started, 2)
        self.used = True
        return True

    def keep(self) -> None:
        """Snapshot the deploy that just succeeded, for the next start."""
        runner = self.runner
        deployer = runner.stack.deployer
        runner.timings["start"] = "cold"
        try:
            seconds = self.snapshot.keep(runner.emulator, deployer.inputs, deployer.stack_dir)
        except (LocalCloudError, OSError) as error:
            self.snapshot.forget()
            say(f"no snapshot for a warm start next time: {error}")
            return
        runner.timings["snapshot_s"] = round(seconds, 2)
        say(f"kept a snapshot of the deploy for the next (warm) start in {seconds:.1f} s")

    def check(self) -> None:
        """After a warm start: the plan in the background (``PlanCheck``)."""
        if not self.used:
            return
        runner = self.runner
        self.checker = PlanCheck(
            self.snapshot,
            plan=lambda: runner.stack.deployer.plan(runner.env),
            deploy=runner.stack.redeploy,
            tell=say,
            child=runner.stack.deployer.child,
        )
        self.checker.start()

    def stop(self) -> None:
        """Stop the check (and its plan or deploy) if it still runs."""
        if self.checker is not None and self.checker.is_alive():
            self.checker.stop()
            self.checker.join(60)
