"""CI roles' permissions: named actions, resources scoped to one environment, plan only reads."""

import fnmatch
import json
import re
from dataclasses import replace

import pytest

from stacks.base.config import load
from stacks.platform.ci_permissions import (
    DETACHED_POLICIES,
    MAX_POLICY_CHARS,
    POLICY_CHANGES,
    PRIVATE_DNS,
    CiScope,
    deploy_policies,
    plan_policies,
)
from tests.stacks.policy_evaluation import allowed

ACCOUNT = "123456789012"
BUCKET = "acme-tf-state"


def scope_of(name: str, **change) -> CiScope:
    config = load(name, {})
    scope = CiScope(
        partition="aws",
        region=config.region,
        account_id=ACCOUNT,
        environment=name,
        prefix=config.prefix,
        layer_arns=(config.powertools_layer_arn,),
        state_bucket=BUCKET,
        state_region="us-east-1",
        permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/{config.permissions_boundary}",
        sender_identity=config.events.sender_address,
    )
    return replace(scope, **change)


def statements(documents: dict[str, str]) -> list[dict]:
    return [s for d in documents.values() for s in json.loads(d)["Statement"]]


def grants(documents: dict[str, str]) -> list[dict]:
    """The Allow statements (a Deny only ever narrows)."""
    return [s for s in statements(documents) if s["Effect"] == "Allow"]


# The deploy role's two outright denials: boundaries and managed policies are the account's.
DENIALS = {"NeverRemoveABoundary", "NeverSetAnotherBoundary", "NeverChangeAManagedPolicy"}


def as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


ROLES = {
    f"{env}-{duty}": (plan_policies if duty == "plan" else deploy_policies)(scope_of(env))
    for env in ("dev", "staging", "prod")
    for duty in ("plan", "deploy")
}


@pytest.mark.parametrize("role", ROLES)
def test_every_action_is_named(role):
    denials = {s["Sid"] for s in statements(ROLES[role]) if s["Effect"] != "Allow"}
    assert denials == (DENIALS if role.endswith("-deploy") else set())
    for grant in statements(ROLES[role]):
        for action in as_list(grant["Action"]):
            service, _, name = action.partition(":")
            assert service and name and name != "*", action
            # A trailing wildcard only over read verbs (ec2:Describe*), never over writes.
            assert "*" not in name or name in ("Describe*", "GenerateDataKey*"), action


@pytest.mark.parametrize("role", ROLES)
def test_resources_are_scoped(role):
    env = role.split("-")[0]
    prefix = f"ecommerce-{env}"
    sender = load(env, {}).events.sender_address
    for grant in grants(ROLES[role]):
        for resource in as_list(grant["Resource"]):
            if resource == "*":
                # Only with a condition: this region, or this environment's tags.
                condition = grant["Condition"]
                keys = {k for values in condition.values() for k in values}
                assert keys & {"aws:RequestedRegion", "aws:ResourceTag/environment"}, grant["Sid"]
                continue
            scoped = (
                prefix in resource
                or resource.startswith(f"arn:aws:s3:::{BUCKET}")
                or resource.startswith("arn:aws:apigateway:us-east-1::/")
                or ":layer:AWSLambdaPowertoolsPythonV3-" in resource
                or "aws-service-role/dynamodb.application-autoscaling" in resource
                # Cognito's role for mailing through SES (one per account, named by AWS).
                or "aws-service-role/email.cognito-idp.amazonaws.com/" in resource
                or (resource.endswith(":key/*") and "Condition" in grant)
                # Pool ids are generated: the account's pools in the region (docs/delivery.md).
                or re.fullmatch(r"arn:aws:cognito-idp:us-east-1:\d{12}:userpool/\*", resource)
                # The private hosted zone AWS keeps for an interface endpoint's service.
                or (resource == "arn:aws:route53:::hostedzone/*" and grant["Action"] == PRIVATE_DNS)
                # Event source mappings' ids are generated: the region's mappings (their tags);
                # the mail identity is named by the environment's own sender address.
                or resource
                in (
                    f"arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:*",
                    f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{sender}",
                )
            )
            assert scoped, (grant["Sid"], resource)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_no_role_reaches_another_environment_or_the_ci_roles(env):
    others = [f"ecommerce-{o}" for o in ("dev", "staging", "prod", "local") if o != env]
    for duty in ("plan", "deploy"):
        for grant in grants(ROLES[f"{env}-{duty}"]):
            resources = as_list(grant["Resource"])
            assert not [r for r in resources for o in others if o + "-" in r or o + "/" in r]
            iam_actions = [a for a in as_list(grant["Action"]) if a.startswith("iam:")]
            for ci_role in ("ecommerce-ci-dev-deploy", "ecommerce-ci-prod-plan"):
                arn = f"arn:aws:iam::{ACCOUNT}:role/{ci_role}"
                reached = [r for r in resources if fnmatch.fnmatchcase(arn, r)]
                assert not (iam_actions and reached), grant["Sid"]
            if grant["Sid"] in ("ReadEnvironmentKey", "UseEnvironmentKey"):
                tags = grant["Condition"]["StringEquals"]
                assert tags["aws:ResourceTag/environment"] == env


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_plan_role_only_reads_and_locks(env):
    writes = []
    for grant in statements(ROLES[f"{env}-plan"]):
        for action in as_list(grant["Action"]):
            verb = action.split(":")[1]
            if not verb.startswith(("Describe", "Get", "List")) and action != "apigateway:GET":
                writes.append((grant["Sid"], action))
    # The lock file beside the state, and the state key that encrypts it, are all it writes.
    assert {sid for sid, _ in writes} == {"StateLock", "StateKey"}
    lock = next(g for g in statements(ROLES[f"{env}-plan"]) if g["Sid"] == "StateLock")
    assert lock["Resource"] == f"arn:aws:s3:::{BUCKET}/ecommerce-{env}/terraform.tfstate.tflock"
    state = next(g for g in statements(ROLES[f"{env}-plan"]) if g["Sid"] == "StateObject")
    assert state["Action"] == "s3:GetObject"


def test_deploy_role_writes_its_state_with_the_state_key():
    grants = {g["Sid"]: g for g in statements(ROLES["prod-deploy"])}
    assert grants["StateObject"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert grants["StateObject"]["Resource"] == (
        f"arn:aws:s3:::{BUCKET}/ecommerce-prod/terraform.tfstate"
    )
    assert grants["StateKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/ecommerce-terraform-state"}
    }


def test_no_managed_policy_is_attached_and_earlier_ones_may_only_be_detached(synths):
    attached = [
        a["policy_arn"]
        for name in ("dev", "staging", "prod")
        for a in synths[name].resources("aws_iam_role_policy_attachment").values()
    ]
    assert attached == []
    grant = next(
        g for g in statements(ROLES["dev-deploy"]) if g["Sid"] == "DetachEarlierManagedPolicies"
    )
    assert grant["Action"] == "iam:DetachRolePolicy"
    assert grant["Condition"]["ArnEquals"]["iam:PolicyARN"] == [
        f"arn:aws:iam::aws:policy/{p}" for p in DETACHED_POLICIES
    ]
    assert not [
        a
        for g in grants(ROLES["dev-deploy"])
        for a in as_list(g["Action"])
        if a in ("iam:AttachRolePolicy", "iam:CreatePolicy")
    ]


def test_pass_role_only_to_the_stacks_services():
    grant = next(g for g in statements(ROLES["prod-deploy"]) if g["Sid"] == "PassEnvironmentRoles")
    assert grant["Resource"] == ["arn:aws:iam::123456789012:role/ecommerce-prod-*"]
    assert grant["Condition"] == {
        "StringEquals": {
            "iam:PassedToService": [
                "lambda.amazonaws.com",
                "scheduler.amazonaws.com",
                "vpc-flow-logs.amazonaws.com",
            ]
        }
    }


def test_no_ci_role_of_these_removes_data():
    """The integration suite's deletions are its own role's (ci_test_permissions.py)."""
    deleters = {
        role
        for role, docs in ROLES.items()
        for g in statements(docs)
        if "dynamodb:DeleteItem" in as_list(g["Action"])
    }
    assert deleters == set()


@pytest.mark.parametrize("role", ROLES)
def test_each_document_fits_iams_limit(role):
    for document in ROLES[role].values():
        compact = json.dumps(json.loads(document), separators=(",", ":"))
        assert len(compact) < MAX_POLICY_CHARS
    # The longest names still fit: a 63-character bucket and a GovCloud partition.
    long = scope_of(role.split("-")[0], state_bucket="b" * 63, partition="aws-us-gov")
    for document in (*deploy_policies(long).values(), *plan_policies(long).values()):
        assert len(json.dumps(json.loads(document), separators=(",", ":"))) < MAX_POLICY_CHARS


def boundary(env: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/ecommerce-{env}-role-boundary"


def deploy_documents(env: str) -> list[dict]:
    return [json.loads(d) for d in ROLES[f"{env}-deploy"].values()]


# What a policy granting everything would add: the denials must hold against it too.
EVERYTHING = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
@pytest.mark.parametrize("action", ["iam:CreateRole", "iam:PutRolePolicy"])
def test_deploy_role_gives_permissions_only_under_its_boundary(env, action):
    documents = deploy_documents(env)
    other = "prod" if env == "dev" else "dev"
    role = f"arn:aws:iam::{ACCOUNT}:role/ecommerce-{env}-products-role"
    assert allowed(documents, action, role, {"iam:PermissionsBoundary": boundary(env)})
    # Without a boundary, under another environment's, under AWS's administrator policy.
    for given in (
        {},
        {"iam:PermissionsBoundary": boundary(other)},
        {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ):
        assert not allowed(documents, action, role, given), given
    # Only the environment's roles, even under its boundary.
    under = {"iam:PermissionsBoundary": boundary(env)}
    for name in (f"ecommerce-{other}-products-role", f"ecommerce-ci-{env}-deploy", "admin"):
        assert not allowed(documents, action, f"arn:aws:iam::{ACCOUNT}:role/{name}", under)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_deploy_role_attaches_no_policy_even_under_its_boundary(env):
    role = f"arn:aws:iam::{ACCOUNT}:role/ecommerce-{env}-products-role"
    under = {
        "iam:PermissionsBoundary": boundary(env),
        "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
    }
    assert not allowed(deploy_documents(env), "iam:AttachRolePolicy", role, under)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_deploy_role_never_removes_a_boundary(env):
    for role in (f"ecommerce-{env}-products-role", f"ecommerce-ci-{env}-deploy"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
        for given in ({}, {"iam:PermissionsBoundary": boundary(env)}):
            # Denied outright: no other grant of the role could allow it.
            for documents in (deploy_documents(env), [*deploy_documents(env), EVERYTHING]):
                assert not allowed(documents, "iam:DeleteRolePermissionsBoundary", arn, given)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_deploy_role_sets_no_boundary_but_its_own_and_only_on_its_roles(env):
    action = "iam:PutRolePermissionsBoundary"
    own = f"arn:aws:iam::{ACCOUNT}:role/ecommerce-{env}-products-role"
    # The environment's own boundary on its own role: how a role older than boundaries gets one.
    assert allowed(deploy_documents(env), action, own, {"iam:PermissionsBoundary": boundary(env)})
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    other = "prod" if env == "dev" else "dev"
    for documents in (deploy_documents(env), [*deploy_documents(env), EVERYTHING]):
        # Any other boundary is denied outright, whatever else the role were granted.
        for given in (
            {"iam:PermissionsBoundary": boundary(other)},
            {"iam:PermissionsBoundary": admin},
        ):
            assert not allowed(documents, action, own, given), given
    for role in (f"ecommerce-ci-{env}-deploy", f"ecommerce-{other}-products-role"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
        assert not allowed(
            deploy_documents(env), action, arn, {"iam:PermissionsBoundary": boundary(env)}
        )


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
@pytest.mark.parametrize("action", POLICY_CHANGES)
def test_deploy_role_never_changes_its_boundary_policy(env, action):
    for documents in (deploy_documents(env), [*deploy_documents(env), EVERYTHING]):
        assert not allowed(documents, action, boundary(env))
        assert not allowed(documents, action, boundary("prod"))
    assert set(POLICY_CHANGES) >= {
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    }


def test_the_evaluator_knows_deny_wins_and_refuses_unknown_operators():
    allow = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert allowed([{"Statement": [allow]}], "s3:GetObject", "arn:aws:s3:::b/k")
    assert not allowed([{"Statement": [allow]}], "s3:GetObject", "arn:aws:s3:::c/k")
    assert not allowed([{"Statement": [allow, deny]}], "s3:GetObject", "arn:aws:s3:::b/k")
    like = dict(allow, Condition={"StringLike": {"aws:PrincipalTag/team": "x*"}})
    with pytest.raises(AssertionError, match="does not know StringLike"):
        allowed([{"Statement": [like]}], "s3:GetObject", "arn:aws:s3:::b/k")


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_deploy_role_can_do_what_a_real_deploy_asks(env):
    """Calls a first real deploy makes that the stack's own resources do not name: the KMS
    endpoint's private DNS (Route 53, on AWS's hosted zone), the web ACL's association with the
    stage (checked against the stage), and SNS's subscription calls (which take no resource)."""
    documents = deploy_documents(env)
    in_region = {"aws:RequestedRegion": "us-east-1"}
    requests = [
        ("route53:AssociateVPCWithHostedZone", "arn:aws:route53:::hostedzone/Z0123456789ABC", {}),
        ("wafv2:AssociateWebACL", "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/x", {}),
        ("wafv2:DisassociateWebACL", "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/x", {}),
        ("sns:Unsubscribe", "*", in_region),
        ("sns:SetSubscriptionAttributes", "*", in_region),
        ("sns:GetSubscriptionAttributes", "*", in_region),
    ]
    assert [r for r in requests if not allowed(documents, *r)] == []
    plan = [json.loads(d) for d in ROLES[f"{env}-plan"].values()]
    assert not allowed(plan, *requests[0])


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_deploy_role_can_make_what_issue_29_adds(env):
    """Delivery's dead-letter queues and their policy, the targets' dead-letter and retry
    settings, the schedule's, the indexes' auto scaling, and a pool mailing through SES (Cognito
    creates its service-linked role for email on the first UpdateUserPool that asks for it)."""
    documents = deploy_documents(env)
    in_region = {"aws:RequestedRegion": "us-east-1"}
    sqs = f"arn:aws:sqs:us-east-1:{ACCOUNT}:ecommerce-{env}"
    bus = f"ecommerce-{env}-events"
    email_role = (
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/email.cognito-idp.amazonaws.com/"
        "AWSServiceRoleForAmazonCognitoIdpEmailService"
    )
    requests = [
        ("sqs:CreateQueue", f"{sqs}-events-dlq", {}),
        ("sqs:CreateQueue", f"{sqs}-schedule-dlq", {}),
        ("sqs:SetQueueAttributes", f"{sqs}-events-dlq", {}),
        (
            "events:PutTargets",
            f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{bus}/ecommerce-{env}-low-stock",
            {},
        ),
        (
            "scheduler:UpdateSchedule",
            f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/ecommerce-{env}-expire-orders",
            {},
        ),
        ("application-autoscaling:RegisterScalableTarget", "*", in_region),
        ("application-autoscaling:PutScalingPolicy", "*", in_region),
        (
            "iam:CreateServiceLinkedRole",
            email_role,
            {"iam:AWSServiceName": "email.cognito-idp.amazonaws.com"},
        ),
    ]
    assert [r for r in requests if not allowed(documents, *r)] == []
    # Only that service's role: not any other service-linked role.
    other = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ops.example.amazonaws.com/X"
    assert not allowed(
        documents,
        "iam:CreateServiceLinkedRole",
        other,
        {"iam:AWSServiceName": "ops.example.amazonaws.com"},
    )


MAPPING = (
    f"arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:a1b2c3d4-5678-90ab-cdef-1234567890ab"
)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_roles_handle_event_source_mappings_tags(env):
    """Provider 5.100 tags a mapping on create (lambda:TagResource on the new mapping's ARN) and
    reads its tags at every refresh (lambda:ListTags on it): issue 28's first defect."""
    deploy = deploy_documents(env)
    plan = [json.loads(d) for d in ROLES[f"{env}-plan"].values()]
    for action in ("lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"):
        assert allowed(deploy, action, MAPPING, {}), action
    assert allowed(plan, "lambda:ListTags", MAPPING, {})
    assert not allowed(plan, "lambda:TagResource", MAPPING, {})


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_deploy_role_tags_its_key_on_create_and_no_other(env):
    """KMS's CreateKey with tags needs kms:TagResource on the key being created, which has no
    resource tags yet: only the request's tags say whose it is (found by the rehearsal)."""
    documents = deploy_documents(env)
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"
    assert allowed(documents, "kms:TagResource", key, {"aws:RequestTag/environment": env})
    assert not allowed(documents, "kms:TagResource", key, {"aws:RequestTag/environment": "x"})
    assert not allowed(documents, "kms:TagResource", key, {})


@pytest.mark.parametrize("role", ROLES)
def test_roles_describe_dynamodbs_managed_key_and_no_other_untagged_key(role):
    """aws_dynamodb_table's read describes alias/aws/dynamodb's key (found by the rehearsal)."""
    documents = [json.loads(d) for d in ROLES[role].values()]
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/6eb9500b-d471-4c77-9294-5e494fdfd5eb"
    managed = {"kms:ResourceAliases": ["alias/aws/dynamodb"]}
    assert allowed(documents, "kms:DescribeKey", key, managed)
    assert not allowed(documents, "kms:DescribeKey", key, {"kms:ResourceAliases": ["alias/aws/s3"]})
    assert not allowed(documents, "kms:Decrypt", key, managed)
