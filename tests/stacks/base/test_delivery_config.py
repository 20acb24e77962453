"""The delivery stacks' configuration: defaults, overrides, and bad values naming the field."""

from dataclasses import replace

import pytest

from stacks.base.config import ConfigError, StateBackend
from stacks.base.delivery_config import (
    DEFAULT_BOOTSTRAP_STATE,
    CiAccess,
    default_ci,
    load_account,
    load_bootstrap,
)

REPO = {"ECOMMERCE_GITHUB_REPOSITORY": "acme/store-api", "ECOMMERCE_STATE_BUCKET": "acme-tf-state"}


def test_no_bucket_no_bootstrap():
    assert load_bootstrap({}) is None
    assert load_bootstrap({"ECOMMERCE_STATE_BUCKET": ""}) is None


def test_bootstrap_from_the_state_variables():
    config = load_bootstrap(
        {"ECOMMERCE_STATE_BUCKET": "acme-tf-state", "ECOMMERCE_STATE_REGION": "eu-west-1"}
    )
    assert (config.bucket, config.region) == ("acme-tf-state", "eu-west-1")
    assert config.state_path == DEFAULT_BOOTSTRAP_STATE
    assert config.prevent_destroy is True
    assert config.stack_name == "ecommerce-bootstrap"
    assert (
        load_bootstrap(
            {"ECOMMERCE_STATE_BUCKET": "b-b-b", "ECOMMERCE_BOOTSTRAP_STATE": "/safe/boot.tfstate"}
        ).state_path
        == "/safe/boot.tfstate"
    )
    assert (
        load_bootstrap({"ECOMMERCE_STATE_BUCKET": "b-b-b", "ECOMMERCE_REGION": "eu-north-1"}).region
        == "eu-north-1"
    )


def test_account_without_ci():
    config = load_account({})
    assert config.github_repository is None and config.ci == ()
    assert config.state == StateBackend()
    assert config.manage_api_gateway_account is True
    assert [e.name for e in config.environments] == ["dev", "staging", "prod"]


def test_account_with_ci_keeps_its_state_in_the_bucket():
    config = load_account({**REPO, "ECOMMERCE_STATE_REGION": "us-west-2"})
    assert config.state == StateBackend(bucket="acme-tf-state", region="us-west-2")
    assert [a.environment for a in config.ci] == ["dev", "staging", "prod"]
    assert config.environment("prod").prefix == "ecommerce-prod"


def test_default_trust():
    by_env = {a.environment: a for a in default_ci()}
    for name, access in by_env.items():
        assert access.deploy_subjects == (f"environment:{name}",)
        assert access.plan_subjects == ("pull_request", "ref:refs/heads/main")
    assert [n for n, a in by_env.items() if a.protected] == ["staging", "prod"]
    assert [n for n, a in by_env.items() if a.integration_tests] == ["dev"]


@pytest.mark.parametrize(
    ("environ", "field_name"),
    [
        (
            {"ECOMMERCE_GITHUB_REPOSITORY": "store-api", "ECOMMERCE_STATE_BUCKET": "b-b-b"},
            "github_repository",
        ),
        (
            {"ECOMMERCE_GITHUB_REPOSITORY": "acme/store api", "ECOMMERCE_STATE_BUCKET": "b-b-b"},
            "github_repository",
        ),
        (
            {"ECOMMERCE_GITHUB_REPOSITORY": "-acme/store", "ECOMMERCE_STATE_BUCKET": "b-b-b"},
            "github_repository",
        ),
        (
            {
                "ECOMMERCE_GITHUB_REPOSITORY": "https://github.com/acme/store",
                "ECOMMERCE_STATE_BUCKET": "b-b-b",
            },
            "github_repository",
        ),
        ({"ECOMMERCE_GITHUB_REPOSITORY": "acme/store-api"}, "state_bucket"),
    ],
)
def test_bad_account_variables_name_the_field(environ, field_name):
    with pytest.raises(ConfigError) as raised:
        load_account(environ)
    assert raised.value.field_name == field_name
    assert str(raised.value).startswith(
        f"invalid configuration for stack 'ecommerce-account': {field_name} "
    )


def _access(**change) -> CiAccess:
    return replace(default_ci()[2], **change)


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"region": "moon-1"}, "region"),
        ({"state_bucket": "Bad_Bucket"}, "state_bucket"),
        ({"oidc_thumbprints": ()}, "oidc_thumbprints"),
        ({"oidc_thumbprints": ("ABCDEF",)}, "oidc_thumbprints"),
        ({"ci": (_access(environment="qa"),)}, "ci[0].environment"),
        ({"ci": (_access(deploy_subjects=()),)}, "ci[0].deploy_subjects"),
        ({"ci": (_access(plan_subjects=()),)}, "ci[0].plan_subjects"),
        ({"ci": (_access(plan_subjects=("ref:refs/heads/*",)),)}, "ci[0].subjects"),
        ({"ci": (_access(deploy_subjects=("environment:prod*",)),)}, "ci[0].subjects"),
        ({"ci": (_access(deploy_subjects=("repo:acme/x:environment:prod",)),)}, "ci[0].subjects"),
        # prod may be deployed only behind a GitHub environment or a branch.
        ({"ci": (_access(deploy_subjects=("pull_request",)),)}, "ci[0].deploy_subjects"),
    ],
)
def test_bad_account_values_name_the_field(change, field_name):
    config = load_account(REPO)
    with pytest.raises(ConfigError) as raised:
        replace(config, **change).validate()
    assert raised.value.field_name == field_name
    assert field_name in str(raised.value) and "'ecommerce-account'" in str(raised.value)


def test_every_environment_ci_deploys_must_have_a_boundary():
    config = load_account(REPO)
    prod = replace(config.environment("prod"), permissions_boundary=None)
    environments = (config.environment("dev"), config.environment("staging"), prod)
    with pytest.raises(ConfigError) as raised:
        replace(config, environments=environments).validate()
    assert raised.value.field_name == "ci[2].environment"
    assert str(raised.value) == (
        "invalid configuration for stack 'ecommerce-account': ci[2].environment 'prod' must "
        "have a permissions_boundary: its deploy role gives the environment's roles "
        "permissions only under it"
    )
    # Without CI for it, an environment may go without one.
    assert replace(config, environments=environments, ci=config.ci[:2]).validate()


def test_an_unprotected_environment_may_deploy_from_pull_requests():
    config = load_account(REPO)
    dev = replace(default_ci()[0], deploy_subjects=("pull_request",))
    assert replace(config, ci=(dev,)).validate().ci == (dev,)


@pytest.mark.parametrize(
    ("environ", "field_name"),
    [
        ({"ECOMMERCE_STATE_BUCKET": "Bad_Bucket"}, "bucket"),
        ({"ECOMMERCE_STATE_BUCKET": "b-b-b", "ECOMMERCE_STATE_REGION": "nowhere"}, "region"),
        (
            {"ECOMMERCE_STATE_BUCKET": "b-b-b", "ECOMMERCE_BOOTSTRAP_STATE": "state.json"},
            "state_path",
        ),
    ],
)
def test_bad_bootstrap_variables_name_the_field(environ, field_name):
    with pytest.raises(ConfigError) as raised:
        load_bootstrap(environ)
    assert raised.value.field_name == field_name
    assert "'ecommerce-bootstrap'" in str(raised.value)


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"key_alias": "ecommerce-state"}, "key_alias"),
        ({"key_alias": "alias/aws/s3"}, "key_alias"),
        ({"kms_deletion_window_days": 6}, "kms_deletion_window_days"),
        ({"noncurrent_version_days": 0}, "noncurrent_version_days"),
        ({"noncurrent_versions_kept": 101}, "noncurrent_versions_kept"),
    ],
)
def test_bad_bootstrap_values_name_the_field(change, field_name):
    config = load_bootstrap({"ECOMMERCE_STATE_BUCKET": "acme-tf-state"})
    with pytest.raises(ConfigError) as raised:
        replace(config, **change).validate()
    assert raised.value.field_name == field_name
