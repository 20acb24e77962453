"""The warm start (localcloud/deploy/warm.py), with the stand-in cdktf and Terraform of
test_runner.py:
the emulator brought back from the snapshot of the last deploy when nothing the deploy reads
changed (no deploy, the API answers, the plan checks it in the background), a cold start when
something changed, with ``--cold`` or from a snapshot that cannot be restored (said), a plan that
finds changes forgets the snapshot and deploys, ``--down --forget``; and every teardown leaves
nothing running."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from localcloud.base.processes import RunningChild, process_alive
from localcloud.base.run_files import RunFiles
from localcloud.deploy.warm import PLAN_CHANGES, PlanCheck, Snapshot
from tests.localcloud.runner.conftest import project  # noqa: F401  (a fixture)
from tests.localcloud.runner.stand_in import (
    assert_nothing_left,
    assert_one_sentence,
    localcloud,
    runner_env,
    start,
)
from tests.localcloud.runner.test_watch import WATCHED_APP, OutputLines, save
from tests.waiting import wait_for

CHECKED = "warm start checked: terraform plan finds nothing to change"


def _run(project: Path, env: dict[str, str], *args: str, until: str | None = None) -> str:  # noqa: F811
    """One start, a request answered, ``until`` printed, Ctrl-C; its output. Nothing of it may
    be left running."""
    process = start(project, env, *args)
    output = OutputLines(process)
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "120", env=env)
        assert waited.returncode == 0, waited.stderr + output.text()
        answer = requests.get(waited.stdout.strip() + "hello", timeout=30)
        assert answer.status_code == 200, answer.text
        run = json.loads((project / ".localcloud" / "run.json").read_text())
        ready = json.loads((project / ".localcloud" / "ready.json").read_text())
        if until:
            output.wait_for(until, timeout=120)
        process.send_signal(signal.SIGINT)
        assert process.wait(120) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = output.close()
    assert "Traceback" not in text
    assert not process_alive(run["emulatorPid"])
    for url in (ready["apiUrl"], ready["emulatorUrl"]):
        with socket.socket() as probe:  # nothing listens there any more
            assert probe.connect_ex(("127.0.0.1", int(url.split(":")[2].split("/")[0]))) != 0
    assert_nothing_left(project)
    return text


def _calls(root: Path, verb: str) -> int:
    """How many times the stand-ins ran ``verb`` (deploy, terraform plan, terraform destroy)."""
    lines = (root / "fake-cdktf.log").read_text().splitlines()
    return sum(line.startswith(verb + " ") for line in lines)


def test_warm_start_when_nothing_the_deploy_reads_changed(project, tmp_path):  # noqa: F811
    env = runner_env(tmp_path)
    first = _run(project, env)
    assert "kept a snapshot of the deploy for the next (warm) start" in first
    assert ", cold start (emulator " in first
    snapshot = project / ".localcloud" / "warm"
    assert (snapshot / "warm.json").is_file() and (snapshot / "emulator.pickle").is_file()

    # The API that answers was never deployed by this run: it is the snapshot's.
    second = _run(project, env, "--destroy", until=CHECKED)
    assert "localcloud: warm start from the snapshot of " in second
    assert ", warm start (emulator " in second and "deploy 0.0," in second
    assert _calls(project, "deploy") == 1
    assert _calls(project, "terraform plan") == 1
    assert _calls(project, "terraform destroy") == 1  # a warm start's stack is destroyed too
    assert (snapshot / "warm.json").is_file()  # kept across the teardown

    forgot = localcloud("--project-dir", str(project), "--down", "--forget", env=env)
    assert forgot.returncode == 0, forgot.stderr
    assert "the next start deploys cold" in forgot.stdout
    assert not snapshot.exists()
    third = _run(project, env)
    assert "warm start" not in third.replace("(warm) start", "")
    assert _calls(project, "deploy") == 2

    alone = localcloud("--project-dir", str(project), "--forget", env=env)
    assert_one_sentence(alone, "--forget goes with --down")


def test_cold_start_when_inputs_changed_when_asked_or_when_the_snapshot_is_broken(
    project,  # noqa: F811
    tmp_path,
):
    app = project / "handlers" / "app.py"
    app.parent.mkdir()
    app.write_text(WATCHED_APP % 1)
    env = runner_env(tmp_path)
    _run(project, env)
    save(app, WATCHED_APP % 2)
    changed = _run(project, env)
    assert "localcloud: cold start: what the deploy reads changed since the snapshot" in changed
    assert _calls(project, "deploy") == 2
    asked = _run(project, env, "--cold")
    assert "localcloud: cold start: --cold" in asked
    assert _calls(project, "deploy") == 3

    state = project / ".localcloud" / "warm" / "emulator.pickle"
    state.write_bytes(b"not the emulator's state")
    broken = _run(project, env)
    assert (
        "localcloud: the snapshot cannot be restored (The AWS emulator (moto) did not start: "
        in (broken)
    )
    assert "cannot be read" in broken and "forgetting it and deploying cold" in broken
    assert _calls(project, "deploy") == 4
    assert "kept a snapshot of the deploy" in broken  # a good one again
    assert state.stat().st_size > 1000


def test_a_plan_that_finds_changes_forgets_the_snapshot_and_deploys(project, tmp_path):  # noqa: F811
    env = runner_env(tmp_path)
    _run(project, env)
    changes = runner_env(tmp_path, FAKE_PLAN_CHANGES="1")
    output = _run(project, changes, until="warm start: deployed")
    assert (
        "localcloud: warm start: terraform plan finds changes (Plan: 1 to add, 0 to change, "
        "1 to destroy.); forgetting the snapshot and deploying onto the running emulator"
    ) in output
    assert _calls(project, "deploy") == 2
    assert not (project / ".localcloud" / "warm").exists()


def _child(on_sigint: str, seconds: int) -> list[str]:
    """A Python child that waits ``seconds`` with SIGINT's disposition set (``SIG_IGN``, as
    Terraform's while its provider's calls are in flight, or ``SIG_DFL``): set, not inherited,
    since a test run in the background inherits SIGINT ignored. It says ``set`` once it is."""
    code = f"import signal, time; signal.signal(signal.SIGINT, signal.{on_sigint}); "
    return [sys.executable, "-c", code + f"print('set', flush=True); time.sleep({seconds})"]


def _check_running(plan: list[str], plan_status: int, tmp_path: Path):
    """A ``PlanCheck`` whose plan is the command ``plan`` (then status ``plan_status``) and
    whose deploy is a child that waits a minute and dies of SIGINT, each a real child of its
    ``RunningChild``; once one runs: the check and the children so far."""
    child = RunningChild()
    ran: dict[str, subprocess.Popen] = {}

    def run(name: str, command: list[str], status: int):
        ran[name] = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE)
        # Known to the teardown only once its disposition is set: a signal sent before would
        # meet the inherited one.
        with ran[name].stdout as said:
            said.readline()
        child.started(ran[name])
        ran[name].wait()
        return status, f"{name} ended"

    check = PlanCheck(
        Snapshot(RunFiles(tmp_path), "ecommerce-local", "us-east-1"),
        plan=lambda: run("plan", plan, plan_status),
        deploy=lambda: run("deploy", _child("SIG_DFL", 60), 0),
        tell=lambda line: None,
        child=child,
    )
    check.start()
    wait_for(lambda: child.process is not None, timeout=30)
    return check, ran


def test_the_teardown_kills_a_warm_starts_plan_at_once(tmp_path):
    check, ran = _check_running(_child("SIG_IGN", 60), 0, tmp_path)
    check.stop()
    check.join(30)
    assert not check.is_alive()
    # SIGKILL at once, not SIGINT and 15 s of waiting for a plan that writes nothing.
    assert ran["plan"].returncode == -signal.SIGKILL
    assert check.outcome is None


def test_the_teardown_stops_a_redeploy_gently(tmp_path):
    check, ran = _check_running(_child("SIG_DFL", 0), PLAN_CHANGES, tmp_path)
    wait_for(lambda: "deploy" in ran and check.child.process is ran["deploy"], timeout=30)
    check.stop()
    check.join(30)
    assert not check.is_alive()
    assert ran["deploy"].returncode == -signal.SIGINT  # Terraform keeps its state on SIGINT
    assert check.outcome is None
