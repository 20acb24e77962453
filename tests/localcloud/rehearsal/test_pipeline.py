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


@pytest.fixture
def stood_in(monkeypatch, tmp_path):
    """Runs deploy -> diff -> destroy with ``failing``'s command failing (none: all work); the
    names of the steps taken."""
    monkeypatch.setattr(pipeline, "Emulator", StandInEmulator)
    monkeypatch.setattr(Rehearsal, "_environment", lambda self: {})
    monkeypatch.setattr(Rehearsal, "_plan", lambda self: [self.deploy, self.diff, self.destroy])
    # The diff's report, as scripts/ci/diff.sh writes it when nothing changes.
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "diff.md").write_text("No changes.\n", encoding="utf-8")

    def run(failing: str | None) -> list[str]:
        def command(self, name, duty, argv):
            return name != failing, "" if name != failing else f"{name} failed", []

        monkeypatch.setattr(Rehearsal, "_run", command)
        monkeypatch.setattr(Rehearsal, "_cdktf", lambda self, name, *args: (name != failing, ""))
        rehearsal = Rehearsal(PROJECT_ROOT, tmp_path)
        steps = rehearsal.run()
        assert rehearsal.emulator.events == ["start", "stop"]
        return [step.name for step in steps]

    return run


def test_a_failed_deploy_ends_the_run_with_nothing_destroyed(stood_in):
    # main.yml stops at a failed deploy too; its leftovers go with the run's emulator.
    assert stood_in("deploy") == ["deploy dev"]


def test_a_step_failing_after_the_deploy_is_followed_by_the_destroy(stood_in):
    assert stood_in("diff") == ["deploy dev", "diff dev", "destroy dev"]


def test_a_run_that_fails_nowhere_destroys_once(stood_in):
    assert stood_in(None) == ["deploy dev", "diff dev", "destroy dev"]


def test_a_failed_destroy_is_the_last_step(stood_in):
    assert stood_in("destroy") == ["deploy dev", "diff dev", "destroy dev"]


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
    calls = (tmp_path / "calls.txt").read_text(encoding="utf-8")
    assert "# deploy dev as ecommerce-ci-dev-deploy:" in calls
    assert "allowed lambda:CreateEventSourceMapping" in calls


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
