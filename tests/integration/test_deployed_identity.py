"""The deployed user pool, its admins group and its app client match the environment's config."""

import pytest


@pytest.fixture(scope="module")
def user_pool(aws, outputs):
    """The pool the outputs name, as Cognito describes it."""
    return aws("cognito-idp").describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]


def test_pool_signs_in_by_email_without_regard_to_case(user_pool, outputs, config):
    assert user_pool["Arn"] == outputs["UserPoolArn"]
    assert user_pool["Name"] == f"{config.prefix}-users"
    assert user_pool["UsernameAttributes"] == ["email"]
    assert user_pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert user_pool["AutoVerifiedAttributes"] == ["email"]


def test_password_policy_and_recovery(user_pool, config):
    policy = user_pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == config.user_pool.password_min_length
    assert policy["TemporaryPasswordValidityDays"] == config.user_pool.temporary_password_days
    assert policy["RequireLowercase"] and policy["RequireUppercase"] and policy["RequireNumbers"]
    mechanisms = user_pool["AccountRecoverySetting"]["RecoveryMechanisms"]
    assert mechanisms == [{"Priority": 1, "Name": "verified_email"}]


def test_deletion_protection_follows_the_config(user_pool, config):
    expected = "ACTIVE" if config.deletion_protection else "INACTIVE"
    assert user_pool["DeletionProtection"] == expected


def test_admins_group(aws, outputs):
    group = aws("cognito-idp").get_group(GroupName="admins", UserPoolId=outputs["UserPoolId"])
    assert group["Group"]["GroupName"] == "admins"


def test_one_public_client_with_the_configured_flows(aws, outputs, config):
    cognito = aws("cognito-idp")
    clients = cognito.list_user_pool_clients(UserPoolId=outputs["UserPoolId"])["UserPoolClients"]
    assert [c["ClientId"] for c in clients] == [outputs["UserPoolClientId"]]
    client = cognito.describe_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["UserPoolClientId"]
    )["UserPoolClient"]
    assert not client.get("ClientSecret")
    assert sorted(client["ExplicitAuthFlows"]) == sorted(config.user_pool.auth_flows)
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["IdTokenValidity"] == config.user_pool.id_token_minutes
    assert client["TokenValidityUnits"]["IdToken"] == "minutes"
