"""The web application firewall in front of the API stage."""

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclAssociationConfig,
    Wafv2WebAclAssociationConfigRequestBody,
    Wafv2WebAclAssociationConfigRequestBodyApiGateway,
    Wafv2WebAclCustomResponseBody,
    Wafv2WebAclRule,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
)
from constructs import Construct

from handlers.store.spec import cors
from handlers.store.spec.schemas import MAX_BODY_BYTES
from stacks.store.firewall_answers import BLOCK_ANSWERS
from stacks.store.managed_rules import BLOCK, MANAGED_RULE_GROUPS

# How much of a body API Gateway hands WAF: all of the contract's largest (64 KiB), so that a
# body over it is exactly one that WAF cannot see whole (WAF's own limit choices are 16, 32, 48
# and 64 KB; AWS bills the inspection beyond the first 16 KB).
BODY_INSPECTION_LIMIT = "KB_64"


@dataclass(frozen=True)
class FirewallProps:
    """Inputs of ``Firewall``."""

    prefix: str
    stage_arn: str
    rate_limit_per_5_minutes: int
    log_retention_days: int
    kms_key_arn: str
    # Origins a browser may call from ("*": any); a request naming another origin is blocked.
    allowed_origins: tuple[str, ...] = ("*",)


def _visibility(name: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _foreign_origin(allowed: tuple[str, ...]) -> dict:
    """Matches a request that carries an Origin header naming none of the allowed origins."""
    origin = {"single_header": {"name": "origin"}}
    none = [{"priority": 0, "type": "NONE"}]
    return {
        "and_statement": {
            "statement": [
                {
                    "size_constraint_statement": {
                        "field_to_match": origin,
                        "comparison_operator": "GT",
                        "size": 0,
                        "text_transformation": none,
                    }
                },
                {
                    "not_statement": {
                        "statement": [
                            {
                                "regex_match_statement": {
                                    "regex_string": cors.origin_pattern(allowed),
                                    "field_to_match": origin,
                                    "text_transformation": none,
                                }
                            }
                        ]
                    }
                },
            ]
        }
    }


class Firewall(Construct):
    """A regional WAFv2 web ACL on the stage, with its logs in an encrypted log group.

    In priority order: where only listed origins are allowed, a request from any other origin is
    blocked first (API Gateway's own error responses cannot choose an origin, their templates
    are not run by VTL, so they copy the request's Origin, which is safe only because foreign
    ones never reach them); a body over the contract's 64 KiB is refused; then AWS's managed
    rule groups, each rule blocking or counting as ``stacks.store.managed_rules`` says; then a
    per-address rate limit. Every block answers in the contract's error shape (JSON, FORBIDDEN,
    PAYLOAD_TOO_LARGE or TOO_MANY_REQUESTS) with what CORS headers a fixed response can carry.
    """

    def __init__(self, scope: Construct, construct_id: str, props: FirewallProps):
        super().__init__(scope, construct_id)
        self.web_acl = Wafv2WebAcl(
            self,
            "web-acl",
            name=f"{props.prefix}-api",
            scope="REGIONAL",
            default_action={"allow": {}},
            rule=rules(props),
            custom_response_body=[
                Wafv2WebAclCustomResponseBody(
                    key=key,
                    content=json.dumps(
                        {"error": {"code": code, "message": message, "details": []}}
                    ),
                    content_type="APPLICATION_JSON",
                )
                for key, (_, code, message) in BLOCK_ANSWERS.items()
            ],
            association_config=Wafv2WebAclAssociationConfig(
                request_body=[
                    Wafv2WebAclAssociationConfigRequestBody(
                        api_gateway=Wafv2WebAclAssociationConfigRequestBodyApiGateway(
                            default_size_inspection_limit=BODY_INSPECTION_LIMIT
                        )
                    )
                ]
            ),
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": f"{props.prefix}-api",
                "sampled_requests_enabled": True,
            },
        )
        Wafv2WebAclAssociation(
            self, "association", resource_arn=props.stage_arn, web_acl_arn=self.web_acl.arn
        )
        self._logging(props)

    def _logging(self, props: FirewallProps) -> None:
        # WAF only writes to log groups whose name starts with aws-waf-logs-.
        log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=f"aws-waf-logs-{props.prefix}-api",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
        )


def cors_headers(allowed: tuple[str, ...]) -> list[dict[str, str]]:
    """The CORS headers a block's fixed response can carry: "*" where any origin is allowed, the
    one origin where only one is, none where several are (a fixed response cannot echo the
    request's Origin, so a browser on any of several origins cannot read the answer)."""
    if "*" in allowed:
        return [{"name": "Access-Control-Allow-Origin", "value": "*"}]
    if len(allowed) == 1:
        return [
            {"name": "Access-Control-Allow-Origin", "value": allowed[0]},
            {"name": "Vary", "value": "Origin"},
        ]
    return []


def block(answer: str, headers: list[dict[str, str]]) -> dict:
    """A block action answering ``BLOCK_ANSWERS[answer]`` with ``headers``."""
    response = {"response_code": BLOCK_ANSWERS[answer][0], "custom_response_body_key": answer}
    if headers:
        response["response_header"] = headers
    return {"block": {"custom_response": response}}


def rules(props: FirewallProps) -> list[Wafv2WebAclRule]:
    """In priority order: foreign origins blocked (where only listed origins are allowed), bodies
    over 64 KiB, the managed rule groups, then the per-address rate limit."""
    headers = cors_headers(props.allowed_origins)
    own = (
        []
        if "*" in props.allowed_origins
        else [("foreign-origin", _foreign_origin(props.allowed_origins), block("forbidden", []))]
    )
    own.append(("body-over-64-kib", _body_over_limit(), block("payload-too-large", headers)))
    rate_limit = {
        "rate_based_statement": {
            "limit": props.rate_limit_per_5_minutes,
            "aggregate_key_type": "IP",
            "evaluation_window_sec": 300,
        }
    }
    managed = [
        Wafv2WebAclRule(
            name=group,
            priority=len(own) + index,
            override_action=Wafv2WebAclRuleOverrideAction(none={}),
            statement=_managed_group(group, group_rules, headers),
            visibility_config=_visibility(group),
        )
        for index, (group, group_rules) in enumerate(MANAGED_RULE_GROUPS.items())
    ]
    last = ("rate-limit-per-ip", rate_limit, block("too-many-requests", headers))
    return [
        *(_own(priority, *rule) for priority, rule in enumerate(own)),
        *managed,
        _own(len(own) + len(managed), *last),
    ]


def _managed_group(group: str, group_rules: dict[str, str], headers: list[dict[str, str]]) -> dict:
    """AWS's rule group ``group``, each of its rules overridden to block (with the contract's
    403) or count."""
    return {
        "managed_rule_group_statement": {
            "name": group,
            "vendor_name": "AWS",
            "rule_action_override": [
                {
                    "name": rule,
                    "action_to_use": block("forbidden", headers)
                    if action == BLOCK
                    else {"count": {}},
                }
                for rule, action in group_rules.items()
            ],
        }
    }


def _body_over_limit() -> dict:
    """Matches a body over ``MAX_BODY_BYTES``: WAF sees at most the inspection limit (64 KB), and
    a body larger than that is "oversize", which this statement counts as a match."""
    return {
        "size_constraint_statement": {
            "field_to_match": {"body": [{"oversize_handling": "MATCH"}]},
            "comparison_operator": "GT",
            "size": MAX_BODY_BYTES,
            "text_transformation": [{"priority": 0, "type": "NONE"}],
        }
    }


def _own(priority: int, name: str, statement: dict, action: dict) -> Wafv2WebAclRule:
    return Wafv2WebAclRule(
        name=name,
        priority=priority,
        action=action,
        statement=statement,
        visibility_config=_visibility(name),
    )
