"""The runner: its lifecycle with a stand-in cdktf (quick), and its one-sentence errors.

The stand-in ``cdktf`` deploys a one-function API onto the emulator with boto3 and writes the
outputs file as cdktf does, so start / wait / serve / --down / SIGINT run for real in seconds.
The real ``cdktf deploy`` of the project's stack is in test_end_to_end.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from localcloud import PROJECT_ROOT
from localcloud.base.processes import process_alive
from tests.localcloud.runner.stand_in import (
    assert_nothing_left,
    assert_one_sentence,
    failed_start,
    localcloud,
    runner_env,
    start,
)
from tests.waiting import wait_for


def _emulator_command(project: Path) -> list[str]:
    """The command line of the emulator of the local cloud running in ``project``."""
    pid = json.loads((project / ".localcloud" / "run.json").read_text())["emulatorPid"]
    return Path(f"/proc/{pid}/cmdline").read_text().split("\0")


def test_lifecycle_with_down(project, tmp_path):
    env = runner_env(tmp_path)
    del env["LOCALCLOUD_BUILD_BACKENDS"]  # the default: the deploy's backends built at the start
    process = start(project, env)
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
        assert waited.returncode == 0, waited.stderr
        command = _emulator_command(project)
        assert command[command.index("--warm") + 1] == "us-east-1"
        log = project / ".localcloud" / "emulator.log"
        wait_for(lambda: " * Backends built in " in log.read_text(errors="replace"), timeout=120)
        api_url = waited.stdout.strip()
        ready = json.loads((project / ".localcloud" / "ready.json").read_text())
        assert ready["apiUrl"] == api_url
        assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/local/")
        response = requests.get(api_url + "hello/world", timeout=30)
        assert response.status_code == 200
        assert response.json()["event"]["pathParameters"] == {"proxy": "hello/world"}
        assert response.json()["env"]["AWS_ENDPOINT_URL"] == ready["emulatorUrl"]
        flat = json.loads((project / "cfn-outputs" / "flat-outputs.json").read_text())
        assert flat["ApiGatewayStageName"] == "local"
        exports = (project / ".localcloud" / "env").read_text()
        assert f"export API_BASE_URL={api_url}" in exports
        assert f"export AWS_ENDPOINT_URL={ready['emulatorUrl']}" in exports
        assert "TF_CLI_CONFIG_FILE=" in exports
        rc = (project / ".localcloud" / "terraformrc").read_text()
        assert str(tmp_path / "mirror") in rc
        emulator_pid = json.loads((project / ".localcloud" / "run.json").read_text())["emulatorPid"]
        assert (project / ".localcloud" / "state" / "terraform.tfstate").is_file()

        downed = localcloud("--project-dir", str(project), "--down", env=env)
        assert downed.returncode == 0, downed.stderr
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = process.stdout.read()
    assert "Traceback" not in output
    assert "emulator stopped" in output
    # The teardown only stops: the deploy ran, nothing else of Terraform's did.
    calls = (project / "fake-cdktf.log").read_text().splitlines()
    assert [call.split()[0] for call in calls] == ["deploy"]
    assert calls[0].startswith("deploy ecommerce-local --auto-approve --skip-provider-lock")
    # main.py builds the deployed stack alone.
    assert (project / "fake-cdktf-stacks.txt").read_text() == "ecommerce-local"
    assert "snapshot of the deploy is kept for the next start" in output
    assert (project / ".localcloud" / "warm" / "warm.json").is_file()
    assert not process_alive(emulator_pid)
    assert_nothing_left(project)
    with pytest.raises(requests.ConnectionError):
        requests.get(api_url, timeout=5)
    again = localcloud("--project-dir", str(project), "--down", env=env)
    assert again.returncode == 0
    assert "not running" in again.stdout


def _serving(project: Path, env: dict[str, str], *args: str) -> tuple[subprocess.Popen, int]:
    """A runner started with ``args`` and serving; its emulator's pid."""
    process = start(project, env, *args)
    waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
    assert waited.returncode == 0, waited.stderr
    return process, json.loads((project / ".localcloud" / "run.json").read_text())["emulatorPid"]


def test_down_destroy_runs_terraform_destroy_and_checks_the_state(project, tmp_path):
    env = runner_env(tmp_path)
    process, emulator_pid = _serving(project, env)
    try:
        downed = localcloud("--project-dir", str(project), "--down", "--destroy", env=env)
        assert downed.returncode == 0, downed.stderr
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = process.stdout.read()
    assert "Terraform's state holds none" in output
    calls = (project / "fake-cdktf.log").read_text().splitlines()
    assert len(calls) == 2
    # The destroy runs Terraform in the deployed stack, without a refresh (see deployer.py).
    assert calls[1].startswith("terraform destroy -auto-approve -input=false -refresh=false")
    assert "-parallelism=" in calls[1]
    assert not process_alive(emulator_pid)
    assert_nothing_left(project)
    assert not (project / ".localcloud" / "destroy-asked").exists()


def test_a_destroy_that_leaves_resources_fails(project, tmp_path):
    env = runner_env(tmp_path, FAKE_LEAVE="1")
    process, emulator_pid = _serving(project, env, "--destroy")
    try:
        downed = localcloud("--project-dir", str(project), "--down", env=env)
        # Asked at the start: the runner's own exit status says it; --down asked nothing.
        assert downed.returncode == 0, downed.stderr
        assert process.wait(30) == 1
    finally:
        if process.poll() is None:
            process.kill()
    assert "the destroy left 1 resources in Terraform's state: aws_sqs_queue.kept" in (
        process.stdout.read()
    )
    assert not process_alive(emulator_pid)
    assert_nothing_left(project)
    # Asked by --down: its exit status says it, in one sentence.
    process, emulator_pid = _serving(project, env)
    try:
        downed = localcloud("--project-dir", str(project), "--down", "--destroy", env=env)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert_one_sentence(downed, "is down, but the destroy left 1 resources in Terraform's state")
    assert not process_alive(emulator_pid)
    assert_nothing_left(project)


def test_ctrl_c_tears_down(project, tmp_path):
    env = runner_env(tmp_path)
    process = start(project, env, "--no-destroy")  # the default, still accepted
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
        assert waited.returncode == 0, waited.stderr
        assert "--warm" not in _emulator_command(project)  # LOCALCLOUD_BUILD_BACKENDS=0
        emulator_pid = json.loads((project / ".localcloud" / "run.json").read_text())["emulatorPid"]
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert not process_alive(emulator_pid)
    assert not (project / ".localcloud" / "run.json").exists()
    assert len((project / "fake-cdktf.log").read_text().splitlines()) == 1  # no destroy


def test_sigint_to_the_group_of_a_runner_started_by_a_script(project, tmp_path):
    # As a supervisor or a CI step starts it: a script in a session of its own runs it in the
    # background, so it inherits SIGINT ignored; then SIGINT goes to the whole process group.
    env = runner_env(tmp_path)
    command = (
        f"{shlex.quote(sys.executable)} -m localcloud --project-dir {shlex.quote(str(project))} "
        "--port 0 --destroy & wait"
    )
    script = subprocess.Popen(
        ["bash", "-c", command],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
        assert waited.returncode == 0, waited.stderr
        run = json.loads((project / ".localcloud" / "run.json").read_text())
        runner_pid, emulator_pid = run["pid"], run["emulatorPid"]
        with open(f"/proc/{runner_pid}/status", encoding="ascii") as status:
            ignored = int(next(x for x in status if x.startswith("SigIgn:")).split()[1], 16)
        assert not ignored & (1 << (signal.SIGINT - 1)), "the runner still ignores SIGINT"
        port = int(waited.stdout.strip().split(":")[2].split("/")[0])
        os.killpg(script.pid, signal.SIGINT)
        deadline = time.monotonic() + 60
        while process_alive(runner_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not process_alive(runner_pid), "SIGINT to the group did not stop the runner"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(script.pid, signal.SIGKILL)
        script.wait(30)
    assert not process_alive(emulator_pid)
    calls = (project / "fake-cdktf.log").read_text().splitlines()
    assert [" ".join(call.split()[:2]) for call in calls] == [
        "deploy ecommerce-local",
        "terraform destroy",
    ]
    assert_nothing_left(project)
    with socket.socket() as probe:  # nothing listens on the gateway's port any more (a bind
        # could fail on a connection of --wait's still in TIME_WAIT, whichever side closed first)
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def _up_and_down(project: Path, env: dict[str, str]) -> str:
    # --cold: the deploy runs every time (unchanged inputs would make a warm start, test_warm.py)
    process = start(project, env, "--cold")
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
        assert waited.returncode == 0, waited.stderr
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    return process.stdout.read()


def test_synth_skipped_when_nothing_that_feeds_it_changed(project, tmp_path):
    env = runner_env(tmp_path)
    (project / "handlers").mkdir()
    (project / "handlers" / "app.py").write_text("VERSION = 1\n")
    first = _up_and_down(project, env)
    assert "synth skipped" not in first
    second = _up_and_down(project, env)
    assert "localcloud: synth skipped: main.py, stacks/, handlers/, cdktf.json" in second
    (project / "handlers" / "app.py").write_text("VERSION = 2\n")
    third = _up_and_down(project, {**env, "ECOMMERCE_LOCAL_CORS_ORIGINS": "*"})
    assert "synth skipped" not in third
    fourth = _up_and_down(project, {**env, "ECOMMERCE_LOCAL_CORS_ORIGINS": "http://a.example"})
    assert "synth skipped" not in fourth  # a variable the synth reads changed
    deploys = (project / "fake-cdktf.log").read_text().splitlines()
    assert ["--skip-synth" in call for call in deploys] == [False, True, False, False]
    ready = json.loads((project / ".localcloud" / "synth.json").read_text())
    assert set(ready) == {"inputs", "output", "at"}
    assert re.search(r"localcloud: deployed 1 resources in [\d.]+ s \(synth [\d.]+ s, ", fourth)
    assert "apply " in fourth


def test_port_taken(project, tmp_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = localcloud(
            "--project-dir", str(project), "--port", str(port), env=runner_env(tmp_path)
        )
        assert_one_sentence(result, f"Port {port} on 127.0.0.1 is already in use")
        result = localcloud(
            "--project-dir",
            str(project),
            "--port",
            "0",
            "--emulator-port",
            str(port),
            env=runner_env(tmp_path),
        )
        assert_one_sentence(result, "so the AWS emulator cannot listen there")


def test_terraform_missing(project, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    node = subprocess.run(["which", "node"], capture_output=True, text=True, check=True)
    (bin_dir / "node").symlink_to(node.stdout.strip())
    result = localcloud(
        "--project-dir", str(project), "--port", "0", env=runner_env(tmp_path, PATH=str(bin_dir))
    )
    assert_one_sentence(result, "Terraform is not installed (no terraform on PATH)")


def test_terraform_too_old(project, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "terraform"
    fake.write_text('#!/bin/sh\necho \'{"terraform_version": "1.2.9"}\'\n')
    fake.chmod(0o755)
    env = runner_env(tmp_path, PATH=f"{bin_dir}:{os.environ['PATH']}")
    result = localcloud("--project-dir", str(project), "--port", "0", env=env)
    assert_one_sentence(result, "Terraform 1.2.9 is too old")


def test_provider_not_installable(project, tmp_path):
    env = runner_env(tmp_path, LOCALCLOUD_PROVIDER_MIRROR=str(tmp_path / "empty"))
    result = localcloud("--project-dir", str(project), "--port", "0", env=env)
    assert_one_sentence(result, "The Terraform AWS provider is not installable")


def test_emulator_did_not_start(project, tmp_path):
    # A moto that fails as it loads (whichever of its modules the emulator imports first).
    shadow = tmp_path / "shadow" / "moto"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "import sys\nprint('OSError: cannot start the fake server')\nsys.exit(3)\n"
    )
    env = runner_env(tmp_path, PYTHONPATH=str(tmp_path / "shadow"))
    result = localcloud("--project-dir", str(project), "--port", "0", env=env)
    assert_one_sentence(
        result, "The AWS emulator (moto) did not start: OSError: cannot start the fake server"
    )
    assert not (project / ".localcloud" / "run.json").exists()


def test_deploy_failed_with_terraforms_message(project, tmp_path):
    failure = tmp_path / "failure.txt"
    message = (
        "creating Lambda Function (ecommerce-local-products): operation error Lambda: "
        "CreateFunction, StatusCode: 400, InvalidParameterValueException: Layers are not supported"
    )
    failure.write_text(
        "ecommerce-local  aws_lambda_function.functions_products: Creating...\n"
        "ecommerce-local  ╷\n"
        f"                 │ Error: {message}\n"
        "                 │\n"
        "                 │   with aws_lambda_function.functions_products,\n"
        '                 │   on cdk.tf.json line 1200, in resource "aws_lambda_function":\n'
        "                 ╵\n"
    )
    env = runner_env(tmp_path, FAKE_DEPLOY_OUTPUT=str(failure))
    output = failed_start(project, env)
    assert f"localcloud: The deploy of ecommerce-local failed: {message}\n" in output
    assert "emulator stopped" in output
    # A failed deploy is not destroyed (the emulator is dropped instead).
    assert len((project / "fake-cdktf.log").read_text().splitlines()) == 1
    waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "30", env=env)
    assert_one_sentence(waited, "stopped before it was ready: The deploy of ecommerce-local")


def test_deploy_stuck_on_an_action_the_emulator_lacks(project, tmp_path):
    output = failed_start(project, runner_env(tmp_path, FAKE_STUCK="1"), timeout=120)
    assert (
        "localcloud: The deploy of ecommerce-local cannot finish on the emulator: moto does not "
        "implement the list_tags_for_resource action that Terraform keeps retrying for "
        "aws_appautoscaling_target (see "
    ) in output
    assert "emulator stopped" in output


def test_provider_failure_during_init(project, tmp_path):
    failure = tmp_path / "failure.txt"
    failure.write_text(
        textwrap.dedent("""\
        ecommerce-local  Initializing provider plugins...
        ecommerce-local  ╷
                         │ Error: Failed to query available provider packages
                         │
                         │ Could not retrieve the list of available versions for provider
                         │ hashicorp/aws: provider registry.terraform.io/hashicorp/aws was not found
                         │ in any of the search locations
                         ╵
        """)
    )
    output = failed_start(project, runner_env(tmp_path, FAKE_DEPLOY_OUTPUT=str(failure)))
    assert (
        "localcloud: The Terraform AWS provider is not installable: Failed to query available "
        "provider packages Could not retrieve the list of available versions for provider "
        "hashicorp/aws: provider registry.terraform.io/hashicorp/aws was not found in any of "
        "the search locations"
    ) in output


def test_already_running(project, tmp_path):
    work = project / ".localcloud"
    work.mkdir()
    (work / "run.json").write_text(json.dumps({"pid": os.getpid(), "phase": "serving"}))
    result = localcloud("--project-dir", str(project), "--port", "0", env=runner_env(tmp_path))
    assert_one_sentence(result, f"already running here (pid {os.getpid()})")
    assert (work / "run.json").exists()


# -- units ---------------------------------------------------------------------------------
