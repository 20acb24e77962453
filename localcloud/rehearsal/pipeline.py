"""The pipeline of ``.github/workflows/`` run on an emulator of its own, IAM enforced from the
first call, each step as the identity GitHub would have:

1. ``bootstrap``: the operator's one-time setup, as the emulator's administrator:
   ``ecommerce-bootstrap`` and ``ecommerce-account`` with a repository named (and, with
   ``--without``, the grants taken out of the CI roles);
2. ``assume``: each CI role's credentials from ``AssumeRoleWithWebIdentity`` with a token for the
   repository, ref and GitHub environment of the job that assumes it;
3. ``deploy dev``: ``scripts/ci/deploy.sh dev`` as the deploy role (main.yml), its state in the
   bootstrap's bucket;
4. ``diff dev`` and ``drift dev``: ``scripts/ci/diff.sh`` (pull-request.yml) and
   ``scripts/ci/drift.sh`` (drift.yml) as the plan role, finding nothing to change;
5. ``integration dev``: ``scripts/ci/integration.sh dev`` as the test role, against the deployed
   API served by the local gateway;
6. ``destroy dev``: ``cdktf destroy`` as the deploy role;
7. the delivery stacks, as the administrator (no workflow touches them: ``delivery``): what the
   bootstrap made, read through the API into ``delivery.json``; ``scripts/ci/drift.sh`` on both
   finding nothing (after dev's whole life beside them); the state bucket's versioning
   suspended by hand, found by ``drift.sh`` and filed as an issue through a stand-in ``gh``
   (its calls in ``gh-calls.txt``); then the bucket emptied of dev's state, both stacks
   destroyed, their state files then empty, and what is left read into ``delivery.json``.

A step whose command fails ends the run (what follows needs it), but for dev's destroy, which
follows any deploy of dev that worked; one that worked with calls denied fails too, but the run
goes on, so that one run names every refusal. The delivery stacks' steps come last, so that a
run that fails at dev's deploy costs nothing more. Each step's calls are the emulator's IAM log
lines of its identity (``report``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from localcloud.base import aws
from localcloud.deploy.cdktf import cdktf_command, environment, run_cdktf, terraform_error
from localcloud.deploy.stack import resources_in_state
from localcloud.deploy.terraform import provider_setup
from localcloud.emulator.process import Emulator
from localcloud.rehearsal import delivery, identity, report, without
from localcloud.rehearsal.identity import Job
from localcloud.rehearsal.report import Step
from localcloud.rehearsal.serving import Served

REPOSITORY = "acme/store-api"
STATE_BUCKET = "ecommerce-rehearsal-state"
ACCOUNT_ID = "123456789012"
ENVIRONMENT = "dev"
STACK = f"ecommerce-{ENVIRONMENT}"
DELIVERY_STACKS = ("ecommerce-bootstrap", "ecommerce-account")
READ_ROLE = "ecommerce-ci-prod-deploy"
"""The CI role whose trust and policies the delivery stacks' read records: prod's deploy role,
the one that guards the last environment."""
APP = Path(__file__).with_name("app.py")
ADMIN_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/{identity.ADMINISTRATOR}"
ROLES = {
    # duty: (role, the job that assumes it, as its token says)
    "deploy": (f"ecommerce-ci-{ENVIRONMENT}-deploy", Job(REPOSITORY, environment=ENVIRONMENT)),
    "plan": (f"ecommerce-ci-{ENVIRONMENT}-plan", Job(REPOSITORY, pull_request=True)),
    "drift": (f"ecommerce-ci-{ENVIRONMENT}-plan", Job(REPOSITORY)),
    "test": (f"ecommerce-ci-{ENVIRONMENT}-test", Job(REPOSITORY, environment=ENVIRONMENT)),
}
"""The roles the workflows assume for dev: main.yml's deploy and test jobs (GitHub environment
dev), pull-request.yml's diff (a pull request) and drift.yml's nightly plan (main)."""


def role_arn(name: str) -> str:
    """A role of the emulator's account."""
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


class Rehearsal:  # pylint: disable=too-many-instance-attributes
    """One rehearsal in ``work`` (its logs, state and synthesized stacks), ``removals`` taken out
    of the CI roles first; ``say``: where each step's line goes once it ran."""

    def __init__(
        self, root: Path, work: Path, removals=(), say: Callable[[Step], None] = lambda s: None
    ):
        self.root, self.work, self.removals, self.say = root, work, tuple(removals), say
        self.region = aws.DEFAULT_REGION
        self.calls_log = work / "iam-calls.jsonl"
        self.steps: list[Step] = []
        self.credentials: dict[str, dict[str, str]] = {"admin": aws.ADMIN_CREDENTIALS}
        self.emulator: Emulator | None = None
        self.env: dict[str, str] = {}
        self._offset = 0
        self._deployed = self._destroyed = False

    def run(self) -> list[Step]:
        """Every step until one fails; the steps run."""
        self.work.mkdir(parents=True, exist_ok=True)
        self.calls_log.unlink(missing_ok=True)
        self.emulator = Emulator(
            "127.0.0.1",
            0,
            self.work / "emulator.log",
            self.region,
            extra_env={"LOCALCLOUD_IAM_LOG": str(self.calls_log)},
        )
        try:
            self.emulator.start()
            self.env = self._environment()
            for run_step in self._plan():
                if not run_step():
                    break
            # A deployed dev is destroyed by its deploy role even when a later step failed (one
            # run names every refusal). Not after a failed deploy: main.yml stops there too, and
            # what it left goes with this run's emulator.
            if self._deployed and not self._destroyed:
                self.destroy()
        finally:
            self.emulator.stop()
        return self.steps

    def _plan(self) -> list[Callable[[], bool]]:
        steps = [self.synth, self.bootstrap]
        if self.removals:
            steps.append(self.take_out)
        steps += [lambda duty=duty: self.assume(duty) for duty in ROLES]
        steps += [self.deploy, self.diff, self.drift, self.integration, self.destroy]
        return [*steps, self.read_delivery, self.drift_delivery, self.drift_by_hand, self.teardown]

    def _environment(self) -> dict[str, str]:
        """cdktf's, Terraform's and the CI scripts' environment: the emulator, the rehearsal's
        bucket and repository, its own output folders; no ECOMMERCE_* of the caller's."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECOMMERCE_"))}
        env = environment(self.region, {}) | base | aws.region_env(self.region)
        env |= {
            "AWS_ENDPOINT_URL": self.emulator.url,
            # The S3 backend of dev's state: the emulator's S3, by path (no bucket host names).
            "AWS_ENDPOINT_URL_S3": self.emulator.url,
            "ECOMMERCE_STATE_BUCKET": STATE_BUCKET,
            "ECOMMERCE_GITHUB_REPOSITORY": REPOSITORY,
            "REHEARSAL_STATE_DIR": str(self.work / "state"),
            "CDKTF_OUT": str(self.work / "out"),
            "CI_OUT": str(self.work / "ci"),
            "OUTPUTS_FILE": str(self.work / "outputs.json"),
            "SKIP_SYNTH": "1",
            "SKIP_PROVIDER_LOCK": "1",
            "STACK": STACK,
        }
        changes, _ = provider_setup(env, self.work / "terraformrc")
        return env | changes

    def _as(self, duty: str) -> dict[str, str]:
        """The environment with ``duty``'s credentials (the S3 backend told to use paths)."""
        env = {k: v for k, v in self.env.items() if k not in aws.UNSET}
        env |= self.credentials[duty]
        if duty != "admin":
            env["TF_CLI_ARGS_init"] = "-backend-config=use_path_style=true"
        return env

    def _step(self, name: str, duty: str, action: Callable[[], tuple[bool, str]]) -> bool:
        """Run ``action`` as step ``name`` of ``duty``'s identity; record and say it."""
        role = identity.ADMINISTRATOR if duty == "admin" else ROLES[duty][0]
        principal = ADMIN_ARN if duty == "admin" else role_arn(role)
        step = Step(name, role)
        started = time.monotonic()
        try:
            step.ok, step.detail = action()
        except Exception as error:  # pylint: disable=broad-exception-caught  # a failed step
            step.ok, step.detail = False, f"{type(error).__name__}: {error}"
        step.seconds = time.monotonic() - started
        calls, self._offset = report.read_calls(self.calls_log, self._offset)
        step.calls = report.made_by(calls, (principal,))
        self.steps.append(step)
        self.say(step)
        # A step whose command worked goes on to the next even with refusals (the provider
        # tolerates some): one run names every refusal the pipeline meets.
        return step.ok

    def _run(
        self, name: str, duty: str, command: list[str], **extra: str
    ) -> tuple[bool, str, list[str]]:
        log = self.work / "logs" / f"{name.replace(' ', '-').replace(':', '')}.log"
        status, lines = run_cdktf(command, self.root, self._as(duty) | extra, log)
        return status == 0, "" if status == 0 else f"{terraform_error(lines)} (log: {log})", lines

    def _cdktf(self, name: str, duty: str, *args: str) -> tuple[bool, str]:
        command = [*cdktf_command(self.root, self.env), *args, "--output", self.env["CDKTF_OUT"]]
        return self._run(name, duty, command)[:2]

    def synth(self) -> bool:
        """The three stacks, synthesized once (``app.py``), as checks.yml's job would."""
        app = f"{sys.executable} {APP}"
        return self._step(
            "synth", "admin", lambda: self._cdktf("synth", "admin", "synth", "--app", app)
        )

    def bootstrap(self) -> bool:
        """The state bucket, then the account stack, by the administrator."""
        return self._step(
            "bootstrap " + ", ".join(DELIVERY_STACKS),
            "admin",
            lambda: self._cdktf(
                "bootstrap", "admin", "deploy", *DELIVERY_STACKS, "--skip-synth",
                "--skip-provider-lock", "--auto-approve",
            ),
        )  # fmt: skip

    def take_out(self) -> bool:
        """``--without``: the grants out of the environment's CI roles."""
        roles = sorted({role for role, _ in ROLES.values()})

        def edit() -> tuple[bool, str]:
            iam = aws.session(self.region).client("iam", endpoint_url=self.emulator.url)
            changed = without.apply(iam, roles, self.removals)
            return True, "; ".join(changed)

        listed = ",".join(str(r) for r in self.removals)
        return self._step(f"bootstrap: without {listed}", "admin", edit)

    def assume(self, duty: str) -> bool:
        """``duty``'s role, assumed with the token of the job that assumes it."""
        role, job = ROLES[duty]

        def get() -> tuple[bool, str]:
            self.credentials[duty] = identity.assume(
                self.emulator.url, self.region, role_arn(role), job, f"{duty}-rehearsal"
            )
            return True, ""

        return self._step(f"assume {role} ({job.subject.split(':', 2)[2]})", duty, get)

    def deploy(self) -> bool:
        """main.yml's deploy of dev."""
        command = ["bash", "scripts/ci/deploy.sh", ENVIRONMENT]
        self._deployed = self._step(
            f"deploy {ENVIRONMENT}", "deploy", lambda: self._run("deploy", "deploy", command)[:2]
        )
        return self._deployed

    def diff(self) -> bool:
        """pull-request.yml's diff of dev: nothing to change."""

        def check() -> tuple[bool, str]:
            ok, detail, _ = self._run("diff", "plan", ["bash", "scripts/ci/diff.sh", ENVIRONMENT])
            report_text = (self.work / "ci" / "diff.md").read_text(encoding="utf-8") if ok else ""
            if ok and "No changes" not in report_text:
                return False, f"the diff found changes (see {self.work / 'ci' / 'diff.md'})"
            return ok, detail

        return self._step(f"diff {ENVIRONMENT}", "plan", check)

    def drift(self) -> bool:
        """drift.yml's nightly plan of dev: no drift."""

        def check() -> tuple[bool, str]:
            ok, detail, lines = self._run(
                "drift", "drift", ["bash", "scripts/ci/drift.sh", ENVIRONMENT]
            )
            if ok and f"{STACK}: no changes" not in lines:
                return False, f"the plan found changes (see {self.work / 'ci'})"
            return ok, detail

        return self._step(f"drift {ENVIRONMENT}", "drift", check)

    def integration(self) -> bool:
        """main.yml's integration suite against dev, served by the local gateway."""

        def run() -> tuple[bool, str]:
            outputs = json.loads(Path(self.env["OUTPUTS_FILE"]).read_text(encoding="utf-8"))
            served = Served(
                self.emulator.url,
                self.region,
                outputs[STACK],
                Path(self.env["CDKTF_OUT"]) / "stacks" / STACK,
                self.work,
            )
            try:
                self.env["API_BASE_URL"] = served.url
                command = ["bash", "scripts/ci/integration.sh", ENVIRONMENT]
                ok, _, lines = self._run("integration", "test", command)
            finally:
                served.close()
            summary = next((line for line in reversed(lines) if " in " in line), "")
            return ok, "" if ok else summary.strip("= ")

        return self._step(f"integration {ENVIRONMENT}", "test", run)

    def destroy(self) -> bool:
        """dev destroyed by its deploy role."""
        self._destroyed = True
        return self._step(
            f"destroy {ENVIRONMENT}",
            "deploy",
            lambda: self._cdktf(
                "destroy",
                "deploy",
                "destroy",
                STACK,
                "--skip-synth",
                "--skip-provider-lock",
                "--auto-approve",
            ),
        )

    def _admin_clients(self, *services: str) -> list:
        session = aws.session(self.region)
        return [session.client(s, endpoint_url=self.emulator.url) for s in services]

    def _record(self, key: str, value) -> None:
        """``value`` under ``key`` in the run's ``delivery.json`` (what the test checks)."""
        path = self.work / "delivery.json"
        recorded = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        path.write_text(json.dumps(recorded | {key: value}, indent=2), encoding="utf-8")

    def read_delivery(self) -> bool:
        """What the bootstrap made, read by the administrator into ``delivery.json``."""

        def read() -> tuple[bool, str]:
            s3, iam, apigateway = self._admin_clients("s3", "iam", "apigateway")
            self._record("deployed", delivery.read(s3, iam, apigateway, STATE_BUCKET, READ_ROLE))
            return True, ""

        return self._step("read " + ", ".join(DELIVERY_STACKS), "admin", read)

    def drift_delivery(self) -> bool:
        """The operator's drift check of the delivery stacks: nothing to change."""

        def check() -> tuple[bool, str]:
            command = ["bash", "scripts/ci/drift.sh", *DELIVERY_STACKS]
            ok, detail, lines = self._run("drift delivery", "admin", command)
            changed = [s for s in DELIVERY_STACKS if f"{s}: no changes" not in lines]
            if ok and changed:
                return False, f"the plan found changes in {', '.join(changed)} (see {self.work})"
            return ok, detail

        return self._step("drift " + ", ".join(DELIVERY_STACKS), "admin", check)

    def drift_by_hand(self) -> bool:
        """The state bucket's versioning suspended by hand: the drift check finds it and files
        an issue (through the stand-in ``gh``, its calls in ``gh-calls.txt``)."""
        stack = DELIVERY_STACKS[0]

        def check() -> tuple[bool, str]:
            s3 = self._admin_clients("s3")[0]
            delivery.set_versioning(s3, STATE_BUCKET, "Suspended")
            gh = delivery.stand_in_gh(self.work / "bin")
            ok, detail, lines = self._run(
                "drift by hand", "admin", ["bash", "scripts/ci/drift.sh", stack],
                PATH=f"{gh.parent}{os.pathsep}{self.env.get('PATH', '')}",
                GH_TOKEN="not-a-token", GITHUB_REPOSITORY=REPOSITORY,
                GH_CALLS=str(self.work / "gh-calls.txt"),
            )  # fmt: skip
            # Put back for the teardown: moto 5.2.5 deletes every version of a key of a bucket
            # whose versioning is suspended when one version is named, and fails on a delete
            # marker among them (AWS deletes the version named; docs/delivery.md).
            delivery.set_versioning(s3, STATE_BUCKET, "Enabled")
            wanted = (f"{stack}: changes pending", f"{stack}: drift issue opened")
            missing = [w for w in wanted if not any(line.startswith(w) for line in lines)]
            if ok and missing:
                return False, f"drift.sh did not say {missing[0]!r} (see {self.work})"
            return ok, detail

        return self._step(f"drift {stack}: versioning suspended by hand", "admin", check)

    def teardown(self) -> bool:
        """The delivery stacks destroyed by the administrator (the bucket emptied of dev's state
        first), their state files then empty; what is left recorded in ``delivery.json``."""

        def destroy() -> tuple[bool, str]:
            s3, iam = self._admin_clients("s3", "iam")
            delivery.empty(s3, STATE_BUCKET)
            ok, detail = self._cdktf(
                "destroy delivery", "admin", "destroy", *DELIVERY_STACKS, "--skip-synth",
                "--skip-provider-lock", "--auto-approve",
            )  # fmt: skip
            if not ok:
                return ok, detail
            self._record("left", delivery.left(s3, iam))
            state = Path(self.env["REHEARSAL_STATE_DIR"])
            kept = [
                f"{stack}: {', '.join(held)}"
                for stack in DELIVERY_STACKS
                if (held := resources_in_state(state / f"{stack}.tfstate"))
            ]
            return not kept, f"the state still holds {'; '.join(kept)}" if kept else ""

        return self._step("destroy " + ", ".join(DELIVERY_STACKS), "admin", destroy)
