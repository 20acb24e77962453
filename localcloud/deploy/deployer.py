"""The stack's deploys and its destroy on the emulator, and where their time goes.

- Deploy: the project's pinned ``cdktf deploy`` (``--skip-synth`` when nothing that feeds the
  synth changed since the last one, see ``localcloud.deploy.synth``), with ``-parallelism`` raised
  for the emulator: most of an apply is the provider waiting on fixed timers (a KMS key's five
  consistent reads, a function's state, a VPC attribute), not the emulator working.
- Destroy: ``terraform destroy`` straight in the synthesized stack, initialized by the deploy,
  without the refresh: the state was written by this run's deploy against this emulator, so
  reading every resource back first (and cdktf's own start and ``terraform init``) is the larger
  half of a teardown that changes nothing.

The deploy's apply speaks Terraform's JSON UI (``APPLY_UI``): no rendered plan before the first
create. Each run's lines are stamped (``localcloud.deploy.progress``) for the phase and
resource-type breakdown, and kept stamped (``deploy-times.log``, read by ``bench.deploy_path``).
"""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say
from localcloud.base.processes import RunningChild
from localcloud.base.run_files import RunFiles
from localcloud.deploy.cdktf import (
    classify_failure,
    echo_indented,
    run_cdktf,
    synthesized_stack,
    terraform_error,
)
from localcloud.deploy.progress import Progress
from localcloud.deploy.synth import WHAT, SynthRecord, inputs_fingerprint
from localcloud.emulator.process import UnimplementedWatch

PARALLELISM = 30
"""Terraform's ``-parallelism`` against the emulator (Terraform's default is 10)."""
STILL_CREATING = re.compile(r"(aws_\w+)\.[\w-]+(?: \([^)]*\))?: Still creating")
"""A resource the apply still waits for (cdktf may name its construct in brackets)."""
APPLY_UI = {"TF_CLI_ARGS_apply": "-json"}
"""``cdktf deploy``'s ``terraform apply`` speaks Terraform's JSON UI (Terraform puts
``TF_CLI_ARGS_apply`` right after ``apply``; ``-json`` needs the ``-auto-approve`` the deploy
passes). The human UI prints the whole plan before the first create, every attribute of every
resource (6,700 lines for the local stack), which cdktf relays line by line: seconds of CPU for
a plan nobody reads. With ``-json`` Terraform says one line per planned change, and cdktf prints
each event's message (``aws_x.y: Plan to create``, ``Creating...``, ``Error: <summary>``)."""


@dataclass
class Outcome:
    """How one deploy or destroy went."""

    status: int
    lines: list[str]
    progress: Progress
    synth_skipped: bool = False
    stuck_on: str | None = None
    notes: list[str] = field(default_factory=list)

    def breakdown(self, verb: str = "apply") -> str:
        """The phases, on one line: ``synth 3.9 s, init 2.1 s, ...`` (the apply named by
        ``verb``; a skipped synth is said on a line of its own, ``notes``)."""
        parts = []
        for phase, seconds in self.progress.phases().items():
            parts.append(f"{verb if phase == 'apply' else phase} {seconds:.1f} s")
        return ", ".join(parts)


class Deployer:
    """Deploys ``stack`` of the project at ``root`` onto the emulator ``env`` points at, with the
    ``cdktf`` command; its logs and synth record are the run's (``files``). ``child``: the cdktf
    or Terraform process running now, if any."""

    def __init__(
        self,
        root: Path,
        stack: str,
        cdktf: list[str],
        files: RunFiles,
        *,
        parallelism: int = PARALLELISM,
    ):
        self.root = Path(root)
        self.stack = stack
        self.cdktf = cdktf
        self.files = files
        self.parallelism = parallelism
        self.record = SynthRecord(files.synth_record)
        self.child = RunningChild()
        self.inputs = ""
        """The fingerprint of what the last deploy read (``localcloud.deploy.synth``)."""

    @property
    def stack_dir(self) -> Path:
        """Where the synth writes the stack (and Terraform runs)."""
        return synthesized_stack(self.root, self.stack)

    def deploy(
        self, env: dict[str, str], echo=echo_indented, progress: Progress | None = None
    ) -> Outcome:
        """Run ``cdktf deploy`` (its outputs file: the run's); the synth is skipped when its
        inputs did not change. A deploy stuck on an action the emulator lacks is stopped.
        ``progress``: what reads its lines (the display's), else a new one."""
        inputs = self.inputs = inputs_fingerprint(self.root, env)
        skip = self.record.current(inputs, self.stack_dir)
        notes = []
        if skip:
            notes.append(f"synth skipped: {WHAT} unchanged since {self.record.since()}")
        command = [
            *self.cdktf,
            "deploy",
            self.stack,
            "--auto-approve",
            "--skip-provider-lock",
            "--terraform-parallelism",
            str(self.parallelism),
            "--outputs-file",
            str(self.files.all_outputs.relative_to(self.root)),
            *(["--skip-synth"] if skip else []),
        ]
        watch = UnimplementedWatch(self.files.emulator_log, self._abort)
        status, lines, progress = self._run(
            command,
            self.root,
            self.files.deploy_log,
            env={**env, **APPLY_UI},
            echo=echo,
            watch=watch,
            progress=progress,
        )
        with contextlib.suppress(OSError):
            progress.write_stamped(self.files.deploy_times)
        if "synth" in progress.marks:  # the synth (or its skip) got as far as terraform init
            self.record.save(inputs, self.stack_dir)
        else:
            self.record.forget()
        return Outcome(status, lines, progress, skip, watch.action, notes)

    def destroy(
        self, env: dict[str, str], echo=echo_indented, progress: Progress | None = None
    ) -> Outcome:
        """Run ``terraform destroy`` in the deployed stack, without a refresh."""
        command = [
            self._terraform(env, "destroy"),
            "destroy",
            "-auto-approve",
            "-input=false",
            "-refresh=false",
            f"-parallelism={self.parallelism}",
            "-no-color",  # for destroy.log; the runner shows its progress
        ]
        status, lines, progress = self._run(
            command, self.stack_dir, self.files.destroy_log, env=env, echo=echo, progress=progress
        )
        return Outcome(status, lines, progress)

    def plan(self, env: dict[str, str]) -> tuple[int, str]:
        """``terraform plan -detailed-exitcode`` of the deployed stack (0: nothing to change, 2:
        changes, 1: failed; its lines in ``plan.log``), and its summary line."""
        try:
            terraform = self._terraform(env, "plan")
        except LocalCloudError as error:
            return 1, str(error)
        command = [
            terraform,
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-lock=false",
            f"-parallelism={self.parallelism}",
            "-no-color",
        ]
        status, lines, _ = self._run(
            command, self.stack_dir, self.files.plan_log, env=env, echo=None
        )
        said = [line.strip() for line in lines if line.strip().startswith(("Plan:", "No changes"))]
        if said:
            return status, said[-1]
        return status, terraform_error(lines) if lines else f"exit status {status}"

    def _terraform(self, env: dict[str, str], what: str) -> str:
        """Terraform, to run in the stack initialized by a deploy."""
        terraform = shutil.which("terraform", path=env.get("PATH"))
        if not terraform or not (self.stack_dir / ".terraform").is_dir():
            raise LocalCloudError(
                f"there is no initialized Terraform stack in {self.stack_dir} to {what}"
            )
        return terraform

    def _run(
        self, command: list[str], cwd: Path, log_path: Path, *, env, echo, watch=None, progress=None
    ) -> tuple[int, list[str], Progress]:
        """Run ``command`` as ``child``, its lines stamped by ``progress`` (and watched)."""
        progress = progress or Progress()
        if watch:
            watch.start()
        try:
            status, lines = run_cdktf(
                command,
                cwd,
                env,
                log_path,
                echo=_both(progress.feed, echo),
                on_start=self.child.started,
            )
        finally:
            self.child.finished()
            if watch:
                watch.stop()
            progress.finish()
        return status, lines, progress

    def _abort(self) -> None:
        if self.child.process is not None:
            say("the emulator cannot answer what Terraform keeps asking for; stopping the deploy")
            self.child.stop()

    def failure(self, outcome: Outcome) -> LocalCloudError:
        """The one-sentence error for a deploy that failed."""
        if outcome.stuck_on:
            text = "\n".join(outcome.lines)
            stuck = sorted(set(STILL_CREATING.findall(text)))
            needed_by = f" for {', '.join(stuck)}" if stuck else ""
            return LocalCloudError(
                f"The deploy of {self.stack} cannot finish on the emulator: moto does not "
                f"implement the {outcome.stuck_on} action that Terraform keeps retrying"
                f"{needed_by} (see {self.files.emulator_log}); leave that resource out of the "
                "local stack."
            )
        return classify_failure(self.stack, outcome.lines)


def _both(first, second):
    def call(line: str) -> None:
        first(line)
        if second:
            second(line)

    return call
