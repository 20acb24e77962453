"""Firewall: read as AWS WAF applies it. The rules in priority order, what each managed rule does,
the contract's error shape on every block, the body limits, the rate limit, and logging."""

import json
import re

import pytest

from stacks.store.firewall import cors_headers
from stacks.store.managed_rules import BLOCK, COUNT, MANAGED_RULE_GROUPS


def _rules(env) -> list[dict]:
    return sorted(env.one("aws_wafv2_web_acl")["rule"], key=lambda r: r["priority"])


def _by_name(env) -> dict[str, dict]:
    return {r["name"]: r for r in _rules(env)}


def _overrides(env, group: str) -> dict[str, dict]:
    statement = _by_name(env)[group]["statement"]["managed_rule_group_statement"]
    return {o["name"]: o["action_to_use"] for o in statement["rule_action_override"]}


def _blocks(node):
    """Every block action anywhere under ``node``."""
    if isinstance(node, dict):
        if "block" in node and isinstance(node["block"], dict):
            yield node["block"]
        for value in node.values():
            yield from _blocks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _blocks(value)


def test_web_acl_on_the_stage(env):
    acl = env.one("aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL"
    assert acl["default_action"] == {"allow": {}}
    association = env.one("aws_wafv2_web_acl_association")
    assert "aws_api_gateway_stage" in association["resource_arn"]
    assert "aws_wafv2_web_acl" in association["web_acl_arn"]


def test_rules_in_priority_order(env):
    names = [r["name"] for r in _rules(env)]
    foreign = [] if "*" in env.config.cors_allowed_origins else ["foreign-origin"]
    # The five AWS managed rule groups (AWS WAF's "Baseline", "Use-case specific" and "IP
    # reputation" groups the stack uses), after the rules of our own that refuse for certain.
    managed = [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesAnonymousIpList",
    ]
    assert names == [*foreign, "body-over-64-kib", *managed, "rate-limit-per-ip"]
    assert [r["priority"] for r in _rules(env)] == list(range(len(names)))
    assert "AWSManagedRulesKnownBadInputsRuleSet" in names  # Log4Shell


def test_every_managed_rule_blocks_or_counts_as_listed(env):
    for group, listed in MANAGED_RULE_GROUPS.items():
        rule = _by_name(env)[group]
        assert rule["override_action"] == {"none": {}}
        assert rule["statement"]["managed_rule_group_statement"]["vendor_name"] == "AWS"
        overrides = _overrides(env, group)
        assert set(overrides) == set(listed), group
        for name, action in listed.items():
            assert set(overrides[name]) == {action}, (group, name)


@pytest.mark.parametrize(
    "group, rule",
    [
        # The contract serves bodies up to 64 KiB; the 8 KB limit only labels.
        ("AWSManagedRulesCommonRuleSet", "SizeRestrictions_BODY"),
        # Text the API stores as given (docs/api.md): labelled, not refused.
        ("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_BODY"),
        ("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_QUERYARGUMENTS"),
        ("AWSManagedRulesSQLiRuleSet", "SQLi_BODY"),
        ("AWSManagedRulesSQLiRuleSet", "SQLiExtendedPatterns_BODY"),
        ("AWSManagedRulesSQLiRuleSet", "SQLi_QUERYARGUMENTS"),
        # GitHub-hosted runners (CI's suite against dev) and customers' cloud proxies.
        ("AWSManagedRulesAnonymousIpList", "HostingProviderIPList"),
    ],
)
def test_rules_the_contract_contradicts_only_count(env, group, rule):
    assert _overrides(env, group)[rule] == {"count": {}}
    # Labels and metrics are kept: the group's metrics and sampled requests stay on.
    visibility = _by_name(env)[group]["visibility_config"]
    assert visibility["cloudwatch_metrics_enabled"] and visibility["sampled_requests_enabled"]


@pytest.mark.parametrize(
    "group, rule",
    [
        ("AWSManagedRulesAnonymousIpList", "AnonymousIPList"),
        ("AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE_BODY"),
        ("AWSManagedRulesSQLiRuleSet", "SQLi_URIPATH"),
        ("AWSManagedRulesCommonRuleSet", "SizeRestrictions_QUERYSTRING"),
        ("AWSManagedRulesCommonRuleSet", "NoUserAgent_HEADER"),
    ],
)
def test_the_other_managed_rules_still_block(env, group, rule):
    assert set(_overrides(env, group)[rule]) == {BLOCK}


def test_every_block_answers_the_contract_shape(env):
    acl = env.one("aws_wafv2_web_acl")
    bodies = {b["key"]: b for b in acl["custom_response_body"]}
    # The contract's errors (docs/api.md) for what the firewall refuses, by hand.
    answers = {
        "forbidden": (403, "FORBIDDEN"),
        "payload-too-large": (413, "PAYLOAD_TOO_LARGE"),
        "too-many-requests": (429, "TOO_MANY_REQUESTS"),
    }
    assert set(bodies) == set(answers)
    for key, (_, code) in answers.items():
        assert bodies[key]["content_type"] == "APPLICATION_JSON"
        error = json.loads(bodies[key]["content"])["error"]
        assert (error["code"], error["details"]) == (code, [])
    blocks = list(_blocks(acl["rule"]))
    # The foreign-origin rule, the body rule, the rate rule and every blocking managed rule.
    managed = sum(list(g.values()).count(BLOCK) for g in MANAGED_RULE_GROUPS.values())
    assert len(blocks) == managed + len(_rules(env)) - len(MANAGED_RULE_GROUPS)
    for found in blocks:
        response = found["custom_response"]
        assert response["response_code"] == answers[response["custom_response_body_key"]][0]


def test_each_own_rule_answers_its_own_error(env):
    answers = {
        name: rule["action"]["block"]["custom_response"]["custom_response_body_key"]
        for name, rule in _by_name(env).items()
        if "action" in rule
    }
    expected = {"body-over-64-kib": "payload-too-large", "rate-limit-per-ip": "too-many-requests"}
    if "*" not in env.config.cors_allowed_origins:
        expected["foreign-origin"] = "forbidden"
    assert answers == expected


def test_block_answers_carry_the_cors_headers_a_fixed_response_can(env):
    origins = env.config.cors_allowed_origins
    expected = cors_headers(origins)
    if "*" in origins:
        assert expected == [{"name": "Access-Control-Allow-Origin", "value": "*"}]
    elif len(origins) == 1:
        assert {"name": "Access-Control-Allow-Origin", "value": origins[0]} in expected
    else:
        assert expected == []  # a fixed answer cannot echo one of several origins
    for name, rule in _by_name(env).items():
        for found in _blocks(rule):
            headers = found["custom_response"].get("response_header", [])
            # A foreign origin is never named back.
            assert headers == ([] if name == "foreign-origin" else expected), name


def test_a_body_over_64_kib_is_the_contracts_413_at_the_edge(env):
    acl = env.one("aws_wafv2_web_acl")
    # WAF sees 64 KB of a body (API Gateway's default is 16 KB): a body WAF cannot see whole is
    # one over the contract's limit, and "oversize" counts as a match.
    limit = acl["association_config"]["request_body"][0]["api_gateway"]
    assert limit == {"default_size_inspection_limit": "KB_64"}
    rule = _by_name(env)["body-over-64-kib"]
    size = rule["statement"]["size_constraint_statement"]
    assert size["field_to_match"] == {"body": [{"oversize_handling": "MATCH"}]}
    assert (size["comparison_operator"], size["size"]) == ("GT", 64 * 1024)
    assert rule["action"]["block"]["custom_response"]["response_code"] == 413


def test_rate_limit_per_address_over_five_minutes(env):
    rule = _by_name(env)["rate-limit-per-ip"]
    assert rule["statement"]["rate_based_statement"] == {
        "limit": env.config.waf_rate_limit_per_5_minutes,
        "aggregate_key_type": "IP",
        "evaluation_window_sec": 300,
    }
    assert rule["action"]["block"]["custom_response"]["response_code"] == 429


def test_firewall_logs(env):
    group = env.one("aws_cloudwatch_log_group", "firewall")
    assert group["name"].startswith("aws-waf-logs-")
    assert "aws_kms_key" in group["kms_key_id"]
    logging = env.one("aws_wafv2_web_acl_logging_configuration")
    assert "firewall_logs" in logging["log_destination_configs"][0]


def test_requests_from_a_foreign_origin_are_blocked_first(env):
    rules = _rules(env)
    origins = env.config.cors_allowed_origins
    if "*" in origins:
        assert all(r["name"] != "foreign-origin" for r in rules)
        return
    rule = rules[0]
    assert rule["name"] == "foreign-origin"
    assert rule["action"]["block"]["custom_response"]["custom_response_body_key"] == "forbidden"
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


def test_every_rule_is_block_or_count():
    assert {a for g in MANAGED_RULE_GROUPS.values() for a in g.values()} == {BLOCK, COUNT}
