"""The runner's stack on the emulator: deployed once at the start (and again by watch mode), its
outputs files written from each deploy, destroyed at the teardown when asked (``--destroy``);
what each said and took, for the user and for ``ready.json``/``teardown.json``."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say, shown
from localcloud.deploy.cdktf import classify_failure, flatten_outputs
from localcloud.deploy.deployer import Deployer, Outcome
from localcloud.deploy.progress import Progress
from localcloud.deploy.progress_display import ProgressDisplay


class Stack:
    """``deployer``'s stack, deployed with ``env`` (which points at the emulator); cdktf's and
    Terraform's own lines go to the logs, their progress to ``display`` (None: nothing shown)."""

    def __init__(
        self, deployer: Deployer, env: dict[str, str], display: ProgressDisplay | None = None
    ):
        self.deployer = deployer
        self.env = env
        self.display = display
        self.echo = display.echo if display else None
        self.deployed = False
        self.outputs: dict = {}
        """The stack's outputs, by name (the flat outputs file)."""

    @property
    def name(self) -> str:
        """The stack's name."""
        return self.deployer.stack

    def deploy(self, timings: dict) -> None:
        """The first deploy; its times go into ``timings``."""
        files = self.deployer.files
        files.outputs_dir.mkdir(parents=True, exist_ok=True)
        files.all_outputs.unlink(missing_ok=True)
        started = time.monotonic()
        outcome = self._deploy()
        timings["deploy_s"] = round(time.monotonic() - started, 2)
        timings["synth_skipped"] = outcome.synth_skipped
        timings["deploy_phases"] = outcome.progress.phases()
        timings["deploy_resources"] = outcome.progress.by_type()
        say(
            f"deployed {outcome.progress.done} resources in {timings['deploy_s']:.1f} s "
            f"({outcome.breakdown()})"
        )
        say(f"slowest: {outcome.progress.summary()}")

    def adopt(self) -> None:
        """Serve what an earlier run deployed, its outputs file put back (a warm start,
        ``localcloud.deploy.warm``): destroyed at the teardown like a deploy of this run."""
        files = self.deployer.files
        self.outputs = flatten_outputs(files.all_outputs, files.flat_outputs, self.name)
        self.deployed = True

    def redeploy(self) -> str:
        """Watch mode's incremental deploy; what it changed."""
        return self._deploy().progress.changes()

    def _showing(self, what: str, log: Path, progress: Progress, verb: str):
        if self.display is None:
            return contextlib.nullcontext()
        return self.display.showing(what, shown(log), progress, verb)

    def _failed(self, log: Path, outcome: Outcome) -> None:
        """Terraform's output in full, after a run that failed."""
        if self.display is not None:
            self.display.replay(shown(log), outcome.lines)

    def _deploy(self) -> Outcome:
        """One cdktf deploy, its progress shown; the outputs files written from it."""
        progress = Progress()
        log = self.deployer.files.deploy_log
        with self._showing(f"deploying {self.name}", log, progress, "apply"):
            outcome = self.deployer.deploy(self.env, echo=self.echo, progress=progress)
        for note in outcome.notes:
            say(note)
        if outcome.status != 0 or outcome.stuck_on:
            self._failed(log, outcome)
            raise self.deployer.failure(outcome)
        self.deployed = True
        files = self.deployer.files
        self.outputs = flatten_outputs(files.all_outputs, files.flat_outputs, self.name)
        return outcome

    def destroy(self, timings: dict) -> str | None:
        """Destroy what was deployed (a deploy that failed or was interrupted is not: stopping
        the emulator and removing the state leaves nothing of it either), then check that
        Terraform's state holds no resource any more; times go into ``timings``. What went
        wrong, in a sentence (None: nothing is left)."""
        if not self.deployed:
            return None
        started = time.monotonic()
        progress = Progress(steps=("plan", "apply"))
        log = self.deployer.files.destroy_log
        try:
            with self._showing(f"destroying {self.name}", log, progress, "destroy"):
                outcome = self.deployer.destroy(self.env, echo=self.echo, progress=progress)
        except LocalCloudError as error:
            say(f"destroy skipped: {error}")
            return f"the destroy could not run: {error}"
        timings["destroy_s"] = round(time.monotonic() - started, 2)
        timings["destroy_phases"] = outcome.progress.phases()
        timings["destroy_resources"] = outcome.progress.by_type()
        if outcome.status != 0:
            self._failed(log, outcome)
            problem = f"the destroy failed ({classify_failure(self.name, outcome.lines)})"
            say(f"{problem}; the emulator is stopped anyway, so nothing is left")
            return problem
        left = resources_in_state(self.deployer.files.state_file)
        if left:
            problem = f"the destroy left {len(left)} resources in Terraform's state: " + ", ".join(
                left[:5]
            )
            say(problem)
            return problem
        say(
            f"destroyed {outcome.progress.done} resources in {timings['destroy_s']:.1f} s "
            f"({outcome.breakdown('destroy')}); Terraform's state holds none"
        )
        return None


def resources_in_state(state_file: Path) -> list[str]:
    """The resources (``type.name``) Terraform's state file still holds; a state that cannot be
    read counts as one left."""
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"(unreadable state: {error})"]
    return [
        f"{'data.' if item.get('mode') == 'data' else ''}{item.get('type')}.{item.get('name')}"
        for item in state.get("resources", [])
        if item.get("instances")
    ]
