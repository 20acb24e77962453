"""The environment's customer-managed KMS key."""

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from stacks.base.iam import account_administers_key, policy_document


@dataclass(frozen=True)
class EncryptionProps:
    """Inputs of ``Encryption``."""

    prefix: str
    region: str
    account_id: str
    partition: str
    deletion_window_days: int


class Encryption(Construct):
    """One rotating customer-managed key per environment.

    It encrypts the tables, log groups, the alarm topic, the functions' environment variables and
    the API's pagination tokens. The key policy lets only this account's IAM policies use it, plus
    the two services that encrypt on our behalf without an IAM role of ours: CloudWatch Logs (only
    for this account's log groups) and CloudWatch alarms publishing to the encrypted topic.
    """

    def __init__(self, scope: Construct, construct_id: str, props: EncryptionProps):
        super().__init__(scope, construct_id)
        self.key = KmsKey(
            self,
            "key",
            description=f"{props.prefix}: tables, logs, topic, function environment, tokens",
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days,
            policy=key_policy(props),
        )
        KmsAlias(self, "alias", name=f"alias/{props.prefix}", target_key_id=self.key.key_id)


def key_policy(props: EncryptionProps) -> str:
    """The account's IAM policies, CloudWatch Logs for this account's log groups, and CloudWatch
    alarms publishing to the encrypted topic (of this account only)."""
    return policy_document(
        account_administers_key(props.partition, props.account_id),
        {
            "Sid": "CloudWatchLogsForThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{props.region}.amazonaws.com"},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{props.partition}:logs:{props.region}:{props.account_id}:log-group:*"
                    )
                }
            },
        },
        {
            "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": props.account_id}},
        },
    )
