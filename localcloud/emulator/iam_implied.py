"""What a call needs beyond its own action, and the condition keys it brings, as AWS documents
them per service: pure functions of the call.

- **Tag on create.** A create that carries tags also needs the service's tag action on the new
  resource (``implied_checks``): Lambda's CreateFunction and CreateEventSourceMapping
  (``lambda:TagResource``), SQS's CreateQueue (``sqs:TagQueue``), CloudWatch Logs'
  CreateLogGroup, EventBridge's PutRule and CreateEventBus, SNS's CreateTopic, DynamoDB's
  CreateTable, CloudWatch's PutMetricAlarm, KMS's CreateKey (on every key of the account and
  region: the new one has no id yet), IAM's CreateRole/CreatePolicy/CreateUser/
  CreateOpenIDConnectProvider (``iam:Tag<Type>``), EC2's creates with TagSpecifications
  (``ec2:CreateTags`` with ``ec2:CreateAction``) and Application Auto Scaling's
  RegisterScalableTarget.
- **Passing a role.** A call that hands a role to a service needs ``iam:PassRole`` on it with
  ``iam:PassedToService``: Lambda's function role, Scheduler's and EventBridge's target roles,
  API Gateway's account role for CloudWatch, EC2 flow logs' delivery role, Cognito's SMS role,
  Application Auto Scaling's role.
- **Condition keys of the request** (``call_context``): ``aws:RequestTag/<key>`` and
  ``aws:TagKeys`` of the tags it carries (or removes), ``iam:PermissionsBoundary``,
  ``iam:PolicyARN``, ``iam:AWSServiceName``, ``lambda:FunctionArn``.
"""

from __future__ import annotations

from typing import Any

from localcloud.emulator.iam_call import Call

Need = tuple[str, str, dict[str, Any]]
"""(``service:Action``, resource ARN, the condition keys it adds)."""

TAG_PARAMS = ("Tags", "tags", "UserPoolTags")


def _tag_pairs(value: Any) -> dict[str, str]:
    """Tags in any of the shapes AWS's APIs take them: a map, or a list of Key/Value (or
    TagKey/TagValue) objects."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    found = {}
    for tag in value or []:
        if isinstance(tag, dict):
            key = tag.get("Key", tag.get("TagKey"))
            if key is not None:
                found[str(key)] = str(tag.get("Value", tag.get("TagValue", "")))
    return found


def request_tags(call: Call) -> dict[str, str]:
    """The tags a call puts on a resource."""
    params = call.params
    for name in TAG_PARAMS:
        if params.get(name):
            return _tag_pairs(params[name])
    found: dict[str, str] = {}
    for spec in params.get("TagSpecifications") or params.get("TagSpecification") or []:
        found.update(_tag_pairs(spec.get("Tags") or spec.get("Tag")))
    return found


def call_context(call: Call) -> dict[str, Any]:
    """The condition keys a call brings of itself (not of its caller or its resource)."""
    params, context = call.params, {}
    tags = request_tags(call)
    for key, value in tags.items():
        context[f"aws:RequestTag/{key}"] = value
    removed = params.get("TagKeys") or params.get("tagKeys")
    if tags or removed:
        context["aws:TagKeys"] = list(tags) or list(removed)
    if call.service == "iam":
        if call.action in ("CreateRole", "PutRolePermissionsBoundary", "CreateUser"):
            boundary = params.get("PermissionsBoundary")
        else:
            boundary = call.extra.get("role_boundary")
        if boundary:
            context["iam:PermissionsBoundary"] = boundary
        if params.get("PolicyArn"):
            context["iam:PolicyARN"] = params["PolicyArn"]
        if params.get("AWSServiceName"):
            context["iam:AWSServiceName"] = params["AWSServiceName"]
    if (
        call.service == "lambda"
        and "EventSourceMapping" in call.action
        and params.get("FunctionName")
    ):
        name = params["FunctionName"]
        context["lambda:FunctionArn"] = (
            name if name.startswith("arn:") else call.scope.arn("lambda", f"function:{name}")
        )
    return context


TAG_ON_CREATE = {
    "lambda:CreateFunction": "lambda:TagResource",
    "lambda:CreateEventSourceMapping": "lambda:TagResource",
    "sqs:CreateQueue": "sqs:TagQueue",
    "logs:CreateLogGroup": "logs:TagResource",
    "events:PutRule": "events:TagResource",
    "events:CreateEventBus": "events:TagResource",
    "sns:CreateTopic": "sns:TagResource",
    "dynamodb:CreateTable": "dynamodb:TagResource",
    "cloudwatch:PutMetricAlarm": "cloudwatch:TagResource",
    "kms:CreateKey": "kms:TagResource",
    "iam:CreateRole": "iam:TagRole",
    "iam:CreatePolicy": "iam:TagPolicy",
    "iam:CreateUser": "iam:TagUser",
    "iam:CreateOpenIDConnectProvider": "iam:TagOpenIDConnectProvider",
    "application-autoscaling:RegisterScalableTarget": "application-autoscaling:TagResource",
}
"""Creates whose tags need the service's tag action on the new resource, as each service's
documentation says (the others' creates tag without it, or are not written down here)."""


def _created(call: Call, action: str, resource: str) -> str:
    """The resource a tagging create makes, where its own check names something else."""
    if action == "lambda:CreateEventSourceMapping":
        uuid = call.extra.get("new_uuid", "*")
        return call.scope.arn("lambda", f"event-source-mapping:{uuid}")
    if action == "kms:CreateKey":
        return call.scope.arn("kms", "key/*")
    if action == "iam:CreateOpenIDConnectProvider":
        url = call.params.get("Url", "").removeprefix("https://")
        return call.scope.arn("iam", f"oidc-provider/{url}", region=False)
    return resource


def _tag_checks(call: Call, pairs: list[tuple[str, str]]) -> list[Need]:
    if not request_tags(call):
        return []
    action = f"{call.service}:{call.action}"
    if action in TAG_ON_CREATE:
        return [(TAG_ON_CREATE[action], _created(call, action, pairs[0][1]), {})]
    if call.service == "ec2" and call.action.startswith("Create") and call.action != "CreateTags":
        kinds = [s.get("ResourceType", "*") for s in call.params.get("TagSpecifications") or []]
        return [
            (
                "ec2:CreateTags",
                call.scope.arn("ec2", f"{kind}/*"),
                {"ec2:CreateAction": call.action},
            )
            for kind in kinds or ["*"]
        ]
    return []


def passed_roles(call: Call) -> list[tuple[str, str]]:
    """(role ARN, service principal) of each role the call hands to a service."""
    params, action = call.params, f"{call.service}:{call.action}"
    found: list[tuple[str | None, str]] = []
    if action in ("lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"):
        found.append((params.get("Role"), "lambda.amazonaws.com"))
    elif action in ("scheduler:CreateSchedule", "scheduler:UpdateSchedule"):
        found.append(((params.get("Target") or {}).get("RoleArn"), "scheduler.amazonaws.com"))
    elif action == "events:PutTargets":
        found += [(t.get("RoleArn"), "events.amazonaws.com") for t in params.get("Targets") or []]
    elif action == "events:PutRule":
        found.append((params.get("RoleArn"), "events.amazonaws.com"))
    elif action == "apigateway:UpdateAccount":
        for operation in params.get("patchOperations") or []:
            if operation.get("path") == "/cloudwatchRoleArn":
                found.append((operation.get("value"), "apigateway.amazonaws.com"))
    elif action == "ec2:CreateFlowLogs":
        found.append((params.get("DeliverLogsPermissionArn"), "vpc-flow-logs.amazonaws.com"))
    elif action in ("cognito-idp:CreateUserPool", "cognito-idp:UpdateUserPool"):
        sms = params.get("SmsConfiguration") or {}
        found.append((sms.get("SnsCallerArn"), "cognito-idp.amazonaws.com"))
    elif action == "application-autoscaling:RegisterScalableTarget":
        found.append((params.get("RoleARN"), "application-autoscaling.amazonaws.com"))
    return [(role, service) for role, service in found if role]


def implied_checks(call: Call, pairs: list[tuple[str, str]]) -> list[Need]:
    """What ``call`` needs besides its own (action, resource) ``pairs``."""
    needs = _tag_checks(call, pairs)
    needs += [
        ("iam:PassRole", role, {"iam:PassedToService": service})
        for role, service in passed_roles(call)
    ]
    return needs
