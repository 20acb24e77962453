"""The stack's deploys and its destroy on the emulator, and where their time goes.

- Deploy: the project's pinned ``cdktf deploy`` (``--skip-synth`` when nothing that feeds the
  synth changed since the last one, see ``localcloud.synth``), with ``-parallelism`` raised for
  the emulator: most of an apply is the provider waiting on fixed timers (a KMS key's five
  consistent reads, a function's state, a VPC attribute), not the emulator working.
- Destroy: ``terraform destroy`` straight in the synthesized stack, initialized by the deploy,
  without the refresh: the state was written by this run's deploy against this emulator, so
  reading every resource back first (and cdktf's own start and ``terraform init``) is the larger
  half of a teardown that changes nothing.

Each run's lines are stamped (``localcloud.progress``) for the phase and resource-type breakdown.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.cdktf import classify_failure, echo_indented, run_cdktf
from localcloud.emulator import UnimplementedWatch
from localcloud.errors import LocalCloudError
from localcloud.progress import Progress
from localcloud.synth import WHAT, SynthRecord, inputs_fingerprint

PARALLELISM = 30
"""Terraform's ``-parallelism`` against the emulator (Terraform's default is 10)."""


@dataclass
class Outcome:
    """How one deploy or destroy went."""

    status: int
    lines: list[str]
    progress: Progress
    synth_skipped: bool = False
    stuck_on: str | None = None
    notes: list[str] = field(default_factory=list)

    def breakdown(self) -> str:
        """The phases, on one line: ``synth 0.0 s (skipped), init 2.1 s, ...``."""
        parts = []
        for phase, seconds in self.progress.phases().items():
            note = " (skipped)" if phase == "synth" and self.synth_skipped else ""
            parts.append(f"{phase} {seconds:.1f} s{note}")
        return ", ".join(parts)


class Deployer:  # pylint: disable=too-many-instance-attributes
    """Deploys ``stack`` of the project at ``root`` onto the emulator ``env`` points at."""

    def __init__(
        self,
        root: Path,
        stack: str,
        cdktf: list[str],
        work: Path,
        *,
        parallelism: int = PARALLELISM,
        on_start=None,
    ):
        self.root = Path(root)
        self.stack = stack
        self.cdktf = cdktf
        self.work = Path(work)
        self.parallelism = parallelism
        self.on_start = on_start
        self.record = SynthRecord(self.work / "synth.json")

    @property
    def stack_dir(self) -> Path:
        """Where the synth writes the stack (and Terraform runs)."""
        return self.root / "cdktf.out" / "stacks" / self.stack

    def deploy(
        self,
        env: dict[str, str],
        outputs_file: Path,
        *,
        emulator_log: Path | None = None,
        abort=None,
        echo=echo_indented,
    ) -> Outcome:
        """Run ``cdktf deploy``; the synth is skipped when its inputs did not change."""
        inputs = inputs_fingerprint(self.root, env)
        skip = self.record.current(inputs, self.stack_dir)
        notes = []
        if skip:
            notes.append(
                f"synth skipped: {WHAT} are unchanged since the synth of {self.record.since()}"
            )
        command = [
            *self.cdktf,
            "deploy",
            self.stack,
            "--auto-approve",
            "--skip-provider-lock",
            "--terraform-parallelism",
            str(self.parallelism),
            "--outputs-file",
            str(outputs_file.relative_to(self.root)),
            *(["--skip-synth"] if skip else []),
        ]
        progress = Progress()
        watch = UnimplementedWatch(emulator_log, abort) if emulator_log and abort else None
        if watch:
            watch.start()
        try:
            status, lines = run_cdktf(
                command,
                self.root,
                env,
                self.work / "deploy.log",
                echo=_both(progress.feed, echo),
                on_start=self.on_start,
            )
        finally:
            if watch:
                watch.stop()
            progress.finish()
        if "synth" in progress.marks:  # the synth (or its skip) got as far as terraform init
            self.record.save(inputs, self.stack_dir)
        else:
            self.record.forget()
        return Outcome(status, lines, progress, skip, watch.action if watch else None, notes)

    def destroy(self, env: dict[str, str], echo=echo_indented) -> Outcome:
        """Run ``terraform destroy`` in the deployed stack, without a refresh."""
        terraform = shutil.which("terraform", path=env.get("PATH"))
        if not terraform or not (self.stack_dir / ".terraform").is_dir():
            raise LocalCloudError(
                f"there is no initialized Terraform stack in {self.stack_dir} to destroy"
            )
        command = [
            terraform,
            "destroy",
            "-auto-approve",
            "-input=false",
            "-refresh=false",
            f"-parallelism={self.parallelism}",
            *([] if sys.stdout.isatty() else ["-no-color"]),
        ]
        progress = Progress()
        try:
            status, lines = run_cdktf(
                command,
                self.stack_dir,
                env,
                self.work / "destroy.log",
                echo=_both(progress.feed, echo),
                on_start=self.on_start,
            )
        finally:
            progress.finish()
        return Outcome(status, lines, progress)

    def failure(self, outcome: Outcome, emulator_log: Path | None = None) -> LocalCloudError:
        """The one-sentence error for a deploy that failed."""
        if outcome.stuck_on:
            text = "\n".join(outcome.lines)
            stuck = sorted(set(re.findall(r"(aws_\w+)\.[\w-]+: Still creating", text)))
            needed_by = f" for {', '.join(stuck)}" if stuck else ""
            return LocalCloudError(
                f"The deploy of {self.stack} cannot finish on the emulator: moto does not "
                f"implement the {outcome.stuck_on} action that Terraform keeps retrying"
                f"{needed_by} (see {emulator_log}); leave that resource out of the local stack."
            )
        return classify_failure(self.stack, outcome.lines)


def _both(first, second):
    def call(line: str) -> None:
        first(line)
        if second:
            second(line)

    return call
