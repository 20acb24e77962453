"""The delivery stacks (``ecommerce-bootstrap``, ``ecommerce-account``) after the pipeline's run
on them: what the administrator's bootstrap made, read through the AWS API; a change made by
hand to the state bucket; the bucket emptied for the destroy; what is left after it.

No workflow plans, changes or destroys these stacks: they are an administrator's, and the CI
roles may not read their state (docs/delivery.md). So the rehearsal's steps on them run as the
emulator's administrator, as an operator runs ``scripts/ci/drift.sh ecommerce-bootstrap
ecommerce-account``; these functions take the administrator's clients.
"""

from __future__ import annotations

import json
from pathlib import Path

STAND_IN_GH = """#!/usr/bin/env bash
# A stand-in for GitHub's CLI: its arguments (and the body file's text) recorded in $GH_CALLS.
echo "$*" >> "$GH_CALLS"
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --body-file ]; then j=$((i + 1)); cat "${!j}" >> "$GH_CALLS"; fi
done
"""
"""GitHub is out of reach: the drift check's issue goes to this script, first on ``PATH``."""


def stand_in_gh(bin_dir: Path) -> Path:
    """``gh`` in ``bin_dir``, written and executable; its path."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(STAND_IN_GH, encoding="utf-8")
    gh.chmod(0o755)
    return gh


def read(s3, iam, apigateway, bucket: str, role: str) -> dict:
    """What the two stacks made, as the API describes it: the state bucket's settings, GitHub's
    OIDC providers, ``role``'s trust and managed policies, API Gateway's account setting."""
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    providers = []
    for listed in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=listed["Arn"])
        providers.append(
            {
                "Arn": listed["Arn"],
                **{k: found[k] for k in ("Url", "ClientIDList", "ThumbprintList")},
            }
        )
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    return {
        "bucket": {
            "Versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
            "EncryptionRules": rules,
            "PublicAccessBlock": s3.get_public_access_block(Bucket=bucket)[
                "PublicAccessBlockConfiguration"
            ],
            "OwnershipRules": s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"][
                "Rules"
            ],
            "PolicyStatements": policy["Statement"],
            "LifecycleRules": s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
        },
        "oidcProviders": providers,
        "role": {
            "RoleName": role,
            "AssumeRolePolicyDocument": iam.get_role(RoleName=role)["Role"][
                "AssumeRolePolicyDocument"
            ],
            "AttachedPolicyNames": sorted(p["PolicyName"] for p in attached),
        },
        "apiGatewayAccount": {"cloudwatchRoleArn": apigateway.get_account()["cloudwatchRoleArn"]},
    }


def set_versioning(s3, bucket: str, status: str) -> None:
    """``Suspended``: the change made by hand, outside Terraform, that the drift check must find;
    ``Enabled``: as the stack has it."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def empty(s3, bucket: str) -> int:
    """Every version and delete marker out of ``bucket`` (what dev's state left there: the
    bucket has no ``force_destroy``, and S3 deletes no bucket that holds anything, as an operator
    finds when tearing it down); how many were deleted."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
            deleted += 1
    return deleted


def left(s3, iam) -> dict:
    """What remains of the two stacks after their destroy, as the API lists it."""
    return {
        "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"]),
        "oidcProviders": iam.list_open_id_connect_providers()["OpenIDConnectProviderList"],
    }
