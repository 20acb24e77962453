"""The rehearsal's order of steps when one fails (``Rehearsal.run``), with its commands stood in
for: fast, and no emulator (its start and stop are recorded only)."""

from __future__ import annotations

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
def rehearse(monkeypatch, tmp_path):
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


def test_a_failed_deploy_ends_the_run_with_nothing_destroyed(rehearse):
    # main.yml stops at a failed deploy too; its leftovers go with the run's emulator.
    assert rehearse("deploy") == ["deploy dev"]


def test_a_step_failing_after_the_deploy_is_followed_by_the_destroy(rehearse):
    assert rehearse("diff") == ["deploy dev", "diff dev", "destroy dev"]


def test_a_run_that_fails_nowhere_destroys_once(rehearse):
    assert rehearse(None) == ["deploy dev", "diff dev", "destroy dev"]


def test_a_failed_destroy_is_the_last_step(rehearse):
    assert rehearse("destroy") == ["deploy dev", "diff dev", "destroy dev"]
