"""The bootstrap stack: the bucket every other stack keeps its Terraform state in."""

from constructs import Construct

from stacks.base.aws_stack import AwsStack
from stacks.base.config import StateBackend
from stacks.base.delivery_config import BootstrapConfig
from stacks.platform.state_bucket import StateBucket, StateBucketProps


class BootstrapStack(AwsStack):
    """``ecommerce-bootstrap``: the state bucket and its key, deployed once per account by hand.

    Its own state is a local file (the bucket cannot hold the state of its own creation); keep
    that file, or move it into the bucket afterwards (see docs/delivery.md).
    """

    def __init__(self, scope: Construct, config: BootstrapConfig):
        super().__init__(
            scope,
            config.stack_name,
            state=StateBackend(local_path=config.state_path),
            region=config.region,
            tags=config.tags,
        )
        self.config = config
        self.state_bucket = self._state_bucket()
        self._outputs()

    def _state_bucket(self) -> StateBucket:
        config = self.config
        return StateBucket(
            self,
            "state",
            StateBucketProps(
                bucket=config.bucket,
                key_alias=config.key_alias,
                account_id=self.account_id,
                partition=self.partition,
                deletion_window_days=config.kms_deletion_window_days,
                noncurrent_version_days=config.noncurrent_version_days,
                noncurrent_versions_kept=config.noncurrent_versions_kept,
                prevent_destroy=config.prevent_destroy,
            ),
        )

    def _outputs(self) -> None:
        state = self.state_bucket
        self.output(
            "StateBucketName",
            state.bucket.bucket,
            "The bucket every other stack keeps its state in (ECOMMERCE_STATE_BUCKET).",
        )
        self.output("StateBucketArn", state.bucket.arn, "The state bucket's ARN.")
        self.output("StateKeyArn", state.key.arn, "The KMS key that encrypts the state.")
        self.output("StateKeyAlias", state.alias.name, "The state key's alias.")
        self.output("Region", self.config.region, "The AWS region of the bucket and its key.")
