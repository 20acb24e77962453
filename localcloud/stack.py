"""The runner's stack on the emulator: deployed once at the start (and again by watch mode), its
outputs files written from each deploy, destroyed at the teardown; what each said and took, for
the user and for ``ready.json``/``teardown.json``."""

from __future__ import annotations

import time

from localcloud.cdktf import classify_failure, echo_indented, flatten_outputs
from localcloud.deployer import Deployer, Outcome
from localcloud.errors import LocalCloudError
from localcloud.output import say


class Stack:
    """``deployer``'s stack, deployed with ``env`` (which points at the emulator); ``quiet``:
    cdktf's and Terraform's own lines go to the logs only."""

    def __init__(self, deployer: Deployer, env: dict[str, str], quiet: bool = False):
        self.deployer = deployer
        self.env = env
        self.echo = None if quiet else echo_indented
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
        say(f"deploying {self.name} onto the emulator with cdktf (Terraform's progress follows)")
        started = time.monotonic()
        outcome = self._deploy()
        timings["deploy_s"] = round(time.monotonic() - started, 2)
        timings["synth_skipped"] = outcome.synth_skipped
        timings["deploy_phases"] = outcome.progress.phases()
        timings["deploy_resources"] = outcome.progress.by_type()
        say(f"deployed in {timings['deploy_s']} s: {outcome.breakdown()}")
        say(f"slowest resources: {outcome.progress.summary()}")

    def adopt(self) -> None:
        """Serve what an earlier run deployed, its outputs file put back (a warm start,
        ``localcloud.warm``): destroyed at the teardown like a deploy of this run."""
        files = self.deployer.files
        self.outputs = flatten_outputs(files.all_outputs, files.flat_outputs, self.name)
        self.deployed = True

    def redeploy(self) -> str:
        """Watch mode's incremental deploy; what it changed."""
        return self._deploy().progress.changes()

    def _deploy(self) -> Outcome:
        """One cdktf deploy; the outputs files written from it."""
        outcome = self.deployer.deploy(self.env, echo=self.echo)
        for note in outcome.notes:
            say(note)
        if outcome.status != 0 or outcome.stuck_on:
            raise self.deployer.failure(outcome)
        self.deployed = True
        files = self.deployer.files
        self.outputs = flatten_outputs(files.all_outputs, files.flat_outputs, self.name)
        return outcome

    def destroy(self, timings: dict) -> None:
        """Destroy what was deployed (a deploy that failed or was interrupted is not: stopping
        the emulator and removing the state leaves nothing of it either); times go into
        ``timings``."""
        if not self.deployed:
            return
        say(f"destroying {self.name} on the emulator with Terraform ...")
        started = time.monotonic()
        try:
            outcome = self.deployer.destroy(self.env, echo=self.echo)
        except LocalCloudError as error:
            say(f"destroy skipped: {error}")
            return
        timings["destroy_s"] = round(time.monotonic() - started, 2)
        timings["destroy_phases"] = outcome.progress.phases()
        timings["destroy_resources"] = outcome.progress.by_type()
        if outcome.status == 0:
            say(
                f"destroyed in {timings['destroy_s']} s: {outcome.breakdown()}; "
                f"slowest: {outcome.progress.summary(top=4)}"
            )
        else:
            say(
                f"the destroy failed ({classify_failure(self.name, outcome.lines)}); "
                "the emulator is stopped anyway, so nothing is left"
            )
