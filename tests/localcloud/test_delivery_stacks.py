"""The delivery stacks on the emulator: ``ecommerce-bootstrap`` and ``ecommerce-account`` deployed
by one real ``cdktf deploy``, checked through boto3, ``terraform plan -detailed-exitcode`` = 0 (by
``scripts/ci/drift.sh``, as the nightly workflow runs it), a drift made by hand and reported as
an issue (through a stand-in ``gh``), then ``cdktf destroy``.

One emulator (the conftest's), one synth of a small app of the two stacks
(``delivery_app.py``); the localcloud building blocks (emulator, provider source, cdktf runner)
do the work. Slow (a minute or two):
selected with ``-m localcloud``, and run by CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localcloud import PROJECT_ROOT
from localcloud.base import aws
from localcloud.base.aws import ADMIN_CREDENTIALS, SCRUBBED
from localcloud.deploy.cdktf import cdktf_command, run_cdktf, terraform_error
from localcloud.deploy.terraform import provider_setup
from localcloud.emulator.process import Emulator
from stacks.base.delivery_config import GITHUB_OIDC_THUMBPRINTS

pytestmark = pytest.mark.localcloud

REGION = aws.DEFAULT_REGION
BUCKET = "ecommerce-delivery-test-state"
REPOSITORY = "acme/store-api"
STACKS = ("ecommerce-bootstrap", "ecommerce-account")
APP = f"{sys.executable} {Path(__file__).with_name('delivery_app.py')}"

# A stand-in for GitHub's CLI: records its arguments (and the body file) instead of calling GitHub.
FAKE_GH = """#!/usr/bin/env bash
echo "$*" >> "$GH_CALLS"
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --body-file ]; then j=$((i + 1)); cat "${!j}" >> "$GH_CALLS"; fi
done
"""


def _env(emulator: Emulator, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and not k.startswith("AWS_")}
    env |= (
        ADMIN_CREDENTIALS
        | aws.region_env(REGION)
        | {
            "AWS_ENDPOINT_URL": emulator.url,
            "CI": "true",
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "ECOMMERCE_STATE_BUCKET": BUCKET,
            "ECOMMERCE_GITHUB_REPOSITORY": REPOSITORY,
            "DELIVERY_STATE_DIR": str(work / "state"),
        }
    )
    changes, _ = provider_setup(env, work / "terraformrc")
    return env | changes


def _cdktf(env: dict[str, str], work: Path, *args: str) -> None:
    command = cdktf_command(PROJECT_ROOT, env)
    status, lines = run_cdktf(
        [*command, *args, *STACKS, "--app", APP, "--output", str(work / "out"), "--auto-approve"],
        PROJECT_ROOT,
        env,
        work / "cdktf.log",
    )
    assert status == 0, terraform_error(lines)


def _drift(env: dict[str, str], work: Path, *stacks: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "scripts/ci/drift.sh", *stacks],
        cwd=PROJECT_ROOT,
        env=env | {"CDKTF_OUT": str(work / "out"), "SKIP_SYNTH": "1", "CI_OUT": str(work / "ci")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_deploy_plan_drift_destroy(emulator, tmp_path):
    env = _env(emulator, tmp_path)
    timings: dict[str, float] = {}
    started = time.monotonic()
    _cdktf(env, tmp_path, "deploy", "--skip-provider-lock")
    timings["deploy_s"] = time.monotonic() - started
    try:
        session = aws.session(REGION)
        s3, iam, apigw = (
            session.client(s, endpoint_url=emulator.url) for s in ("s3", "iam", "apigateway")
        )
        _check_state_bucket(s3)
        _check_ci_access(iam)
        assert apigw.get_account()["cloudwatchRoleArn"].endswith(
            ":role/ecommerce-apigateway-cloudwatch"
        )

        mark = time.monotonic()
        clean = _drift(env, tmp_path, *STACKS)
        timings["plan_s"] = time.monotonic() - mark
        assert clean.returncode == 0, clean.stdout + clean.stderr
        for stack in STACKS:
            assert f"{stack}: no changes" in clean.stdout

        # A change made outside Terraform: the nightly check must find it and file an issue.
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "gh").write_text(FAKE_GH)
        (bin_dir / "gh").chmod(0o755)
        calls = tmp_path / "gh-calls.txt"
        drifted = _drift(
            env
            | {
                "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
                "GH_TOKEN": "not-a-token",
                "GITHUB_REPOSITORY": REPOSITORY,
                "GH_CALLS": str(calls),
            },
            tmp_path,
            "ecommerce-bootstrap",
        )
        assert drifted.returncode == 0, drifted.stdout + drifted.stderr
        assert "ecommerce-bootstrap: changes pending" in drifted.stdout
        recorded = calls.read_text()
        assert (
            f"issue create --repo {REPOSITORY} --title Drift detected in ecommerce-bootstrap "
            "--label drift --body-file" in recorded
        )
        assert re.search(r'status\s+= "Suspended" -> "Enabled"', recorded), recorded
    finally:
        mark = time.monotonic()
        _cdktf(env, tmp_path, "destroy", "--skip-synth", "--skip-provider-lock")
        timings["destroy_s"] = time.monotonic() - mark
        print(json.dumps({k: round(v, 1) for k, v in timings.items()}))
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert BUCKET not in names
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def _check_state_bucket(s3) -> None:
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].startswith("arn:aws:kms:")
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {
        "DenyPlainHttp",
        "DenyTlsOlderThan12",
        "DenyUploadsNotEncryptedWithKms",
    }
    [lifecycle] = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def _check_ci_access(iam) -> None:
    [provider] = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    described = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    assert described["Url"].endswith("token.actions.githubusercontent.com")
    assert described["ClientIDList"] == ["sts.amazonaws.com"]
    assert described["ThumbprintList"] == list(GITHUB_OIDC_THUMBPRINTS)
    role = iam.get_role(RoleName="ecommerce-ci-prod-deploy")["Role"]
    [grant] = role["AssumeRolePolicyDocument"]["Statement"]
    assert grant["Principal"]["Federated"] == provider["Arn"]
    assert grant["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        f"repo:{REPOSITORY}:environment:prod"
    ]
    attached = iam.list_attached_role_policies(RoleName="ecommerce-ci-prod-deploy")
    assert sorted(p["PolicyName"] for p in attached["AttachedPolicies"]) == [
        "ecommerce-ci-prod-deploy-platform",
        "ecommerce-ci-prod-deploy-read",
        "ecommerce-ci-prod-deploy-write",
    ]
