"""scripts/ci/deploy.sh checks the account's Lambda concurrency quota before it deploys.

The check's arithmetic is tested on numbers; the script end to end with a stand-in for Lambda's
API on a loopback port (boto3 reaches it through AWS_ENDPOINT_URL_LAMBDA: moto has no
GetAccountSettings) and a stand-in for cdktf (a shell function, which bash prefers to the
project's node_modules/.bin/cdktf), so it is seen whether the deploy starts at all.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cdktf import Testing

from handlers.store.spec import manifest
from stacks.base.config import load
from stacks.store.store_stack import StoreStack

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("concurrency", ROOT / "scripts/ci/concurrency.py")
concurrency = importlib.util.module_from_spec(_SPEC)
sys.modules["concurrency"] = concurrency  # its dataclass looks its module up there
_SPEC.loader.exec_module(concurrency)
MIN_UNRESERVED, QUOTA_CODE = concurrency.MIN_UNRESERVED, concurrency.QUOTA_CODE
DEV = {"ecommerce-dev-products": 10, "ecommerce-dev-users": 10, "ecommerce-dev-orders": 10}


def test_the_stacks_reservations_are_read_from_the_synthesized_stack():
    # 50 for each of prod's seven functions (the API's three, the events' four): 350 in all.
    stack = json.loads(Testing.synth(StoreStack(Testing.app(), load("prod", {}))))
    region, wanted = concurrency.reservations(stack)
    assert region == "us-east-1"
    assert wanted == {f"ecommerce-prod-{spec.name}": 50 for spec in manifest.ALL}
    assert sum(wanted.values()) == 350


@pytest.mark.parametrize(
    ("quota", "unreserved", "already", "fits", "needed"),
    [
        (10, 10, 0, False, 130),  # a new account: 30 + the 100 Lambda keeps
        (1000, 1000, 0, True, 130),
        (130, 130, 0, True, 130),  # exactly 100 left unreserved
        (129, 129, 0, False, 130),
        (400, 100, 0, False, 430),  # others reserve 300 already
        (130, 100, 30, True, 130),  # a redeploy: its own 30 come back first
    ],
)
def test_the_verdict(quota, unreserved, already, fits, needed):
    settings = {"ConcurrentExecutions": quota, "UnreservedConcurrentExecutions": unreserved}
    answer = concurrency.verdict(settings, DEV, already, "us-east-1")
    assert (answer.fits, answer.quota_needed) == (fits, needed)
    if not fits:
        assert f"--quota-code {QUOTA_CODE} --desired-value {needed}" in answer.message
        assert f"quota in us-east-1 is {quota}" in answer.message
        assert f"keeps {MIN_UNRESERVED} unreserved" in answer.message


class _FakeLambda(BaseHTTPRequestHandler):
    """GetAccountSettings and GetFunctionConcurrency, from the server's ``answers``."""

    def do_GET(self):  # http.server's name
        answers = self.server.answers
        self.server.calls.append(self.path)
        function = re.fullmatch(r"/2019-09-30/functions/([^/]+)/concurrency", self.path)
        if self.path.startswith("/2016-08-19/account-settings"):
            self._reply(200, {"AccountLimit": answers["limit"], "AccountUsage": {}})
        elif function and function.group(1) in answers["existing"]:
            reserved = answers["existing"][function.group(1)]
            self._reply(200, {"ReservedConcurrentExecutions": reserved})
        else:
            self._reply(404, {"Type": "User", "Message": "Function not found"}, "ResourceNotFound")

    def _reply(self, status: int, body: dict, error: str | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if error:
            self.send_header("x-amzn-ErrorType", f"{error}Exception")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def deploy(tmp_path):
    """Run deploy.sh dev against the stand-ins; return (result, cdktf calls, Lambda calls)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLambda)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stack = tmp_path / "out" / "stacks" / "ecommerce-dev"
    stack.mkdir(parents=True)
    functions = {name: {"function_name": name, "reserved_concurrent_executions": n}
                 for name, n in DEV.items()}  # fmt: skip
    stack.joinpath("cdk.tf.json").write_text(
        json.dumps(
            {
                "provider": {"aws": [{"region": "us-east-1"}]},
                "resource": {"aws_lambda_function": functions},
            }
        )
    )
    calls = tmp_path / "cdktf-calls.txt"
    calls.touch()

    def go(limit: dict, existing: dict | None = None):
        server.answers = {"limit": limit, "existing": existing or {}}
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL_LAMBDA": f"http://127.0.0.1:{server.server_port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "ECOMMERCE_STATE_BUCKET": "acme-tf-state",
            "CI_OUT": str(tmp_path / "ci"),
            "CDKTF_OUT": str(tmp_path / "out"),
            "SKIP_SYNTH": "1",
            "CALLS": str(calls),
            "BASH_FUNC_cdktf%%": '() { echo "cdktf $*" >> "$CALLS"; }',
        }
        result = subprocess.run(
            ["bash", "scripts/ci/deploy.sh", "dev"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return result, calls.read_text(), list(server.calls)

    yield go
    server.shutdown()
    server.server_close()


def test_a_new_accounts_quota_stops_the_deploy_before_it_starts(deploy):
    result, cdktf, lambda_calls = deploy(
        {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": 10}
    )
    assert result.returncode == 1
    assert cdktf == ""
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("error: the account's Lambda concurrency quota in us-east-1 is 10")
    assert f"--quota-code {QUOTA_CODE} --desired-value 130" in message
    assert lambda_calls[0].startswith("/2016-08-19/account-settings")


def test_enough_quota_deploys(deploy, tmp_path):
    result, cdktf, lambda_calls = deploy(
        {"ConcurrentExecutions": 130, "UnreservedConcurrentExecutions": 110},
        existing={"ecommerce-dev-products": 10, "ecommerce-dev-users": 10},
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert cdktf.strip() == (
        f"cdktf deploy ecommerce-dev --skip-synth --output {out} --auto-approve "
        "--outputs-file cfn-outputs/all-outputs.json"
    )
    assert len(lambda_calls) == 4  # the account, then each of the three functions
