"""The environments' permissions boundary: every statement of every role lies within it, nothing
in it goes unused, no other environment's resource is in it, every role of a real environment
carries it (the one CI's deploy role is held to), and it fits IAM's size limit.

The roles' policies come from the synthesized environment stacks and the boundaries from the
synthesized account stack, with Terraform's references replaced by what AWS would make of them
(``tests/stacks/terraform_references.py``).
"""

import fnmatch
import json

import pytest

from stacks.base.config import load
from stacks.base.iam import PolicyScope
from stacks.platform.ci_permissions import MAX_POLICY_CHARS
from stacks.platform.role_boundary import boundary_document
from stacks.store.functions import RESOURCELESS_ACTIONS, STREAM_LISTING
from stacks.store.network import FLOW_LOG_RESOURCELESS_ACTIONS
from tests.stacks.policy_evaluation import allowed, as_list, condition_holds
from tests.stacks.terraform_references import ACCOUNT, resolve

REAL = ("dev", "staging", "prod")


def role_requests(synth) -> list[tuple[str, str, str, dict]]:
    """(policy, action, resource, context) for each action on each resource that any role's
    policy allows."""
    # Every permission of a role is in an inline policy resource (tests/stacks/base/test_iam.py).
    assert not synth.resources("aws_iam_role_policy_attachment")
    assert not [r for r in synth.resources("aws_iam_role").values() if "inline_policy" in r]
    requests = []
    for key, policy in synth.resources("aws_iam_role_policy").items():
        for grant in json.loads(policy["policy"])["Statement"]:
            assert grant["Effect"] == "Allow" and "Condition" not in grant, key
            for resource in as_list(grant["Resource"]):
                resolved, context = resolve(synth, resource)
                requests += [(key, a, resolved, context) for a in as_list(grant["Action"])]
    return requests


def deployed_boundary(account_synth, env: str) -> dict:
    """The boundary document the account stack creates for ``env``."""
    [policy] = [
        p
        for p in account_synth.resources("aws_iam_policy").values()
        if p["name"] == f"ecommerce-{env}-role-boundary"
    ]
    return json.loads(resolve(account_synth, policy["policy"])[0])


@pytest.mark.parametrize("env", REAL)
def test_every_role_statement_lies_within_the_boundary(synths, account_synth, env):
    boundary = deployed_boundary(account_synth, env)
    requests = role_requests(synths[env])
    assert len(requests) > 40
    outside = [
        (key, action, resource)
        for key, action, resource, context in requests
        if not allowed([boundary], action, resource, context)
    ]
    assert outside == []


@pytest.mark.parametrize("env", REAL)
def test_nothing_in_the_boundary_goes_unused(synths, account_synth, env):
    requests = role_requests(synths[env])
    unused = [
        (action, pattern)
        for grant in deployed_boundary(account_synth, env)["Statement"]
        for action in as_list(grant["Action"])
        for pattern in as_list(grant["Resource"])
        if not any(
            a == action
            and fnmatch.fnmatchcase(resource, pattern)
            and condition_holds(grant.get("Condition"), context)
            for _, a, resource, context in requests
        )
    ]
    assert unused == []


@pytest.mark.parametrize(
    ("env", "other"), [("dev", "prod"), ("prod", "staging"), ("staging", "dev")]
)
def test_a_boundary_admits_no_other_environments_resources(synths, account_synth, env, other):
    boundary = deployed_boundary(account_synth, other)
    admitted = {
        resource
        for _, action, resource, context in role_requests(synths[env])
        if allowed([boundary], action, resource, context)
    }
    # Only what no environment owns: resourceless calls and the interfaces Lambda creates.
    assert admitted == {"*", f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/*"}


@pytest.mark.parametrize("env", REAL)
def test_every_action_is_named_and_star_only_where_iam_takes_nothing_else(account_synth, env):
    for grant in deployed_boundary(account_synth, env)["Statement"]:
        assert grant["Effect"] == "Allow"
        actions = as_list(grant["Action"])
        assert not [a for a in actions if "*" in a]
        if "*" in as_list(grant["Resource"]):
            assert set(actions) <= {
                *RESOURCELESS_ACTIONS,
                *FLOW_LOG_RESOURCELESS_ACTIONS,
                STREAM_LISTING,
            }


def test_every_role_of_a_real_environment_carries_its_boundary(synths, account_synth):
    boundaries = {p["name"] for p in account_synth.resources("aws_iam_policy").values()}
    for env in REAL:
        synth = synths[env]
        name = synth.config.permissions_boundary
        assert name == f"ecommerce-{env}-role-boundary" and name in boundaries
        expected = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        roles = synth.resources("aws_iam_role")
        # The seven functions', the flow logs' and the expiry schedule's.
        assert len(roles) == 9
        for role in roles.values():
            assert resolve(synth, role["permissions_boundary"])[0] == expected
        # The boundary CI's deploy role must give every role it creates or writes to.
        [write] = [
            json.loads(p["policy"])
            for p in account_synth.resources("aws_iam_policy").values()
            if p["name"] == f"ecommerce-ci-{env}-deploy-write"
        ]
        [bounded] = [s for s in write["Statement"] if s["Sid"] == "WriteRolesOnlyUnderTheBoundary"]
        condition = bounded["Condition"]["StringEquals"]["iam:PermissionsBoundary"]
        assert resolve(account_synth, condition)[0] == expected


def test_local_roles_carry_none(synths):
    # The emulator runs no account stack, so there is no boundary to name.
    assert synths["local"].config.permissions_boundary is None
    roles = synths["local"].resources("aws_iam_role").values()
    assert roles and not [r for r in roles if "permissions_boundary" in r]


@pytest.mark.parametrize("env", REAL)
def test_the_account_stack_deploys_the_builders_document(account_synth, env):
    config = load(env, {})
    scope = PolicyScope(
        "aws",
        config.region,
        ACCOUNT,
        env,
        config.prefix,
        sender_identity=config.events.sender_address,
    )
    assert deployed_boundary(account_synth, env) == json.loads(boundary_document(scope))


@pytest.mark.parametrize("env", REAL)
def test_fits_iams_limit(env):
    # The longest names: a GovCloud partition and a long region.
    config = load(env, {})
    scope = PolicyScope(
        "aws-us-gov",
        "ap-southeast-2",
        ACCOUNT,
        env,
        config.prefix,
        sender_identity=f"{'m' * 64}@{'d' * 60}.example.com",
    )
    compact = json.dumps(json.loads(boundary_document(scope)), separators=(",", ":"))
    assert len(compact) < MAX_POLICY_CHARS
