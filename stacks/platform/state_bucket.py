"""The S3 bucket that keeps every stack's Terraform state, and the KMS key that encrypts it."""

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA as ByDefault,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from stacks.base.iam import account_administers_key, policy_document

SSE_HEADER = "s3:x-amz-server-side-encryption"


@dataclass(frozen=True)
class StateBucketProps:
    """Inputs of ``StateBucket``."""

    bucket: str
    key_alias: str
    account_id: str
    partition: str
    deletion_window_days: int
    noncurrent_version_days: int
    noncurrent_versions_kept: int | None
    prevent_destroy: bool


class StateBucket(Construct):
    """A private, versioned bucket for Terraform state, encrypted with a key of its own.

    Versioning keeps every earlier state (old versions expire after a while, never the newest
    few); the key rotates yearly and only this account's IAM policies may use it; public access
    is blocked and ACLs are off (the bucket owner owns every object); the bucket policy refuses
    plain HTTP, TLS older than 1.2, and uploads that ask for an encryption other than KMS.
    """

    def __init__(self, scope: Construct, construct_id: str, props: StateBucketProps):
        super().__init__(scope, construct_id)
        self.props = props
        # Both refuse `destroy` where the configuration says so: losing them loses every state.
        protect = TerraformResourceLifecycle(prevent_destroy=props.prevent_destroy)
        self.key = KmsKey(
            self,
            "key",
            description=f"Terraform state in s3://{props.bucket}",
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days,
            policy=policy_document(account_administers_key(props.partition, props.account_id)),
            lifecycle=protect,
        )
        self.alias = KmsAlias(self, "alias", name=props.key_alias, target_key_id=self.key.key_id)
        self.bucket = S3Bucket(self, "bucket", bucket=props.bucket, lifecycle=protect)
        self._private()
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        self._encryption()
        self._old_versions_expire()
        self._policy()

    def _private(self) -> None:
        """ACLs off (the bucket owner owns every object) and all public access blocked."""
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        S3BucketPublicAccessBlock(
            self,
            "public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )

    def _encryption(self) -> None:
        """Every object encrypted with the key by default (with S3 bucket keys, fewer KMS calls)."""
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=ByDefault(
                        sse_algorithm="aws:kms", kms_master_key_id=self.key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )

    def _old_versions_expire(self) -> None:
        """Earlier versions of a state expire after a while, never the newest few; delete markers
        and abandoned uploads are cleaned up."""
        props = self.props
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="old-state-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days,
                            newer_noncurrent_versions=props.noncurrent_versions_kept,
                        )
                    ],
                    expiration=[
                        S3BucketLifecycleConfigurationRuleExpiration(
                            expired_object_delete_marker=True
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                )
            ],
            # S3 refuses noncurrent-version rules until versioning is on.
            depends_on=[self.versioning],
        )

    def _policy(self) -> None:
        """Refuse plain HTTP, TLS older than 1.2, and uploads asking for another encryption."""
        bucket_arn = self.bucket.arn
        objects = f"{bucket_arn}/*"
        S3BucketPolicy(
            self,
            "policy",
            bucket=self.bucket.id,
            policy=policy_document(
                _deny(
                    "DenyPlainHttp",
                    "s3:*",
                    [bucket_arn, objects],
                    {"Bool": {"aws:SecureTransport": "false"}},
                ),
                _deny(
                    "DenyTlsOlderThan12",
                    "s3:*",
                    [bucket_arn, objects],
                    {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                ),
                _deny(
                    "DenyUploadsNotEncryptedWithKms",
                    "s3:PutObject",
                    objects,
                    # An upload that names no encryption gets the bucket's default (the key).
                    {"StringNotEquals": {SSE_HEADER: "aws:kms"}, "Null": {SSE_HEADER: "false"}},
                ),
            ),
        )


def _deny(sid: str, actions, resources, condition: dict) -> dict:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
        "Condition": condition,
    }
