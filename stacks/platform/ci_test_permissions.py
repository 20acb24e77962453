"""What the integration suite may do in an environment it runs against (``tests/integration``):
the policy documents of that environment's CI test role, ``ecommerce-ci-<env>-test``, which
main.yml assumes for the suite after the deploy.

It reads what the plan role reads (the suite checks the deployed resources' settings), without
the Terraform state, and does only what the suite does beyond reading:

- removes the orders it placed (DynamoDB ``DeleteItem``);
- makes its own people in the user pool, signs them in with the admin flow and deletes them, and
  finds the pool's app client;
- reads the notifier's log for the mail it sent (``tests/integration/mail.py``, on AWS);
- taps the event bus with a queue of its own, ``it-tap-*`` (a rule on the bus that sends to it),
  outside the environment's names so that no deploy can manage it;
- sends a poison message to the notifications queue and reads it back from its dead-letter queue;
- makes the notifications queue refuse the bus for a moment (its policy), to find a delivery
  dead-lettered;
- subscribes a queue of its own, ``it-alerts-*``, to the low-stock topic, and unsubscribes it;
- finds the environment's queues by name (``GetQueueUrl``), to read their settings.

The deploy role does none of this any more: a deploy needs none of it.
"""

from __future__ import annotations

from stacks.base.iam import policy_document, statement
from stacks.platform.ci_permissions import CiScope, read_statements

NOTIFICATIONS = "notifications"
"""The queue the suite feeds a poison message to (``stacks/store/events.py`` names it)."""
TAP_QUEUES = "it-tap-*"
"""The suite's own queues, one per test that taps the bus (``tests/integration``)."""
ALERT_QUEUES = "it-alerts-*"
"""The suite's own queues subscribed to the low-stock topic (``tests/integration``)."""
PEOPLE = ["cognito-idp:AdminCreateUser", "cognito-idp:AdminSetUserPassword",
          "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminInitiateAuth",
          "cognito-idp:AdminDeleteUser", "cognito-idp:ListUserPoolClients"]  # fmt: skip
TAP = ["sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:GetQueueAttributes",
       "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteQueue"]  # fmt: skip
TAP_RULE = ["events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule"]
POISON = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl",
          "sqs:GetQueueAttributes"]  # fmt: skip


def suite_statements(scope: CiScope) -> list[dict]:
    """What the suite does beyond reading (see the module docstring)."""
    p = scope.prefix
    notifier_log = f"/aws/lambda/{p}-notifier"
    queues = [
        scope.arn("sqs", f"{p}-{NOTIFICATIONS}"),
        scope.arn("sqs", f"{p}-{NOTIFICATIONS}-dlq"),
        # Where the bus dead-letters: the suite finds a refused delivery there.
        scope.arn("sqs", f"{p}-events-dlq"),
    ]
    return [
        statement(
            "dynamodb:DeleteItem",
            scope.arn("dynamodb", f"table/{p}-*"),
            Sid="IntegrationSuiteRemovesItsData",
        ),
        statement(
            PEOPLE, scope.arn("cognito-idp", "userpool/*"), Sid="IntegrationSuiteSignsItsPeopleIn"
        ),
        statement(
            "logs:FilterLogEvents",
            [
                scope.arn("logs", f"log-group:{notifier_log}"),
                scope.arn("logs", f"log-group:{notifier_log}:*"),
            ],
            Sid="IntegrationSuiteReadsTheMailSent",
        ),
        statement(
            TAP,
            [scope.arn("sqs", TAP_QUEUES), scope.arn("sqs", ALERT_QUEUES)],
            Sid="IntegrationSuiteTapsTheBus",
        ),
        statement(
            "sns:Subscribe", scope.arn("sns", f"{p}-low-stock"), Sid="IntegrationSuiteTapsTheTopic"
        ),
        # Unsubscribe names a subscription, not a topic: in the region only.
        statement(
            "sns:Unsubscribe", "*", Sid="IntegrationSuiteUntapsTheTopic", Condition=scope.in_region
        ),
        statement(
            "sqs:SetQueueAttributes",
            scope.arn("sqs", f"{p}-{NOTIFICATIONS}"),
            Sid="IntegrationSuiteRefusesADelivery",
        ),
        statement(
            TAP_RULE,
            scope.arn("events", f"rule/{p}-*/{TAP_QUEUES}"),
            Sid="IntegrationSuiteRulesToItsTap",
        ),
        statement(
            "events:ListRules", "*", Sid="IntegrationSuiteListsRules", Condition=scope.in_region
        ),
        statement(POISON, queues, Sid="IntegrationSuiteSendsAPoisonMessage"),
        # It finds each queue by name, dead-letter queues included (the plan role never does).
        statement(
            "sqs:GetQueueUrl", scope.arn("sqs", f"{p}-*"), Sid="IntegrationSuiteFindsTheQueues"
        ),
    ]


def suite_policies(scope: CiScope) -> dict[str, str]:
    """The test role's policy documents, by name suffix."""
    return {
        "read": policy_document(*read_statements(scope)),
        "suite": policy_document(*suite_statements(scope)),
    }
