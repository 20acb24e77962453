"""A bucket's policy judged as AWS judges it, over the emulator's stand-in for HTTPS."""

import json

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket

from localcloud.emulator.patches import book, record

BUCKET = "arn:aws:s3:::acme-tf-state"
# The state bucket's policy (stacks/platform/state_bucket.py), as AWS's documentation writes
# each of its denials.
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyPlainHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyTlsOlderThan12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
        {
            "Sid": "NoDeletes",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteObject",
            "Resource": f"{BUCKET}/*",
        },
    ],
}


def bucket() -> FakeBucket:
    found = FakeBucket("acme-tf-state", account_id="123456789012", region_name="us-east-1")
    found.policy = json.dumps(POLICY).encode()
    return found


def test_moto_alone_takes_the_https_condition_as_met():
    # moto 5.2.5's evaluator: the reason for the module. When moto judges conditions, this
    # fails, and the module can go.
    decision = IAMPolicy(json.dumps(POLICY)).is_action_permitted("s3:GetObject", f"{BUCKET}/k")
    assert decision == PermissionResult.DENIED


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("s3:GetObject", f"{BUCKET}/ecommerce-dev/terraform.tfstate", PermissionResult.NEUTRAL),
        ("s3:PutObject", f"{BUCKET}/ecommerce-dev/terraform.tfstate", PermissionResult.NEUTRAL),
        ("s3:ListBucket", BUCKET, PermissionResult.NEUTRAL),
        ("s3:DeleteObject", f"{BUCKET}/ecommerce-dev/terraform.tfstate", PermissionResult.DENIED),
    ],
)
def test_over_https_only_the_unconditional_denial_holds(action, resource, expected):
    record.apply(book.patch("moto.s3.models.FakeBucket.get_permission"))
    assert bucket().get_permission(action, resource) == expected


def test_no_policy_says_nothing():
    record.apply(book.patch("moto.s3.models.FakeBucket.get_permission"))
    found = bucket()
    found.policy = None
    assert found.get_permission("s3:GetObject", f"{BUCKET}/k") == PermissionResult.NEUTRAL
