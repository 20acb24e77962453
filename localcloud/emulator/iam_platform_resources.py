"""The resources of the platform's services' calls (IAM, EC2, KMS, DynamoDB, CloudWatch, WAF,
API Gateway), as AWS's Service Authorization Reference names them; the store's services are in
``localcloud.emulator.iam_resources``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from localcloud.emulator.iam_call import Call, Pairs


def wafv2(call: Call) -> Pairs:
    """The web ACL a call names and the resource it protects; associating one with a REST API's
    stage also needs ``apigateway:SetWebACL`` on the stage."""
    params = call.params
    acl = params.get("WebACLArn")
    if not acl and params.get("Name") and "WebACL" in call.action:
        scope = "global" if params.get("Scope") == "CLOUDFRONT" else "regional"
        acl = call.scope.arn("wafv2", f"{scope}/webacl/{params['Name']}/{params.get('Id', '*')}")
    target = (
        params.get("ResourceArn")
        or params.get("ResourceARN")
        or (params.get("LoggingConfiguration") or {}).get("ResourceArn")
    )
    if call.action == "ListResourcesForWebACL":
        target = None
    named = [resource for resource in (acl, target) if resource]
    for resource in named or ["*"]:
        yield call.action, resource
    if call.action == "AssociateWebACL" and target and ":apigateway:" in target:
        yield "apigateway:SetWebACL", target


def apigateway(call: Call) -> Pairs:
    """API Gateway's actions are HTTP methods on the path (``apigateway:PATCH`` on
    ``arn:aws:apigateway:<region>::/restapis/<id>``)."""
    path = call.path.partition("?")[0].rstrip("/") or "/"
    yield (
        f"apigateway:{call.method}",
        f"arn:{call.scope.partition}:apigateway:{call.scope.region}::{path}",
    )


def cloudwatch(call: Call) -> Pairs:
    """Each alarm or dashboard a call names."""
    params = call.params
    alarms = params.get("AlarmNames") or ([params["AlarmName"]] if params.get("AlarmName") else [])
    boards = params.get("DashboardNames") or (
        [params["DashboardName"]] if params.get("DashboardName") else []
    )
    if params.get("ResourceARN"):
        yield call.action, params["ResourceARN"]
    elif alarms and call.action != "DescribeAlarms":
        for alarm in alarms:
            yield call.action, call.scope.arn("cloudwatch", f"alarm:{alarm}")
    elif boards:
        for board in boards:
            yield call.action, call.scope.arn("cloudwatch", f"dashboard/{board}", region=False)
    else:
        yield call.action, "*"


TRANSACT_WRITE = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
}
"""The action a TransactWriteItems part needs on its table (there is no TransactWriteItems
action in IAM)."""


def dynamodb(call: Call) -> Pairs:
    """Its action on each table or index the call names."""
    action, params = call.action, call.params

    def table(name: str) -> str:
        return name if name.startswith("arn:") else call.scope.arn("dynamodb", f"table/{name}")

    if action in ("BatchGetItem", "BatchWriteItem"):
        for name in params.get("RequestItems") or {}:
            yield action, table(name)
    elif action == "TransactGetItems":
        for part in params.get("TransactItems") or []:
            yield "GetItem", table(part["Get"]["TableName"])
    elif action == "TransactWriteItems":
        for part in params.get("TransactItems") or []:
            for kind, request in part.items():
                yield TRANSACT_WRITE[kind], table(request["TableName"])
    elif params.get("TableName"):
        resource = table(params["TableName"])
        if params.get("IndexName") and action in ("Query", "Scan"):
            resource = f"{resource}/index/{params['IndexName']}"
        yield action, resource
    else:
        named = params.get("ResourceArn") or params.get("TableArn") or params.get("StreamArn")
        yield action, named or "*"


KMS_KEY_ID_BYTES = 36
"""moto's ciphertext starts with the id of the key that made it."""


def kms_key(call: Call, key: str | None, aliases: Callable[[str], str | None]) -> str:
    """A key's ARN from its id, ARN, alias name or alias ARN (``aliases`` resolves an alias
    name to its key id); ``*`` when there is none."""
    if not key:
        return "*"
    if "alias/" in key:
        key = aliases(key[key.index("alias/") :]) or key
    return key if key.startswith("arn:") else call.scope.arn("kms", f"key/{key}")


def _kms_ciphertext_key(blob: str | None) -> str | None:
    try:
        return base64.b64decode(blob or "")[:KMS_KEY_ID_BYTES].decode("ascii") or None
    except (binascii.Error, ValueError):
        return None


def kms(call: Call) -> Pairs:
    """The key a KMS call names, or whose ciphertext it hands in; an alias call needs its
    action on the alias and on each key it points from or to."""
    params, aliases = call.params, call.extra.get("aliases", lambda _: None)
    if call.action in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        name = params["AliasName"]
        yield call.action, call.scope.arn("kms", name)
        current = aliases(name)
        if current and call.action != "CreateAlias":
            yield call.action, kms_key(call, current, aliases)
        if params.get("TargetKeyId"):
            yield call.action, kms_key(call, params["TargetKeyId"], aliases)
        return
    key = params.get("KeyId") or params.get("SourceKeyId")
    key = key or _kms_ciphertext_key(params.get("CiphertextBlob"))
    yield call.action, kms_key(call, key, aliases)


def iam(call: Call) -> Pairs:
    """The role, policy, OIDC provider or user a call names."""
    params, scope = call.params, call.scope
    if params.get("RoleName"):
        yield call.action, scope.arn("iam", f"role/{params['RoleName']}", region=False)
    elif params.get("PolicyArn") and "Role" not in call.action:
        yield call.action, params["PolicyArn"]
    elif call.action == "CreatePolicy":
        path = params.get("Path") or "/"
        yield call.action, scope.arn("iam", f"policy{path}{params['PolicyName']}", region=False)
    elif params.get("OpenIDConnectProviderArn"):
        yield call.action, params["OpenIDConnectProviderArn"]
    elif call.action == "CreateServiceLinkedRole":
        service = params.get("AWSServiceName", "*")
        yield call.action, scope.arn("iam", f"role/aws-service-role/{service}/*", region=False)
    elif params.get("UserName"):
        yield call.action, scope.arn("iam", f"user/{params['UserName']}", region=False)
    else:
        yield call.action, call.resource


EC2_TYPES = {
    "vpc": "vpc",
    "subnet": "subnet",
    "rtb": "route-table",
    "rtbassoc": "route-table",
    "igw": "internet-gateway",
    "sg": "security-group",
    "vpce": "vpc-endpoint",
    "fl": "vpc-flow-log",
    "eni": "network-interface",
}
"""EC2 ids' prefixes and the resource types of their ARNs (an association stands for its table:
``extra["ec2_owner"]`` maps it)."""
EC2_ID_PARAMS = ("RouteTableId", "SubnetId", "InternetGatewayId", "GroupId", "AssociationId",
                 "VpcId", "VpcEndpointId", "FlowLogId")  # fmt: skip
EC2_ID_LISTS = ("VpcEndpointIds", "FlowLogIds", "Resources", "ResourceIds")


def ec2_ids(params: dict[str, Any]) -> list[str]:
    """The ids an EC2 call names, the most specific first (a route's table before its VPC)."""
    found = [params[name] for name in EC2_ID_PARAMS if isinstance(params.get(name), str)]
    for name in EC2_ID_LISTS:
        found += [value for value in params.get(name) or [] if isinstance(value, str)]
    return found


def ec2(call: Call) -> Pairs:
    """Only the calls that change or remove named resources are scoped by ARN here (the
    project's policies scope no others): their first named resource."""
    owner = call.extra.get("ec2_owner", lambda ident: ident)
    ids = [] if call.action.startswith(("Describe", "Create")) else ec2_ids(call.params)
    for named in ids[:1] if call.action != "DeleteTags" else ids:
        ident = owner(named)
        kind = EC2_TYPES.get(ident.partition("-")[0])
        if kind:
            yield call.action, call.scope.arn("ec2", f"{kind}/{ident}")
            continue
        yield call.action, "*"
    if not ids:
        yield call.action, "*"
