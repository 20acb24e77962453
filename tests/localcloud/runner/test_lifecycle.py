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
import threading
import time
from pathlib import Path

import pytest
import requests

from localcloud import PROJECT_ROOT
from localcloud.base import aws
from localcloud.base.errors import LocalCloudError
from localcloud.base.processes import process_alive
from localcloud.deploy.cdktf import flatten_outputs, terraform_error
from localcloud.deploy.terraform import (
    check_terraform,
    find_mirror,
    mirror_versions,
    provider_setup,
    write_cli_config,
)
from localcloud.lambdas.code_store import sha256_b64
from stacks.base.iam import assume_role_policy
from tests.localcloud.conftest import APP_CODE, make_zip

FAKE_CDKTF = r'''#!{python}
"""A stand-in for the cdktf CLI: deploys a tiny API onto $AWS_ENDPOINT_URL with boto3."""
import io, json, os, sys, zipfile
from pathlib import Path

import boto3

args = sys.argv[1:]
command, stack = args[0], args[1]
root = Path.cwd()
log = root / "fake-cdktf.log"
with open(log, "a") as handle:
    handle.write(" ".join(args) + "\n")
(root / "fake-cdktf-stacks.txt").write_text(os.environ.get("ECOMMERCE_STACKS", "(unset)"))
if command == "destroy":
    print(f"{{stack}}  Destroy complete! Resources: 9 destroyed.")
    sys.exit(0)
if os.environ.get("FAKE_STUCK"):
    import signal, time
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))  # Terraform stops on SIGINT too
    from botocore.config import Config
    scaling = boto3.session.Session(region_name="us-east-1").client(
        "application-autoscaling", config=Config(retries={{"max_attempts": 1}}))
    for _ in range(40):
        print(f"{{stack}}  aws_appautoscaling_target.read: Still creating... [10s elapsed]")
        try:
            scaling.list_tags_for_resource(ResourceARN="arn:aws:application-autoscaling:x")
        except Exception:
            pass
    sys.stdout.flush()
    time.sleep(600)
if os.environ.get("FAKE_DEPLOY_OUTPUT"):
    print(Path(os.environ["FAKE_DEPLOY_OUTPUT"]).read_text())
    sys.exit(1)
assert os.environ["AWS_ACCESS_KEY_ID"] == "{admin_key}", "the administrator's key expected"
assert "AWS_SESSION_TOKEN" not in os.environ, "no session token with a user's key"
stack_dir = root / "cdktf.out" / "stacks" / stack
(stack_dir / ".terraform").mkdir(parents=True, exist_ok=True)
if "--skip-synth" not in args:
    (stack_dir / "cdk.tf.json").write_text(json.dumps({{"synth": len(args)}}))
print(f"{{stack}}  Initializing the backend...")
print(f"{{stack}}  Terraform has been successfully initialized!")
if os.environ.get("FAKE_PLAN"):  # a plan of N more resources, half done until FAKE_RELEASE
    import time
    count = int(os.environ["FAKE_PLAN"])
    for i in range(count):
        print(f"{{stack}}  # aws_sqs_queue.q{{i}}_0A1B2C{{i:02d}} (q{{i}}) will be created")
        print(f'{{stack}}  + resource "aws_sqs_queue" "q{{i}}_0A1B2C{{i:02d}}" {{{{')
        print(f"{{stack}}      + arn = (known after apply)")
        print(f"{{stack}}    }}}}")
    print(f"{{stack}}  Plan: {{count + 1}} to add, 0 to change, 0 to destroy.")
    queues = [f"aws_sqs_queue.q{{i}}_0A1B2C{{i:02d}} (q{{i}})" for i in range(count)]
    for queue in queues:
        print(f"{{stack}}  {{queue}}: Creating...")
    for i, queue in enumerate(queues):
        if i == count // 2:
            sys.stdout.flush()
            while not Path(os.environ["FAKE_RELEASE"]).exists():
                time.sleep(0.05)
        print(f"{{stack}}  {{queue}}: Creation complete after 1s")
print(f"{{stack}}  aws_api_gateway_rest_api.api: Creating...")
session = boto3.session.Session(region_name=os.environ["AWS_REGION"])
apigw, lam, iam = (session.client(s) for s in ("apigateway", "lambda", "iam"))
handlers = root / "handlers"
if handlers.is_dir():  # the project's code, packaged as the synth does
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(handlers.rglob("*.py")):
            archive.writestr(str(path.relative_to(handlers)), path.read_bytes())
    package = buffer.getvalue()
else:
    package = (root / "package.zip").read_bytes()
assets = root / "cdktf.out" / "stacks" / stack / "assets" / "code" / "ABC"
assets.mkdir(parents=True, exist_ok=True)
(assets / "archive.zip").write_bytes(package)
greeting_file = root / "stacks" / "greeting.txt"
greeting = greeting_file.read_text().strip() if greeting_file.exists() else "hello"
name = f"{{stack}}-app"
if name in [f["FunctionName"] for f in lam.list_functions()["Functions"]]:  # a redeploy
    print(f"{{stack}}  # aws_lambda_function.app (app) will be updated in-place")
    print(f"{{stack}}  Plan: 0 to add, 1 to change, 0 to destroy.")
    lam.update_function_configuration(
        FunctionName=name, Environment={{"Variables": {{"GREETING": greeting}}}})
    print(f"{{stack}}  Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")
    sys.exit(0)
role = iam.create_role(RoleName="r", AssumeRolePolicyDocument={trust!r})["Role"]["Arn"]
arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                          Handler="app.handler", Code={{"ZipFile": package}},
                          Environment={{"Variables": {{"GREETING": greeting}}}})["FunctionArn"]
api = apigw.create_rest_api(name=f"{{stack}}-api")["id"]
root_id = apigw.get_resources(restApiId=api)["items"][0]["id"]
proxy = apigw.create_resource(restApiId=api, parentId=root_id, pathPart="{{proxy+}}")["id"]
apigw.put_method(restApiId=api, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
apigw.put_integration(
    restApiId=api, resourceId=proxy, httpMethod="ANY", type="AWS_PROXY",
    integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{{arn}}/invocations")
deployment = apigw.create_deployment(restApiId=api)["id"]
apigw.create_stage(restApiId=api, stageName="local", deploymentId=deployment)
state = root / ".localcloud" / "state"  # where the project's local stack keeps its state
state.mkdir(parents=True, exist_ok=True)
(state / "terraform.tfstate").write_text(json.dumps({{"version": 4, "resources": [
    {{"mode": "managed", "type": "aws_lambda_function", "name": "app", "instances": [{{}}]}}]}}))
outputs = Path(args[args.index("--outputs-file") + 1])
outputs.write_text(json.dumps({{stack: {{"ApiGatewayId": api, "ApiGatewayStageName": "local",
                                       "Region": "us-east-1", "ProductsLambdaName": "x"}}}}))
print(f"{{stack}}  aws_api_gateway_rest_api.api: Creation complete after 0s [id={{api}}]")
print(f"{{stack}}  Apply complete! Resources: 9 added, 0 changed, 0 destroyed.")
'''

FAKE_TERRAFORM = r'''#!{python}
"""A stand-in for Terraform: its version, and a plan or a destroy in the synthesized stack."""
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
if args[:1] == ["version"]:
    print(json.dumps({{"terraform_version": "1.11.4"}}))
    sys.exit(0)
root = Path.cwd().parents[2]  # cdktf.out/stacks/<stack>
with open(root / "fake-cdktf.log", "a") as handle:
    handle.write("terraform " + " ".join(args) + "\n")
if args[:1] == ["plan"]:
    if os.environ.get("FAKE_PLAN_CHANGES"):
        print("  # aws_lambda_function.app must be replaced")
        print("Plan: 1 to add, 0 to change, 1 to destroy.")
        sys.exit(2)
    print("No changes. Your infrastructure matches the configuration.")
    sys.exit(0)
print("aws_api_gateway_rest_api.api: Destroying... [id=x]")
print("aws_api_gateway_rest_api.api: Destruction complete after 0s")
state = root / ".localcloud" / "state" / "terraform.tfstate"
left = [{{"mode": "managed", "type": "aws_sqs_queue", "name": "kept", "instances": [{{}}]}}]
left = left if os.environ.get("FAKE_LEAVE") else []
state.write_text(json.dumps({{"version": 4, "resources": left}}))
print("Destroy complete! Resources: 9 destroyed.")
'''


@pytest.fixture
def project(tmp_path) -> Path:
    """A project with a stand-in cdktf CLI, and a provider mirror."""
    root = tmp_path / "project"
    (root / "node_modules" / ".bin").mkdir(parents=True)
    cdktf = root / "node_modules" / ".bin" / "cdktf"
    cdktf.write_text(
        FAKE_CDKTF.format(
            python=sys.executable,
            admin_key=aws.ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            trust=assume_role_policy("lambda.amazonaws.com"),
        )
    )
    cdktf.chmod(0o755)
    terraform = tmp_path / "fake-bin" / "terraform"
    terraform.parent.mkdir()
    terraform.write_text(FAKE_TERRAFORM.format(python=sys.executable))
    terraform.chmod(0o755)
    (root / "cdktf.json").write_text('{"app": "true"}')
    (root / "package.zip").write_bytes(make_zip({"app.py": APP_CODE}))
    mirror = tmp_path / "mirror" / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0"
    (mirror / "linux_amd64").mkdir(parents=True)
    (mirror / "linux_amd64" / "terraform-provider-aws_v5.100.0_x5").write_text("")
    return root


def runner_env(tmp_path: Path, **extra) -> dict[str, str]:
    """The runner's environment in these tests: offline, with the test mirror."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("TF_CLI_CONFIG_FILE", None)
    env.pop("ECOMMERCE_STACKS", None)
    env.update(
        {
            "PATH": f"{tmp_path / 'fake-bin'}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "LOCALCLOUD_OFFLINE": "1",
            "LOCALCLOUD_PROVIDER_MIRROR": str(tmp_path / "mirror"),
        }
    )
    env.update(extra)
    return env


def localcloud(*args: str, env: dict[str, str], timeout: float = 120):
    """Run ``python -m localcloud ARGS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(project: Path, env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start ``python -m localcloud`` in the background, as CI does."""
    return subprocess.Popen(
        [sys.executable, "-m", "localcloud", "--project-dir", str(project), "--port", "0", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def failed_start(project: Path, env: dict[str, str], timeout: float = 60) -> str:
    """The output of ``python -m localcloud`` started in the background and failing (status 1,
    no traceback)."""
    process = start(project, env)
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 1, output
    assert "Traceback" not in output
    return output


def assert_nothing_left(project: Path) -> None:
    """Nothing of a run is left in the project's ``.localcloud``."""
    for leftover in ("state", "ready.json", "run.json", "env", "functions"):
        assert not (project / ".localcloud" / leftover).exists(), leftover


def assert_one_sentence(result, fragment: str) -> None:
    """A failure reported as one line on stderr, without a traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("localcloud: ")
    assert fragment in lines[0], lines[0]


def test_lifecycle_with_down(project, tmp_path):
    env = runner_env(tmp_path)
    process = start(project, env)
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
        assert waited.returncode == 0, waited.stderr
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


WATCHED_APP = """
import json, os

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"v": VERSION, "g": os.environ["GREETING"]})}

VERSION = %d
"""


def _answer(url: str, wanted, timeout: float) -> float:
    """Seconds until ``url`` answers ``wanted(response)``; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            response = requests.get(url, timeout=5)
            if wanted(response):
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.05)
    pytest.fail(f"{url} did not answer as expected within {timeout} s")


class OutputLines:
    """A process's output, read line by line in a thread as it comes, so that a test waits for
    the line it asserts (printed by another thread of that process, at a time of its own)."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._new:
                self.lines.append(line)
                self._new.notify_all()

    def wait_for(self, fragment: str, timeout: float, after: int = 0) -> int:
        """The index of the first line from ``after`` on that holds ``fragment``, once printed;
        fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._new:
            while True:
                for index in range(after, len(self.lines)):
                    if fragment in self.lines[index]:
                        return index
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():  # no more lines will come
                    pytest.fail(f"no line with {fragment!r} within {timeout} s:\n{self.text()}")
                self._new.wait(min(left, 1.0))

    def text(self) -> str:
        """Everything read so far."""
        return "".join(self.lines)

    def close(self, timeout: float = 30) -> str:
        """Everything, once the process closed its output."""
        self._reader.join(timeout)
        return self.text()


def save(path: Path, text: str) -> None:
    """Write ``path`` so that its modification time changes even when the file system's clock
    has not moved since the last write (the watcher compares times and sizes)."""
    before = path.stat().st_mtime_ns if path.exists() else None
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_watch_makes_saves_live(project, tmp_path):
    app = project / "handlers" / "app.py"
    app.parent.mkdir()
    app.write_text(WATCHED_APP % 1)
    (project / "stacks").mkdir()
    env = runner_env(tmp_path)
    process = start(project, env, "--watch")
    output = OutputLines(process)
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
        assert waited.returncode == 0, waited.stderr
        url = waited.stdout.strip() + "hello"
        assert requests.get(url, timeout=30).json() == {"v": 1, "g": "hello"}
        watching = output.wait_for("localcloud: watching handlers/", timeout=30)

        # A saved handler goes live (how fast: bench/watch_bench.py), the deployed CodeSha256
        # being its package.
        save(app, WATCHED_APP % 2)
        _answer(url, lambda r: r.ok and r.json()["v"] == 2, timeout=30)
        live = output.wait_for(
            "localcloud: handlers/app.py changed: ecommerce-local-app run CodeSha256",
            timeout=30,
            after=watching,
        )
        functions = boto3_lambda(project).list_functions()["Functions"]
        [deployed] = [f["CodeSha256"] for f in functions if f["FunctionName"].endswith("-app")]
        assert deployed in output.lines[live]
        packages = list((project / ".localcloud" / "packages").glob("handlers-*.zip"))
        assert deployed in {sha256_b64(p.read_bytes()) for p in packages}

        # A syntax error answers 502 and is said; the next good save recovers.
        save(app, "def handler(event, context:\n")
        _answer(url, lambda r: r.status_code == 502, timeout=30)
        broken = output.wait_for(
            "ecommerce-local-app does not start: Runtime.UserCodeSyntaxError", 30, after=live
        )
        save(app, WATCHED_APP % 3)
        _answer(url, lambda r: r.ok and r.json()["v"] == 3, timeout=30)
        fixed = output.wait_for("localcloud: handlers/app.py changed: ", 30, after=broken + 1)

        # A change under stacks/ is an incremental deploy that says what it changed.
        save(project / "stacks" / "greeting.txt", "hi from stacks")
        _answer(url, lambda r: r.ok and r.json()["g"] == "hi from stacks", timeout=60)
        redeployed = output.wait_for(
            "localcloud: stacks/greeting.txt changed: redeployed in ", 60, after=fixed
        )
        assert (
            "(Plan: 0 to add, 1 to change, 0 to destroy: aws_lambda_function.app updated "
            "in-place)" in output.lines[redeployed]
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    # The 502's error, in the gateway's log (written before the answer was sent).
    lines = output.close().splitlines()
    assert any("Runtime.UserCodeSyntaxError" in ln and "does not start" not in ln for ln in lines)


def boto3_lambda(project: Path):
    """boto3's Lambda client on the emulator of the local cloud running in ``project``."""
    url = json.loads((project / ".localcloud" / "ready.json").read_text())["emulatorUrl"]
    return aws.session().client("lambda", endpoint_url=url)


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


def test_terraform_error_from_cdktf_output():
    lines = [
        "ecommerce-local  \x1b[31m╷\x1b[0m",
        "                 \x1b[31m│\x1b[0m \x1b[31mError: \x1b[0m\x1b[1mcreating KMS Key: boom",
        "                 \x1b[31m│\x1b[0m ",
        "                 \x1b[31m│\x1b[0m   with aws_kms_key.key,",
    ]
    assert terraform_error(lines) == "creating KMS Key: boom"
    assert terraform_error(["something else went wrong"]) == "something else went wrong"


def test_flatten_outputs(tmp_path):
    all_outputs = tmp_path / "all.json"
    all_outputs.write_text(json.dumps({"s": {"A": "1", "B": ["x"]}}))
    flat = tmp_path / "flat.json"
    assert flatten_outputs(all_outputs, flat, "s") == {"A": "1", "B": ["x"]}
    assert json.loads(flat.read_text()) == {"A": "1", "B": ["x"]}
    with pytest.raises(LocalCloudError, match="no outputs for other"):
        flatten_outputs(all_outputs, flat, "other")


def test_mirror_layouts_and_cli_config(tmp_path):
    unpacked = tmp_path / "a" / "registry.terraform.io" / "hashicorp" / "aws" / "5.1.0"
    (unpacked / "linux_amd64").mkdir(parents=True)
    (unpacked / "linux_amd64" / "terraform-provider-aws_v5.1.0_x5").write_text("")
    packed = tmp_path / "b" / "registry.terraform.io" / "hashicorp" / "aws"
    packed.mkdir(parents=True)
    (packed / "terraform-provider-aws_5.2.0_linux_amd64.zip").write_text("")
    assert mirror_versions(tmp_path / "a") == ["5.1.0"]
    assert mirror_versions(tmp_path / "b") == ["5.2.0"]
    assert mirror_versions(tmp_path / "none") == []
    assert find_mirror({"LOCALCLOUD_PROVIDER_MIRROR": str(tmp_path / "b")}) == tmp_path / "b"
    config = write_cli_config(tmp_path / "rc", tmp_path / "a")
    assert f'path = "{tmp_path / "a"}"' in config.read_text()
    env = {
        "LOCALCLOUD_OFFLINE": "1",
        "LOCALCLOUD_PROVIDER_MIRROR": str(tmp_path / "a"),
        "HOME": str(tmp_path),
    }
    changes, note = provider_setup(env, tmp_path / "out" / "rc")
    assert changes == {"TF_CLI_CONFIG_FILE": str(tmp_path / "out" / "rc")}
    assert "unreachable" in note
    # A user whose own CLI configuration says where providers come from is left alone.
    (tmp_path / "own.rc").write_text("provider_installation { direct {} }\n")
    env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "own.rc")
    assert provider_setup(env, tmp_path / "out" / "rc")[0] == {}


def test_provider_download_cached_across_runs_when_the_registry_answers(tmp_path, monkeypatch):
    monkeypatch.setattr("localcloud.deploy.terraform.registry_reachable", lambda timeout: True)
    env = {"HOME": str(tmp_path)}
    changes, note = provider_setup(env, tmp_path / "rc")
    cache = tmp_path / ".cache" / "localcloud" / "terraform-plugins"
    assert changes == {
        "TF_PLUGIN_CACHE_DIR": str(cache),
        "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE": "true",
    }
    assert cache.is_dir()
    assert str(cache) in note
    assert not (tmp_path / "rc").exists()  # no mirror configuration when online
    # A user who already has a cache keeps it.
    assert provider_setup({**env, "TF_PLUGIN_CACHE_DIR": "/c"}, tmp_path / "rc")[0] == {}
    (tmp_path / ".terraformrc").write_text('plugin_cache_dir = "/mine"\n')
    assert provider_setup(env, tmp_path / "rc")[0] == {}


def test_check_terraform_on_this_machine():
    version = check_terraform(dict(os.environ))
    assert tuple(int(n) for n in version.split(".")[:2]) >= (1, 3)
