"""What every stack of the project starts with: its state backend, the AWS provider, and who
and where it deploys (account id and partition, resolved by Terraform)."""

from typing import Any

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from stacks.base.config import StateBackend
from stacks.base.state_backend import use_state_backend


class AwsStack(TerraformStack):
    """A stack on AWS in one region, its resources tagged by the provider's default tags."""

    def __init__(
        self,
        scope: Construct,
        name: str,
        *,
        state: StateBackend,
        region: str,
        tags: dict[str, str],
    ):
        super().__init__(scope, name)
        use_state_backend(self, state, region)
        AwsProvider(self, "aws", region=region, default_tags=[AwsProviderDefaultTags(tags=tags)])
        self.account_id = DataAwsCallerIdentity(self, "identity").account_id
        self.partition = DataAwsPartition(self, "partition").partition

    def output(self, name: str, value: Any, description: str) -> TerraformOutput:
        """A stack output under its own name (``cdktf deploy --outputs-file`` writes it flat,
        under the stack's name), with a line saying what it is."""
        return TerraformOutput(self, name, value=value, description=description, static_id=True)
