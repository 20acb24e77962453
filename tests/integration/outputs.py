"""Read a deployed stack's outputs from any of the three files the tooling can write.

- cdktf's ``--outputs-file``: ``{"ecommerce-dev": {"VpcId": "...", ...}, ...}``, keyed by stack;
- the flat file: ``{"VpcId": "...", ...}``;
- ``terraform output -json``: ``{"VpcId": {"value": "...", "type": ..., "sensitive": false}}``.
"""

import json
from pathlib import Path

# Every output the stack declares; a flat object must hold all of them.
REQUIRED = (
    "VpcId", "VpcCidr", "PublicSubnetIds", "PrivateSubnetIds", "SecurityGroupId",
    "ProductsTableName", "ProductsTableArn", "OrdersTableName", "OrdersTableArn",
    "UsersTableName", "UsersTableArn",
    "ProductsLambdaArn", "ProductsLambdaName", "ProductsLambdaInvokeArn",
    "OrdersLambdaArn", "OrdersLambdaName", "OrdersLambdaInvokeArn",
    "UsersLambdaArn", "UsersLambdaName", "UsersLambdaInvokeArn",
    "ApiGatewayId", "ApiGatewayName", "ApiGatewayRootResourceId", "ApiGatewayExecutionArn",
    "ApiGatewayUrl", "ApiGatewayStageName", "UserPoolId", "UserPoolArn", "UserPoolClientId",
    "AlarmTopicArn", "Environment", "Region",
    "EventBusName", "EventBusArn", "NotificationsQueueUrl", "NotificationsDeadLetterQueueArn",
    "LowStockQueueUrl", "LowStockDeadLetterQueueArn", "ExpiryQueueUrl",
    "ExpiryDeadLetterQueueArn", "PublisherDeadLetterQueueArn", "LowStockTopicArn",
    "EventsDeadLetterQueueArn", "ScheduleDeadLetterQueueArn",
)  # fmt: skip


class OutputsError(Exception):
    """The outputs file is missing, unreadable or does not hold the stack's outputs."""


def _is_terraform_format(data: dict) -> bool:
    return bool(data) and all(isinstance(v, dict) and "value" in v for v in data.values())


def parse(data: object, stack: str | None = None) -> dict:
    """The flat outputs of one stack from a parsed outputs document."""
    if not isinstance(data, dict) or not data:
        raise OutputsError("the outputs file does not hold a JSON object of outputs")
    if _is_terraform_format(data):
        return {key: entry["value"] for key, entry in data.items()}
    if not all(isinstance(v, dict) for v in data.values()):
        return data  # the flat file: output names to strings and lists
    stacks = data
    if stack is None:
        if len(stacks) != 1:
            raise OutputsError(
                f"the outputs file holds {len(stacks)} stacks ({', '.join(sorted(stacks))}); "
                "set STACK to pick one"
            )
        stack = next(iter(stacks))
    if stack not in stacks:
        raise OutputsError(
            f"stack {stack!r} is not in the outputs file (it has: {', '.join(sorted(stacks))})"
        )
    return stacks[stack]


def load(path: Path, stack: str | None = None) -> dict:
    """Read, parse and check the outputs file; every required output must be present."""
    if not path.is_file():
        raise OutputsError(
            f"no outputs file at {path}: deploy first (cdktf deploy <stack> --outputs-file {path}) "
            "or point OUTPUTS_FILE at one"
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise OutputsError(f"{path} is not JSON: {error}") from error
    outputs = parse(data, stack)
    missing = [key for key in REQUIRED if key not in outputs]
    if missing:
        raise OutputsError(f"{path} lacks outputs: {', '.join(missing)}")
    return outputs
