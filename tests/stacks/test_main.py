"""The app: every environment, the account stack, and the bootstrap stack once a bucket is named."""

import pytest
from cdktf import TerraformStack, Testing

import main


@pytest.fixture
def built(monkeypatch):
    """Run ``main.main`` with an app synthesizing into a throwaway folder; return its stacks."""
    apps = []

    def app():
        apps.append(Testing.app())
        return apps[-1]

    monkeypatch.setattr(main, "App", app)
    # The environments' own stacks are tested elsewhere (and are the slow ones to build).
    monkeypatch.setattr(
        main, "StoreStack", lambda scope, config: TerraformStack(scope, config.stack_name)
    )

    def run(environ: dict[str, str]) -> list[str]:
        unset = ("ECOMMERCE_STATE_BUCKET", "ECOMMERCE_GITHUB_REPOSITORY", "ECOMMERCE_REGION")
        for name in (*unset, "ECOMMERCE_STACKS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        assert main.main() == 0
        return [child.node.id for child in apps[-1].node.children]

    return run


def test_every_stack_once_a_bucket_is_named(built):
    stacks = built(
        {"ECOMMERCE_STATE_BUCKET": "acme-tf-state", "ECOMMERCE_GITHUB_REPOSITORY": "acme/api"}
    )
    assert stacks == [
        "ecommerce-dev",
        "ecommerce-staging",
        "ecommerce-prod",
        "ecommerce-local",
        "ecommerce-account",
        "ecommerce-bootstrap",
    ]


def test_no_bootstrap_without_a_bucket(built):
    assert "ecommerce-bootstrap" not in built({})
    assert "ecommerce-account" in built({})


def test_only_the_stacks_asked_for_are_built(built):
    assert built({"ECOMMERCE_STACKS": "ecommerce-local"}) == ["ecommerce-local"]
    # In the app's order, whatever the order asked; spaces around the names are allowed.
    assert built({"ECOMMERCE_STACKS": "ecommerce-account, ecommerce-dev"}) == [
        "ecommerce-dev",
        "ecommerce-account",
    ]
    assert len(built({"ECOMMERCE_STACKS": "all"})) == 5
    assert len(built({"ECOMMERCE_STACKS": ""})) == 5


@pytest.mark.parametrize(
    "asked",
    ["ecommerce-qa", "ecommerce-local,ecommerce-bootstrap"],  # no bucket named: no bootstrap
)
def test_a_stack_the_app_does_not_define_is_one_line_naming_the_variable(
    monkeypatch, capsys, asked
):
    # Neither delivery setting (CI names both): no bootstrap, no account stack.
    monkeypatch.delenv("ECOMMERCE_STATE_BUCKET", raising=False)
    monkeypatch.delenv("ECOMMERCE_GITHUB_REPOSITORY", raising=False)
    monkeypatch.setenv("ECOMMERCE_STACKS", asked)
    assert main.main() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ECOMMERCE_STACKS names stacks the app does not define: ")
    assert asked.split(",")[-1] in err


def test_a_bad_repository_is_one_line_naming_the_field(monkeypatch, capsys):
    monkeypatch.setenv("ECOMMERCE_GITHUB_REPOSITORY", "not a repository")
    monkeypatch.setenv("ECOMMERCE_STATE_BUCKET", "acme-tf-state")
    assert main.main() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: invalid configuration for stack 'ecommerce-account': ")
    assert "github_repository" in err
