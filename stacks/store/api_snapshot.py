"""What a deployment of the REST API snapshots, and the triggers that make a new deployment
whenever any of it changes: a deployment is a snapshot, and AWS serves the stage from it until a
new one is made."""

import hashlib
import json

import jsii
from cdktf import Fn, IResolveContext, IStringProducer, Lazy, TerraformResource
from cdktf_cdktf_provider_aws.api_gateway_authorizer import ApiGatewayAuthorizer
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from constructs import Construct

# Resources under the construct that a deployment does not snapshot (everything else of
# API Gateway's does, so it is hashed into the deployment's trigger).
NOT_SNAPSHOTTED = frozenset(
    (
        "aws_api_gateway_account",
        "aws_api_gateway_deployment",
        "aws_api_gateway_method_settings",
        "aws_api_gateway_stage",
    )
)
# Errors raised by API Gateway itself, answered in the contract's error shape.


def snapshotted(scope: Construct) -> list[TerraformResource]:
    """Every resource under ``scope`` that a deployment snapshots: all of API Gateway's but the
    deployment, the stage and their settings."""
    return [
        child
        for child in scope.node.find_all()
        if isinstance(child, TerraformResource)
        and child.terraform_resource_type.startswith("aws_api_gateway_")
        and child.terraform_resource_type not in NOT_SNAPSHOTTED
    ]


def redeployment_triggers(scope: Construct) -> dict[str, str]:
    """The deployment's triggers: the hash of what it snapshots, and what that points to."""
    return {
        "redeployment": Lazy.string_value(_SnapshotHash(scope)),
        "references": Lazy.string_value(_SnapshotReferences(scope)),
    }


@jsii.implements(IStringProducer)
class _SnapshotHash:  # pylint: disable=too-few-public-methods  # a jsii producer
    """SHA-256 of the synthesized configuration of ``snapshotted(scope)``, computed at synth so
    that resources added to the construct after the deployment are covered too."""

    def __init__(self, scope: Construct):
        self.scope = scope

    def produce(self, context: IResolveContext) -> str:
        """The hash."""
        config = [context.resolve(r.to_terraform()) for r in snapshotted(self.scope)]
        return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


@jsii.implements(IStringProducer)
class _SnapshotReferences:  # pylint: disable=too-few-public-methods  # a jsii producer
    """The values the snapshot points to but does not hold: each authorizer's provider ARNs and
    each integration's URI, as Terraform expressions (one per line), so that a change of what
    they reference changes the trigger even though the configuration, and its hash, does not."""

    def __init__(self, scope: Construct):
        self.scope = scope

    def produce(self, _context: IResolveContext) -> str:
        """The expressions, in the order of ``snapshotted(scope)``."""
        values = []
        for resource in snapshotted(self.scope):
            if isinstance(resource, ApiGatewayAuthorizer):
                values.append(Fn.join(",", Fn.sort(resource.provider_arns)))
            elif isinstance(resource, ApiGatewayIntegration) and resource.uri_input:
                values.append(resource.uri)
        return "\n".join(values)
