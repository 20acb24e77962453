"""The rehearsal end to end (``python -m localcloud rehearse``): the pipeline passes as CI's own
roles, and a grant taken out of them (``--without``) is named at the step that needs it, for each
defect the rehearsal was built to catch (docs/delivery.md). Slow (each run deploys dev on an
emulator of its own): selected with ``-m localcloud``, and run by CI. The defects' runs share one
run per group of grants whose calls do not depend on each other.

First, fast: the order of the steps when one fails (``Rehearsal.run``), with the commands stood
in for and no emulator (its start and stop are recorded only).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from localcloud import PROJECT_ROOT
from localcloud.rehearsal import pipeline
from localcloud.rehearsal.pipeline import Rehearsal


class StandInEmulator:
    """Starts and stops nothing; what the run asked is recorded."""

    url = "http://127.0.0.1:1"

    def __init__(self, *args, **kwargs):
        self.events: list[str] = []

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


DEV = ["deploy dev", "diff dev", "destroy dev"]
DELIVERY = [
    "read ecommerce-bootstrap, ecommerce-account",
    "drift ecommerce-bootstrap, ecommerce-account",
    "drift ecommerce-bootstrap: versioning suspended by hand",
    "destroy ecommerce-bootstrap, ecommerce-account",
]
WORKING = {
    # What scripts/ci/drift.sh prints when it works: nothing changed; a drift filed.
    "drift delivery": ["ecommerce-bootstrap: no changes", "ecommerce-account: no changes"],
    "drift by hand": [
        "ecommerce-bootstrap: changes pending (see ci-out/plan-ecommerce-bootstrap.txt)",
        "ecommerce-bootstrap: drift issue opened",
    ],
}


@pytest.fixture
def stood_in(monkeypatch, tmp_path):
    """Runs deploy -> diff -> destroy, then the delivery stacks' steps, with ``failing``'s
    command failing (none: all work) and ``said`` overriding what a command prints; the names of
    the steps taken, and the run's ``Rehearsal``."""
    monkeypatch.setattr(pipeline, "Emulator", StandInEmulator)
    state = tmp_path / "state"
    monkeypatch.setattr(Rehearsal, "_environment", lambda self: {"REHEARSAL_STATE_DIR": str(state)})
    monkeypatch.setattr(
        Rehearsal,
        "_plan",
        lambda self: [
            self.deploy, self.diff, self.destroy,
            self.read_delivery, self.drift_delivery, self.drift_by_hand, self.teardown,
        ],
    )  # fmt: skip
    # The AWS API's side of the delivery steps, stood in for: no emulator runs.
    monkeypatch.setattr(Rehearsal, "_admin_clients", lambda self, *services: [None] * len(services))
    for name, result in (("read", {}), ("set_versioning", None), ("empty", 0), ("left", {})):
        monkeypatch.setattr(pipeline.delivery, name, lambda *args, result=result: result)
    # The diff's report, as scripts/ci/diff.sh writes it when nothing changes; the delivery
    # stacks' state files, as a destroy leaves them.
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "diff.md").write_text("No changes.\n", encoding="utf-8")
    state.mkdir()
    for stack in pipeline.DELIVERY_STACKS:
        (state / f"{stack}.tfstate").write_text('{"version": 4, "resources": []}', encoding="utf-8")

    def run(failing: str | None, said: dict[str, list[str]] | None = None):
        printed = WORKING | (said or {})

        def command(self, name, duty, argv, **extra):
            failed = name == failing
            return not failed, f"{name} failed" if failed else "", printed.get(name, [])

        monkeypatch.setattr(Rehearsal, "_run", command)
        monkeypatch.setattr(Rehearsal, "_cdktf", lambda self, name, *args: (name != failing, ""))
        rehearsal = Rehearsal(PROJECT_ROOT, tmp_path)
        steps = rehearsal.run()
        assert rehearsal.emulator.events == ["start", "stop"]
        return [step.name for step in steps], steps

    return run


def test_a_failed_deploy_ends_the_run_with_nothing_destroyed(stood_in):
    # main.yml stops at a failed deploy too; its leftovers go with the run's emulator. So does
    # a --without run, at no cost from the delivery stacks' steps.
    assert stood_in("deploy")[0] == ["deploy dev"]


def test_a_step_failing_after_the_deploy_is_followed_by_the_destroy(stood_in):
    assert stood_in("diff")[0] == DEV


def test_a_run_that_fails_nowhere_destroys_dev_once_then_checks_the_delivery_stacks(stood_in):
    names, steps = stood_in(None)
    assert names == DEV + DELIVERY
    assert [s.role for s in steps[3:]] == ["localcloud-administrator"] * 4
    assert all(s.passed for s in steps)


def test_a_failed_destroy_is_the_last_step(stood_in):
    assert stood_in("destroy")[0] == DEV


def test_a_failed_delivery_step_ends_the_run_with_dev_destroyed_once(stood_in):
    assert stood_in("drift delivery")[0] == DEV + DELIVERY[:2]
    assert stood_in("drift by hand")[0] == DEV + DELIVERY[:3]
    names, steps = stood_in("destroy delivery")
    assert names == DEV + DELIVERY
    assert not steps[-1].ok


def test_a_delivery_drift_check_fails_unless_it_says_what_it_must(stood_in):
    _, steps = stood_in(None, {"drift delivery": ["ecommerce-bootstrap: no changes"]})
    assert steps[-1].name == DELIVERY[1]
    assert steps[-1].detail.startswith("the plan found changes in ecommerce-account")
    _, steps = stood_in(None, {"drift by hand": WORKING["drift by hand"][:1]})
    assert steps[-1].name == DELIVERY[2]
    assert steps[-1].detail.startswith("drift.sh did not say 'ecommerce-bootstrap: drift issue")


def test_a_delivery_destroy_that_leaves_state_fails_naming_it(stood_in, tmp_path):
    held = '{"resources": [{"type": "aws_s3_bucket", "name": "state_bucket", "instances": [{}]}]}'
    (tmp_path / "state" / "ecommerce-account.tfstate").write_text(held, encoding="utf-8")
    _, steps = stood_in(None)
    assert steps[-1].name == DELIVERY[3]
    assert not steps[-1].ok
    assert steps[-1].detail == "the state still holds ecommerce-account: aws_s3_bucket.state_bucket"


def test_the_delivery_stacks_steps_follow_devs_destroy(tmp_path):
    plan = Rehearsal(PROJECT_ROOT, tmp_path)._plan()
    assert [step.__name__ for step in plan[-5:]] == [
        "destroy", "read_delivery", "drift_delivery", "drift_by_hand", "teardown",
    ]  # fmt: skip


STEPS = [
    "synth",
    "bootstrap ecommerce-bootstrap, ecommerce-account",
    "assume ecommerce-ci-dev-deploy (environment:dev)",
    "assume ecommerce-ci-dev-plan (pull_request)",
    "assume ecommerce-ci-dev-plan (ref:refs/heads/main)",
    "assume ecommerce-ci-dev-test (environment:dev)",
    "deploy dev",
    "diff dev",
    "drift dev",
    "integration dev",
    "destroy dev",
    *DELIVERY,
]
RUNS = {
    # Tag on create of an event source mapping (issue 28's first defect).
    "mapping tags": "lambda:TagResource@event-source-mapping",
    # Reading a mapping's tags, at the refresh after its creation.
    "mapping tag reads": "lambda:ListTags@event-source-mapping",
    # The integration suite's own calls (issue 28's second defect).
    "suite": "sqs:CreateQueue@it-tap,sqs:SendMessage@notifications,cognito-idp:ListUserPoolClients",
}
DEFECTS = [
    ("mapping tags", "deploy dev", "lambda:TagResource", ":event-source-mapping:"),
    ("mapping tag reads", "deploy dev", "lambda:ListTags", ":event-source-mapping:"),
    ("suite", "integration dev", "sqs:CreateQueue", ":it-tap-"),
    ("suite", "integration dev", "sqs:SendMessage", ":ecommerce-dev-notifications"),
    ("suite", "integration dev", "cognito-idp:ListUserPoolClients", ":userpool/"),
]


def rehearse(work, *args: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "localcloud", "rehearse", "--json", "--work-dir", str(work), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=2400,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.localcloud
def test_the_pipeline_passes_as_cis_own_roles(tmp_path):
    status, report = rehearse(tmp_path)
    steps = report["steps"]
    assert [s for s in steps if not s["ok"] or s["denied"]] == []
    assert [s["name"] for s in steps] == STEPS
    assert status == 0
    assert steps[6]["role"] == "ecommerce-ci-dev-deploy"
    assert {s["role"] for s in steps[7:9]} == {"ecommerce-ci-dev-plan"}
    assert steps[9]["role"] == "ecommerce-ci-dev-test"
    assert {s["role"] for s in steps[11:]} == {"localcloud-administrator"}
    calls = (tmp_path / "calls.txt").read_text(encoding="utf-8")
    assert "# deploy dev as ecommerce-ci-dev-deploy:" in calls
    assert "allowed lambda:CreateEventSourceMapping" in calls
    # The delivery stacks as the administrator's bootstrap made them, and nothing of them left
    # after their destroy (the drift checks are steps of the run: exit 0, each stack "no
    # changes"; then the hand-made change found and filed).
    recorded = json.loads((tmp_path / "delivery.json").read_text(encoding="utf-8"))
    check_state_bucket(recorded["deployed"]["bucket"])
    check_ci_access(recorded["deployed"])
    assert recorded["deployed"]["apiGatewayAccount"]["cloudwatchRoleArn"] == (
        "arn:aws:iam::123456789012:role/ecommerce-apigateway-cloudwatch"
    )
    assert "ecommerce-rehearsal-state" not in recorded["left"]["buckets"]
    assert recorded["left"]["oidcProviders"] == []
    filed = (tmp_path / "gh-calls.txt").read_text(encoding="utf-8")
    assert (
        "issue create --repo acme/store-api --title Drift detected in ecommerce-bootstrap "
        "--label drift --body-file" in filed
    )
    assert re.search(r'status\s+= "Suspended" -> "Enabled"', filed), filed


def check_state_bucket(bucket: dict) -> None:
    """docs/delivery.md's state bucket: versioned, KMS, private, owner-enforced, the three
    refusals, old versions expiring after 90 days."""
    assert bucket["Versioning"] == "Enabled"
    [rule] = bucket["EncryptionRules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].startswith("arn:aws:kms:")
    assert bucket["PublicAccessBlock"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipRules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert {s["Sid"] for s in bucket["PolicyStatements"]} == {
        "DenyPlainHttp",
        "DenyTlsOlderThan12",
        "DenyUploadsNotEncryptedWithKms",
    }
    [lifecycle] = bucket["LifecycleRules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def check_ci_access(deployed: dict) -> None:
    """GitHub's OIDC provider (AWS's audience, GitHub's published thumbprints), and prod's deploy
    role trusting only the prod environment's jobs through it, with its three policies."""
    [provider] = deployed["oidcProviders"]
    assert provider["Url"].endswith("token.actions.githubusercontent.com")
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert provider["ThumbprintList"] == [
        "6938fd4d98bab03faadb97b34396831e3780aea1",
        "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
    ]
    role = deployed["role"]
    assert role["RoleName"] == "ecommerce-ci-prod-deploy"
    [grant] = role["AssumeRolePolicyDocument"]["Statement"]
    assert grant["Principal"]["Federated"] == provider["Arn"]
    assert grant["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/store-api:environment:prod"
    ]
    assert role["AttachedPolicyNames"] == [
        "ecommerce-ci-prod-deploy-platform",
        "ecommerce-ci-prod-deploy-read",
        "ecommerce-ci-prod-deploy-write",
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each group's rehearsal, run once when a test first asks for it."""
    done: dict[str, tuple[int, dict]] = {}

    def run(group: str) -> tuple[int, dict]:
        if group not in done:
            work = tmp_path_factory.mktemp(group.replace(" ", "-"))
            done[group] = rehearse(work, "--without", RUNS[group])
        return done[group]

    return run


@pytest.mark.localcloud
@pytest.mark.parametrize(("group", "step", "action", "resource"), DEFECTS)
def test_a_missing_grant_is_named_at_the_step_that_needs_it(runs, group, step, action, resource):
    status, report = runs(group)
    assert status == 1
    failed = [s for s in report["steps"] if not s["ok"]]
    assert failed[0]["name"] == step, failed
    assert [d for d in failed[0]["denied"] if d["action"] == action and resource in d["resource"]]
