"""The integration suite's role: what the suite calls on AWS, and nothing a deploy does."""

import json

import pytest

from stacks.platform.ci_permissions import plan_policies
from stacks.platform.ci_test_permissions import suite_policies
from tests.stacks.platform.test_ci_permissions import ACCOUNT, as_list, scope_of, statements
from tests.stacks.policy_evaluation import allowed

DOCUMENTS = [json.loads(d) for d in suite_policies(scope_of("dev")).values()]
ARN = f"us-east-1:{ACCOUNT}"
POOL = f"arn:aws:cognito-idp:{ARN}:userpool/us-east-1_AbCdEf123"
IN_REGION = {"aws:RequestedRegion": "us-east-1"}

# What tests/integration calls beyond reading, on the resources AWS checks (written from the
# suite and the Service Authorization Reference's resource types).
SUITE_CALLS = [
    ("dynamodb:DeleteItem", f"arn:aws:dynamodb:{ARN}:table/ecommerce-dev-orders", {}),
    ("cognito-idp:AdminCreateUser", POOL, {}),
    ("cognito-idp:AdminSetUserPassword", POOL, {}),
    ("cognito-idp:AdminAddUserToGroup", POOL, {}),
    ("cognito-idp:AdminInitiateAuth", POOL, {}),
    ("cognito-idp:AdminDeleteUser", POOL, {}),
    ("cognito-idp:ListUserPoolClients", POOL, {}),
    (
        "logs:FilterLogEvents",
        f"arn:aws:logs:{ARN}:log-group:/aws/lambda/ecommerce-dev-notifier:*",
        {},
    ),
    ("sqs:CreateQueue", f"arn:aws:sqs:{ARN}:it-tap-0a1b2c3d", {}),
    ("sqs:SetQueueAttributes", f"arn:aws:sqs:{ARN}:it-tap-0a1b2c3d", {}),
    ("sqs:ReceiveMessage", f"arn:aws:sqs:{ARN}:it-tap-0a1b2c3d", {}),
    ("sqs:DeleteQueue", f"arn:aws:sqs:{ARN}:it-tap-0a1b2c3d", {}),
    ("events:PutRule", f"arn:aws:events:{ARN}:rule/ecommerce-dev-bus/it-tap-0a1b2c3d", {}),
    ("events:PutTargets", f"arn:aws:events:{ARN}:rule/ecommerce-dev-bus/it-tap-0a1b2c3d", {}),
    ("events:DeleteRule", f"arn:aws:events:{ARN}:rule/ecommerce-dev-bus/it-tap-0a1b2c3d", {}),
    ("sqs:SendMessage", f"arn:aws:sqs:{ARN}:ecommerce-dev-notifications", {}),
    ("sqs:GetQueueUrl", f"arn:aws:sqs:{ARN}:ecommerce-dev-notifications-dlq", {}),
    ("sqs:ReceiveMessage", f"arn:aws:sqs:{ARN}:ecommerce-dev-notifications-dlq", {}),
    ("sqs:DeleteMessage", f"arn:aws:sqs:{ARN}:ecommerce-dev-notifications-dlq", {}),
    ("events:ListRules", "*", IN_REGION),
    ("sqs:GetQueueUrl", f"arn:aws:sqs:{ARN}:ecommerce-dev-low-stock-dlq", {}),
]


@pytest.mark.parametrize(("action", "resource", "context"), SUITE_CALLS)
def test_the_suite_may_make_its_calls(action, resource, context):
    assert allowed(DOCUMENTS, action, resource, context)


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        # Another environment's data, queues and logs.
        ("dynamodb:DeleteItem", f"arn:aws:dynamodb:{ARN}:table/ecommerce-prod-orders"),
        ("sqs:SendMessage", f"arn:aws:sqs:{ARN}:ecommerce-prod-notifications"),
        (
            "logs:FilterLogEvents",
            f"arn:aws:logs:{ARN}:log-group:/aws/lambda/ecommerce-dev-orders:*",
        ),
        # The environment's own queues beyond the notifications', and deleting them.
        ("sqs:SendMessage", f"arn:aws:sqs:{ARN}:ecommerce-dev-low-stock"),
        ("sqs:DeleteQueue", f"arn:aws:sqs:{ARN}:ecommerce-dev-notifications"),
        # Rules of the bus that are not its tap's; the state; a deploy's writes.
        ("events:DeleteRule", f"arn:aws:events:{ARN}:rule/ecommerce-dev-bus/ecommerce-dev-x"),
        ("s3:GetObject", "arn:aws:s3:::acme-tf-state/ecommerce-dev/terraform.tfstate"),
        ("lambda:UpdateFunctionCode", f"arn:aws:lambda:{ARN}:function:ecommerce-dev-orders"),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ecommerce-dev-orders"),
    ],
)
def test_the_suite_may_do_nothing_else(action, resource):
    assert not allowed(DOCUMENTS, action, resource, IN_REGION)


def test_it_reads_what_the_plan_role_reads_without_the_state():
    plan = [s for s in statements(plan_policies(scope_of("dev"))) if "State" not in s["Sid"]]
    assert json.loads(suite_policies(scope_of("dev"))["read"])["Statement"] == plan
    actions = {a for s in statements(suite_policies(scope_of("dev"))) for a in as_list(s["Action"])}
    assert not {a for a in actions if a.startswith("s3:")}
