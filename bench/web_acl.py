"""The stack's web ACL (stacks/store/firewall.py), in the shape the Terraform provider sends it,
on a second stage of the gateway benchmark's API in the emulator (for
``bench/gateway_auth_bench.py``): foreign origins, the 64 KiB body limit, the five managed groups
with every rule's override, and a rate limit set too high to be reached.
"""

from __future__ import annotations

from handlers.store.spec import cors
from handlers.store.spec.schemas import MAX_BODY_BYTES
from localcloud.base import aws
from stacks.store.firewall_answers import BLOCK_ANSWERS
from stacks.store.managed_rules import BLOCK, MANAGED_RULE_GROUPS

REGION = aws.DEFAULT_REGION
# The stage behind the web ACL, and the one origin its rules allow.
GUARDED = "guarded"
ORIGIN = "https://shop.example.com"


def _block(key: str) -> dict:
    return {
        "Block": {
            "CustomResponse": {"ResponseCode": BLOCK_ANSWERS[key][0], "CustomResponseBodyKey": key}
        }
    }


def web_acl_rules() -> list[dict]:
    """The stack's rules, in the shape the Terraform provider sends them."""
    none = [{"Priority": 0, "Type": "NONE"}]
    origin = {"SingleHeader": {"Name": "origin"}}
    present = {"FieldToMatch": origin, "ComparisonOperator": "GT", "Size": 0}
    foreign = {
        "AndStatement": {
            "Statements": [
                {"SizeConstraintStatement": {**present, "TextTransformations": none}},
                {
                    "NotStatement": {
                        "Statement": {
                            "RegexMatchStatement": {
                                "RegexString": cors.origin_pattern((ORIGIN,)),
                                "FieldToMatch": origin,
                                "TextTransformations": none,
                            }
                        }
                    }
                },
            ]
        }
    }
    body = {
        "FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
        "ComparisonOperator": "GT",
        "Size": MAX_BODY_BYTES,
        "TextTransformations": none,
    }
    listed = [
        ("foreign-origin", {"Statement": foreign, "Action": _block("forbidden")}),
        (
            "body-over-64-kib",
            {"Statement": {"SizeConstraintStatement": body}, "Action": _block("payload-too-large")},
        ),
    ]
    for group, group_rules in MANAGED_RULE_GROUPS.items():
        overrides = [
            {"Name": rule, "ActionToUse": _block("forbidden") if action == BLOCK else {"Count": {}}}
            for rule, action in group_rules.items()
        ]
        statement = {"VendorName": "AWS", "Name": group, "RuleActionOverrides": overrides}
        listed.append(
            (
                group,
                {
                    "Statement": {"ManagedRuleGroupStatement": statement},
                    "OverrideAction": {"None": {}},
                },
            )
        )
    rate = {"Limit": 2_000_000_000, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}
    listed.append(
        (
            "rate-limit-per-ip",
            {"Statement": {"RateBasedStatement": rate}, "Action": _block("too-many-requests")},
        )
    )
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False}
    return [
        {
            "Name": name,
            "Priority": priority,
            **rule,
            "VisibilityConfig": {**visibility, "MetricName": name},
        }
        for priority, (name, rule) in enumerate(listed)
    ]


def guard(endpoint: str, api_id: str) -> None:
    """A second stage of the API, behind a web ACL with the stack's rules."""
    session = aws.session(REGION)
    apigw = session.client("apigateway", endpoint_url=endpoint)
    wafv2 = session.client("wafv2", endpoint_url=endpoint)
    apigw.create_deployment(restApiId=api_id, stageName=GUARDED)
    acl = wafv2.create_web_acl(
        Name="bench-api",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        Rules=web_acl_rules(),
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "bench-api",
        },
        CustomResponseBodies={
            key: {
                "ContentType": "APPLICATION_JSON",
                "Content": f'{{"error": {{"code": "{code}"}}}}',
            }
            for key, (_, code, _) in BLOCK_ANSWERS.items()
        },
        AssociationConfig={"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_64"}}},
    )["Summary"]
    wafv2.associate_web_acl(
        WebACLArn=acl["ARN"],
        ResourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/{GUARDED}",
    )
