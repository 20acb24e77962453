"""The runner's tests' stand-ins: a ``cdktf`` that deploys a one-function API onto the emulator
with boto3 and writes the outputs file as cdktf does, a ``terraform`` that answers as the runner
needs, a project holding them, and ways to run ``python -m localcloud`` on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from localcloud import PROJECT_ROOT
from localcloud.base import aws
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


def make_project(tmp_path: Path) -> Path:
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
    """The runner's environment in these tests: offline, with the test mirror, the emulator
    building no backend ahead of the deploy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("TF_CLI_CONFIG_FILE", None)
    env.pop("ECOMMERCE_STACKS", None)
    env.update(
        {
            "PATH": f"{tmp_path / 'fake-bin'}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "LOCALCLOUD_OFFLINE": "1",
            "LOCALCLOUD_PROVIDER_MIRROR": str(tmp_path / "mirror"),
            # The stand-in deploy calls three services: the emulator builds them on their first
            # requests rather than all the stack's at its start (test_lifecycle_with_down does).
            "LOCALCLOUD_BUILD_BACKENDS": "0",
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


def boto3_lambda(project: Path):
    """boto3's Lambda client on the emulator of the local cloud running in ``project``."""
    url = json.loads((project / ".localcloud" / "ready.json").read_text())["emulatorUrl"]
    return aws.session().client("lambda", endpoint_url=url)
