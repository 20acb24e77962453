"""The state bucket: versioned, its own key, private, TLS only, old versions expire."""

import json

import pytest


def test_versioning_is_on(bootstrap_synth):
    versioning = bootstrap_synth.one("aws_s3_bucket_versioning")
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    assert versioning["bucket"].startswith("${aws_s3_bucket.state_bucket_")


def test_encrypted_with_its_own_rotating_key(bootstrap_synth):
    key = bootstrap_synth.one("aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    [grant] = json.loads(key["policy"])["Statement"]
    assert grant["Principal"] == {
        "AWS": "arn:${data.aws_partition.partition.partition}:iam::"
        "${data.aws_caller_identity.identity.account_id}:root"
    }
    alias = bootstrap_synth.one("aws_kms_alias")
    assert alias["name"] == "alias/ecommerce-terraform-state"
    [rule] = bootstrap_synth.one("aws_s3_bucket_server_side_encryption_configuration")["rule"]
    default = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"].startswith("${aws_kms_key.state_key_")
    assert rule["bucket_key_enabled"] is True


def test_public_access_blocked_and_acls_off(bootstrap_synth):
    block = bootstrap_synth.one("aws_s3_bucket_public_access_block")
    for setting in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert block[setting] is True, setting
    ownership = bootstrap_synth.one("aws_s3_bucket_ownership_controls")
    assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}


def _policy(bootstrap_synth) -> dict[str, dict]:
    policy = json.loads(bootstrap_synth.one("aws_s3_bucket_policy")["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def test_policy_refuses_plain_http_and_old_tls(bootstrap_synth):
    statements = _policy(bootstrap_synth)
    http = statements["DenyPlainHttp"]
    assert (http["Effect"], http["Principal"], http["Action"]) == ("Deny", "*", "s3:*")
    assert http["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(http["Resource"]) == 2 and http["Resource"][1].endswith(".arn}/*")
    tls = statements["DenyTlsOlderThan12"]
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


def test_policy_refuses_uploads_asking_for_another_encryption(bootstrap_synth):
    deny = _policy(bootstrap_synth)["DenyUploadsNotEncryptedWithKms"]
    assert (deny["Effect"], deny["Action"]) == ("Deny", "s3:PutObject")
    assert deny["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "Null": {"s3:x-amz-server-side-encryption": "false"},
    }
    assert all(s["Effect"] == "Deny" for s in _policy(bootstrap_synth).values())


def test_old_versions_expire_but_the_newest_stay(bootstrap_synth):
    lifecycle = bootstrap_synth.one("aws_s3_bucket_lifecycle_configuration")
    [rule] = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == [{"prefix": ""}]
    assert rule["noncurrent_version_expiration"] == [
        {"noncurrent_days": 90, "newer_noncurrent_versions": 10}
    ]
    assert rule["expiration"] == [{"expired_object_delete_marker": True}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert any("state_versioning" in d for d in lifecycle["depends_on"])


@pytest.mark.parametrize("kind", ["aws_s3_bucket", "aws_kms_key"])
def test_bucket_and_key_refuse_destruction(bootstrap_synth, kind):
    resource = bootstrap_synth.one(kind)
    assert resource["lifecycle"] == {"prevent_destroy": True}
    assert resource.get("force_destroy") in (None, False)
