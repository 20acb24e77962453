"""Firewall: the managed rule groups and the rate limit on the stage, with logging."""

import re

from stacks.firewall import MANAGED_RULE_GROUPS


def test_web_acl_on_the_stage(env):
    acl = env.one("aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL"
    assert acl["default_action"] == {"allow": {}}
    association = env.one("aws_wafv2_web_acl_association")
    assert "aws_api_gateway_stage" in association["resource_arn"]
    assert "aws_wafv2_web_acl" in association["web_acl_arn"]


def test_managed_rule_groups_then_rate_limit(env):
    rules = sorted(env.one("aws_wafv2_web_acl")["rule"], key=lambda r: r["priority"])
    if rules[0]["name"] == "foreign-origin":  # first, where origins are listed (next test)
        rules = rules[1:]
    names = [r["statement"]["managed_rule_group_statement"]["name"] for r in rules[:-1]]
    assert names == list(MANAGED_RULE_GROUPS)
    assert "AWSManagedRulesKnownBadInputsRuleSet" in names  # Log4Shell
    assert all(r["override_action"] == {"none": {}} for r in rules[:-1])
    limit = rules[-1]
    assert limit["action"] == {"block": {}}
    assert limit["statement"]["rate_based_statement"] == {
        "limit": env.config.waf_rate_limit_per_5_minutes,
        "aggregate_key_type": "IP",
    }


def test_firewall_logs(env):
    group = env.one("aws_cloudwatch_log_group", "firewall")
    assert group["name"].startswith("aws-waf-logs-")
    assert "aws_kms_key" in group["kms_key_id"]
    logging = env.one("aws_wafv2_web_acl_logging_configuration")
    assert "firewall_logs" in logging["log_destination_configs"][0]


def test_requests_from_a_foreign_origin_are_blocked_first(env):
    rules = sorted(env.one("aws_wafv2_web_acl")["rule"], key=lambda r: r["priority"])
    origins = env.config.cors_allowed_origins
    if "*" in origins:
        assert all(r["name"] != "foreign-origin" for r in rules)
        return
    rule = rules[0]
    assert (rule["name"], rule["action"]) == ("foreign-origin", {"block": {}})
    present, absent = rule["statement"]["and_statement"]["statement"]
    assert present["size_constraint_statement"]["field_to_match"] == {
        "single_header": {"name": "origin"}
    }
    assert present["size_constraint_statement"]["comparison_operator"] == "GT"
    match = absent["not_statement"]["statement"][0]["regex_match_statement"]
    assert match["field_to_match"] == {"single_header": {"name": "origin"}}
    pattern = re.compile(match["regex_string"])
    assert all(pattern.match(origin) for origin in origins)
    assert not pattern.match("https://evil.example")
    assert not pattern.match(origins[0] + ".evil.example")
