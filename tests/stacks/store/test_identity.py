"""Identity: one Cognito user pool per environment, its admins group and its one app client."""

EVERYWHERE = {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"}


def test_one_pool_signing_in_by_email_without_regard_to_case(env):
    pool = env.one("aws_cognito_user_pool")
    assert pool["name"] == f"ecommerce-{env.config.name}-users"
    assert pool["username_attributes"] == ["email"]
    assert pool["username_configuration"] == {"case_sensitive": False}
    assert pool["auto_verified_attributes"] == ["email"]
    assert pool["user_attribute_update_settings"] == {
        "attributes_require_verification_before_update": ["email"]
    }
    assert pool["user_pool_tier"] == env.config.user_pool.tier
    assert "alias_attributes" not in pool


def test_password_policy_and_recovery_fit_for_a_shop(env):
    pool = env.one("aws_cognito_user_pool")
    policy = pool["password_policy"]
    assert policy["minimum_length"] == env.config.user_pool.password_min_length >= 12
    assert policy["require_lowercase"] and policy["require_uppercase"] and policy["require_numbers"]
    assert policy["temporary_password_validity_days"] == 3
    # Recovery only through a verified address: no SMS (SIM swaps), no admin-only fallback.
    assert pool["account_recovery_setting"] == {
        "recovery_mechanism": [{"name": "verified_email", "priority": 1}]
    }
    assert pool["admin_create_user_config"] == {"allow_admin_create_user_only": False}
    assert pool["mfa_configuration"] == "OPTIONAL"
    assert pool["software_token_mfa_configuration"] == {"enabled": True}


def test_deletion_protection_is_configuration(synths):
    protection = {
        name: synth.one("aws_cognito_user_pool")["deletion_protection"]
        for name, synth in synths.items()
    }
    assert protection == {
        "dev": "INACTIVE",
        "staging": "INACTIVE",
        "prod": "ACTIVE",
        "local": "INACTIVE",
    }
    for synth in synths.values():
        expected = "ACTIVE" if synth.config.deletion_protection else "INACTIVE"
        assert synth.one("aws_cognito_user_pool")["deletion_protection"] == expected


def test_admins_group_on_the_pool(env):
    group = env.one("aws_cognito_user_group")
    assert group["name"] == "admins"
    assert group["user_pool_id"].startswith("${aws_cognito_user_pool.")
    assert group["user_pool_id"].endswith(".id}")


def test_one_public_client_with_exactly_its_flows(synths):
    flows = {}
    for name, synth in synths.items():
        client = synth.one("aws_cognito_user_pool_client")
        assert client["generate_secret"] is False
        assert client["prevent_user_existence_errors"] == "ENABLED"
        assert client["enable_token_revocation"] is True
        assert client["user_pool_id"].startswith("${aws_cognito_user_pool.")
        flows[name] = set(client["explicit_auth_flows"])
        assert len(client["explicit_auth_flows"]) == len(flows[name])
    assert flows == {
        "dev": EVERYWHERE | {"ALLOW_USER_PASSWORD_AUTH"},
        "staging": EVERYWHERE,
        "prod": EVERYWHERE,
        "local": EVERYWHERE | {"ALLOW_USER_PASSWORD_AUTH"},
    }


def test_token_validity(env):
    client = env.one("aws_cognito_user_pool_client")
    assert client["token_validity_units"] == [
        {"id_token": "minutes", "access_token": "minutes", "refresh_token": "days"}
    ]
    assert client["id_token_validity"] == client["access_token_validity"] == 60
    assert client["refresh_token_validity"] == 30
    assert client["auth_session_validity"] == 3
    # No OAuth (hosted UI) flows until the owner configures callback URLs.
    assert "allowed_oauth_flows" not in client


def test_outputs_name_the_pool_and_client(env):
    outputs = env.json["output"]
    assert outputs["UserPoolId"]["value"].startswith("${aws_cognito_user_pool.")
    assert outputs["UserPoolId"]["value"].endswith(".id}")
    assert outputs["UserPoolArn"]["value"].endswith(".arn}")
    assert outputs["UserPoolClientId"]["value"].startswith("${aws_cognito_user_pool_client.")


def test_prod_mails_through_ses_as_the_sender_and_the_others_through_cognito(env):
    pool = env.one("aws_cognito_user_pool")
    [identity_key] = env.resources("aws_sesv2_email_identity")
    if env.config.name == "prod":
        assert pool["email_configuration"] == {
            "email_sending_account": "DEVELOPER",
            "source_arn": f"${{aws_sesv2_email_identity.{identity_key}.arn}}",
            "from_email_address": "store@store.example.com",
        }
    else:
        assert pool["email_configuration"] == {"email_sending_account": "COGNITO_DEFAULT"}
