"""The web application firewall in front of the API stage."""

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
)
from constructs import Construct

from handlers.store import cors

# AWS managed rule groups: OWASP-style common attacks, known bad inputs (Log4Shell among them),
# SQL injection, addresses with a bad reputation, and anonymizing proxies (VPNs, Tor).
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
)


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
    """A regional WAFv2 web ACL on the stage: AWS managed rule groups plus a per-address rate
    limit, with its logs in an encrypted log group.

    Where only listed origins are allowed, a request from any other origin is blocked first:
    API Gateway's own error responses cannot choose an origin (their templates are not run by
    VTL), so they copy the request's Origin, which is safe only because foreign ones never
    reach them.
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


def rules(props: FirewallProps) -> list[Wafv2WebAclRule]:
    """In priority order: foreign origins blocked (where only listed origins are allowed), the
    managed rule groups, then the per-address rate limit."""
    managed = [
        Wafv2WebAclRule(
            name=group,
            priority=priority,
            override_action=Wafv2WebAclRuleOverrideAction(none={}),
            statement={"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
            visibility_config=_visibility(group),
        )
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
    ]
    foreign_origin = (
        []
        if "*" in props.allowed_origins
        else [_block(0, "foreign-origin", _foreign_origin(props.allowed_origins))]
    )
    rate_limit = _block(
        len(foreign_origin) + len(managed) + 1,
        "rate-limit-per-ip",
        {
            "rate_based_statement": {
                "limit": props.rate_limit_per_5_minutes,
                "aggregate_key_type": "IP",
            }
        },
    )
    return [*foreign_origin, *managed, rate_limit]


def _block(priority: int, name: str, statement: dict) -> Wafv2WebAclRule:
    return Wafv2WebAclRule(
        name=name,
        priority=priority,
        action=Wafv2WebAclRuleAction(block={}),
        statement=statement,
        visibility_config=_visibility(name),
    )
