"""API Gateway's account setting has exactly one owner: the account stack, never an environment."""

import json

from stacks.base.config import ENVIRONMENTS


def test_no_environment_manages_the_account_setting(synths):
    for name in ENVIRONMENTS:
        assert synths[name].resources("aws_api_gateway_account") == {}, name
        roles = synths[name].resources("aws_iam_role").values()
        assert not [r for r in roles if "apigateway.amazonaws.com" in r["assume_role_policy"]], name


def test_the_account_stack_owns_it_once(account_synth):
    account = account_synth.one("aws_api_gateway_account")
    role_ref = account["cloudwatch_role_arn"]
    assert role_ref.startswith("${aws_iam_role.api-gateway-logging_role_")
    role = account_synth.one("aws_iam_role", "api-gateway-logging")
    assert role["name"] == "ecommerce-apigateway-cloudwatch"
    trust = json.loads(role["assume_role_policy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    attachment = account_synth.one("aws_iam_role_policy_attachment", "api-gateway-logging")
    assert attachment["policy_arn"].endswith(
        ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    )
    # The setting waits for the policy, or API Gateway rejects a role that cannot write logs.
    assert any("api-gateway-logging_role-policy" in d for d in account["depends_on"])
    assert "ApiGatewayCloudWatchRoleArn" in account_synth.json["output"]
