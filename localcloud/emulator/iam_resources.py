"""The resource each call of the store stack's services is authorized against, as AWS's Service
Authorization Reference names it: pure functions of the call's parameters.

``resources(call)`` gives the (action, resource ARN) pairs one call needs; a call AWS authorizes
against ``*`` (Describe/List calls, creates of resources with generated ids) keeps ``*``. Calls of
services not listed keep the resource moto determined.
"""

from __future__ import annotations

from collections.abc import Callable

from localcloud.emulator.iam_call import Call, Pairs
from localcloud.emulator.iam_platform_resources import (
    apigateway,
    cloudwatch,
    dynamodb,
    ec2,
    iam,
    kms,
    wafv2,
)


def _name_after(value: str, marker: str) -> str:
    return value.rpartition(marker)[2] if marker in value else value


def lambda_function(call: Call, name: str) -> str:
    """A function's ARN from its name, partial or full ARN (without its qualifier)."""
    if name.startswith("arn:"):
        return ":".join(name.split(":")[:7])
    if ":" in name:  # "123456789012:function:name" or "name:qualifier"
        name = name.split(":")[2] if ":function:" in name else name.split(":", maxsplit=1)[0]
    return call.scope.arn("lambda", f"function:{name}")


MAPPING_ACTIONS = ("GetEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping")


def _lambda(call: Call) -> Pairs:
    params = call.params
    if call.action in MAPPING_ACTIONS and params.get("UUID"):
        yield call.action, call.scope.arn("lambda", f"event-source-mapping:{params['UUID']}")
    elif call.action in ("CreateEventSourceMapping", "ListEventSourceMappings"):
        yield call.action, "*"
    elif params.get("FunctionName"):
        yield call.action, lambda_function(call, params["FunctionName"])
    elif params.get("Resource"):
        yield call.action, params["Resource"]
    elif params.get("LayerName") and params.get("VersionNumber"):
        layer = params["LayerName"]
        layer = layer if layer.startswith("arn:") else call.scope.arn("lambda", f"layer:{layer}")
        yield call.action, f"{layer}:{params['VersionNumber']}"
    else:
        yield call.action, "*"


def sqs_queue(call: Call) -> str:
    """The queue a call names by URL or name."""
    name = call.params.get("QueueUrl", "").rstrip("/").rpartition("/")[2]
    name = name or call.params.get("QueueName")
    return call.scope.arn("sqs", name) if name else "*"


def _sqs(call: Call) -> Pairs:
    yield call.action, "*" if call.action == "ListQueues" else sqs_queue(call)


STREAM_ACTIONS = ("CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents")


def log_group(call: Call) -> str | None:
    """The log group a call names (by name or by ARN)."""
    params = call.params
    name = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not name:
        return None
    if name.startswith("arn:"):
        return name.removesuffix(":*")
    return call.scope.arn("logs", f"log-group:{name}")


def _logs(call: Call) -> Pairs:
    group = log_group(call)
    if call.params.get("resourceArn"):
        yield call.action, call.params["resourceArn"].removesuffix(":*")
    elif group and call.action in STREAM_ACTIONS:
        yield call.action, f"{group}:log-stream:{call.params.get('logStreamName', '*')}"
    elif group and call.action != "DescribeLogGroups":
        yield call.action, group
    else:
        yield call.action, "*"


def _one_resource(
    resolve: Callable[[Call], str | None],
    otherwise: Callable[[Call], str] = lambda call: "*",
) -> Callable[[Call], Pairs]:
    """The resolver of a service whose calls need one resource: the ARN its tagging calls name
    (``ResourceArn``), else ``resolve``'s, else ``otherwise``'s (``*``: a List or a create)."""

    def resolver(call: Call) -> Pairs:
        yield call.action, call.params.get("ResourceArn") or resolve(call) or otherwise(call)

    return resolver


def _cognito_pool(call: Call) -> str | None:
    pool = call.params.get("UserPoolId")
    return call.scope.arn("cognito-idp", f"userpool/{pool}") if pool else None


def event_bus(call: Call, name: str | None) -> str:
    """A bus's ARN from its name or ARN (``default`` when not named)."""
    name = name or "default"
    return name if name.startswith("arn:") else call.scope.arn("events", f"event-bus/{name}")


def event_rule(call: Call, name: str, bus: str | None) -> str:
    """A rule's ARN: ``rule/<name>`` on the default bus, ``rule/<bus>/<name>`` on another."""
    bus = _name_after(bus or "default", "event-bus/")
    return call.scope.arn("events", f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}")


RULE_ACTIONS = ("PutRule", "DescribeRule", "DeleteRule", "EnableRule", "DisableRule")


def _events(call: Call) -> Pairs:
    params = call.params
    if params.get("ResourceARN"):
        yield call.action, params["ResourceARN"]
    elif call.action in RULE_ACTIONS:
        yield call.action, event_rule(call, params["Name"], params.get("EventBusName"))
    elif params.get("Rule"):
        yield call.action, event_rule(call, params["Rule"], params.get("EventBusName"))
    elif call.action == "PutEvents":
        for entry in params.get("Entries") or [{}]:
            yield call.action, event_bus(call, entry.get("EventBusName"))
    elif call.action.endswith("EventBus") and params.get("Name"):
        yield call.action, event_bus(call, params["Name"])
    else:
        yield call.action, "*"


def _scheduler_resource(call: Call) -> str | None:
    name = call.params.get("Name")
    if name and call.action.endswith("ScheduleGroup"):
        return call.scope.arn("scheduler", f"schedule-group/{name}")
    if name and call.action.endswith("Schedule"):
        group = call.params.get("GroupName") or "default"
        return call.scope.arn("scheduler", f"schedule/{group}/{name}")
    return None


def _sns_topic(call: Call) -> str | None:
    params = call.params
    if params.get("TopicArn"):
        return params["TopicArn"]
    if call.action == "CreateTopic" and params.get("Name"):
        return call.scope.arn("sns", params["Name"])
    return None


def _ses_identity(call: Call) -> str | None:
    """SES v2's calls on an identity name it (``identity/<address or domain>``)."""
    identity = call.params.get("EmailIdentity")
    return call.scope.arn("ses", f"identity/{identity}") if identity else None


def _resolved(call: Call) -> Pairs:
    yield call.action, call.resource


RESOLVERS: dict[str, Callable[[Call], Pairs]] = {
    "lambda": _lambda,
    "sqs": _sqs,
    "logs": _logs,
    "cognito-idp": _one_resource(_cognito_pool),
    "events": _events,
    "scheduler": _one_resource(_scheduler_resource),
    "wafv2": wafv2,
    "apigateway": apigateway,
    "sns": _one_resource(_sns_topic),
    # A send keeps moto_iam's resource (its sender's identity).
    "ses": _one_resource(_ses_identity, otherwise=lambda call: call.resource),
    "cloudwatch": cloudwatch,
    "dynamodb": dynamodb,
    "kms": kms,
    "iam": iam,
    "ec2": ec2,
}
"""Services whose resources the emulator resolves; the others keep moto's (S3 names its bucket
and object, STS the role, SES's sends their sender; Application Auto Scaling ``*``)."""


def resources(call: Call) -> list[tuple[str, str]]:
    """The (``service:Action``, resource) pairs ``call`` needs, without repeats."""
    pairs = RESOLVERS.get(call.service, _resolved)(call)
    named = [(a if ":" in a else f"{call.service}:{a}", r) for a, r in pairs]
    return list(dict.fromkeys(named))
