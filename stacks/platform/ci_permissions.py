"""What CI may do in one environment: the IAM policy documents of its plan and deploy roles.

Written as data, service by service, from what the environment's stack manages (see
``stacks/store/store_stack.py``): every action is named (no ``*`` action, no ``service:*``), and
every resource is scoped by the environment's name prefix (``ecommerce-<env>-*``) wherever the
service's ARNs carry a name. Where they carry a generated id instead (EC2, API Gateway,
Application Auto Scaling) or the action takes no resource at all (``Describe*``, vended log
deliveries, ``kms:CreateKey``), the resource is ``*`` limited to the environment's region, and,
where AWS supports it, to resources tagged with the environment (EC2 deletions, KMS keys). The
docs/delivery.md lists these places.

The plan role only reads (``cdktf diff``, the drift check) and may write nothing but the lock
file beside the state; the deploy role reads and writes, and gives permissions to the
environment's roles only under the environment's permissions boundary
(``stacks/platform/role_boundary.py``), which it may never change nor remove.
"""

from __future__ import annotations

from dataclasses import dataclass

from stacks.base.delivery_config import STATE_KEY_ALIAS
from stacks.base.iam import PolicyScope, denial, policy_document, statement
from stacks.base.state_backend import state_key

# AWS-managed policies the environment stacks attach to their roles: none (every role's policies
# are inline and checked by tests/stacks/base/test_iam.py). Earlier releases attached these two to
# the functions' roles; the deploy role may only detach them, so that an existing environment can
# move to the inline policies (a unit test keeps the stacks free of attachments).
DETACHED_POLICIES = (
    "service-role/AWSLambdaVPCAccessExecutionRole",
    "AWSXRayDaemonWriteAccess",
)
# Services the deploy role may hand the environment's roles to.
PASSED_TO = ("lambda.amazonaws.com", "scheduler.amazonaws.com", "vpc-flow-logs.amazonaws.com")
# The service whose service-linked role (AWSServiceRoleForAmazonCognitoIdpEmailService) sends a
# user pool's mail through SES.
COGNITO_EMAIL_SERVICE = "email.cognito-idp.amazonaws.com"
# IAM's limit on one managed policy document, whitespace excluded.
MAX_POLICY_CHARS = 6144
# What gives a role its permissions: allowed only on roles under the environment's boundary
# (the condition is the boundary a created role gets, or the one a written role carries).
# Setting that same boundary is allowed too: it only narrows a role, and it is how the roles
# created before boundaries existed get theirs on the first deploy that names it.
BOUNDED_ROLE_WRITES = ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"]
# Never: removing a role's boundary, setting any other, or changing any managed policy (the
# boundaries are the account stack's, deployed by an administrator). Denied outright, so that no
# later grant can allow them.
BOUNDARY_REMOVAL = "iam:DeleteRolePermissionsBoundary"
BOUNDARY_CHANGE = "iam:PutRolePermissionsBoundary"
POLICY_CHANGES = ["iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy",
                  "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy",
                  "iam:UntagPolicy"]  # fmt: skip


@dataclass(frozen=True)
class CiScope(PolicyScope):
    """Where one environment's CI roles may act."""

    layer_arns: tuple[str, ...]
    state_bucket: str
    state_region: str
    # ARN of the policy that must bound every role the deploy role creates or writes to
    # (stacks/platform/role_boundary.py).
    permissions_boundary: str


def _named(scope: CiScope) -> dict[str, list[str]]:
    """Resource ARNs by service, scoped by the environment's name prefix."""
    p = scope.prefix
    log_groups = (
        f"/aws/lambda/{p}-*",
        f"/aws/apigateway/{p}-*",
        f"/vpc/{p}/*",
        f"aws-waf-logs-{p}-*",
    )
    return {
        "dynamodb": [scope.arn("dynamodb", f"table/{p}-*")],
        "lambda": [scope.arn("lambda", f"function:{p}-*")],
        "iam": [scope.arn("iam", f"role/{p}-*", region=False)],
        "logs": [scope.arn("logs", f"log-group:{g}") for g in log_groups]
        + [scope.arn("logs", f"log-group:{g}:*") for g in log_groups],
        "sns": [scope.arn("sns", f"{p}-*")],
        "cloudwatch": [
            scope.arn("cloudwatch", f"alarm:{p}-*"),
            scope.arn("cloudwatch", f"dashboard/{p}-*", region=False),
        ],
        "wafv2": [scope.arn("wafv2", f"regional/webacl/{p}-*/*")],
        "sqs": [scope.arn("sqs", f"{p}-*")],
        # The bus, and the rules on it (a rule of a custom bus is ``rule/<bus>/<rule>``).
        "events": [scope.arn("events", f"event-bus/{p}-*"), scope.arn("events", f"rule/{p}-*/*")],
        "scheduler": [scope.arn("scheduler", f"schedule/default/{p}-*")],
        # The mail identity is named by the environment's sender address, not by its prefix.
        "ses": [scope.arn("ses", f"identity/{scope.sender_identity}")],
        "kms-alias": [scope.arn("kms", f"alias/{p}")],
        # User pool ids are generated: any pool of the account in the region.
        "cognito-idp": [scope.arn("cognito-idp", "userpool/*")],
    }


def _rest_apis(scope: CiScope) -> list[str]:
    # REST API ids are generated: any API of the region (the account's other APIs included).
    return [
        scope.arn("apigateway", path, account=False)
        for path in ("/restapis", "/restapis/*", "/tags/*")
    ]


def _mappings(scope: CiScope) -> str:
    # Event source mappings have generated ids: any mapping of the account in the region.
    return scope.arn("lambda", "event-source-mapping:*")


READ_BY_NAME = {
    "dynamodb": ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups",
                 "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"],
    "lambda": ["lambda:GetFunction", "lambda:GetFunctionConfiguration",
               "lambda:GetFunctionConcurrency", "lambda:GetFunctionCodeSigningConfig",
               "lambda:GetPolicy", "lambda:ListVersionsByFunction", "lambda:ListTags"],
    "iam": ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRoleTags"],
    "logs": ["logs:ListTagsForResource", "logs:ListTagsLogGroup"],
    "sns": ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic"],
    "cognito-idp": ["cognito-idp:DescribeUserPool", "cognito-idp:DescribeUserPoolClient",
                    "cognito-idp:GetGroup", "cognito-idp:GetUserPoolMfaConfig",
                    "cognito-idp:ListTagsForResource"],
    "cloudwatch": ["cloudwatch:ListTagsForResource", "cloudwatch:GetDashboard"],
    "wafv2": ["wafv2:GetWebACL", "wafv2:GetLoggingConfiguration", "wafv2:ListTagsForResource"],
    "sqs": ["sqs:GetQueueAttributes", "sqs:ListQueueTags"],
    "events": ["events:DescribeEventBus", "events:DescribeRule", "events:ListTargetsByRule",
               "events:ListTagsForResource"],
    "scheduler": ["scheduler:GetSchedule"],
    "ses": ["ses:GetEmailIdentity", "ses:ListTagsForResource"],
}  # fmt: skip
WRITE_BY_NAME = {
    "dynamodb": ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable",
                 "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive",
                 "dynamodb:TagResource", "dynamodb:UntagResource"],
    "lambda": ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode",
               "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency",
               "lambda:DeleteFunctionConcurrency", "lambda:AddPermission",
               "lambda:RemovePermission", "lambda:PublishVersion", "lambda:TagResource",
               "lambda:UntagResource"],
    "iam": ["iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
            "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy", "iam:TagRole", "iam:UntagRole"],
    "logs": ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
             "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey",
             "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"],
    "sns": ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:TagResource",
            "sns:UntagResource", "sns:Subscribe"],
    "cognito-idp": ["cognito-idp:UpdateUserPool", "cognito-idp:DeleteUserPool",
                    "cognito-idp:SetUserPoolMfaConfig", "cognito-idp:CreateUserPoolClient",
                    "cognito-idp:UpdateUserPoolClient", "cognito-idp:DeleteUserPoolClient",
                    "cognito-idp:CreateGroup", "cognito-idp:UpdateGroup",
                    "cognito-idp:DeleteGroup", "cognito-idp:TagResource",
                    "cognito-idp:UntagResource"],
    "cloudwatch": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
                   "cloudwatch:TagResource", "cloudwatch:UntagResource",
                   "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
    "wafv2": ["wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL",
              "wafv2:AssociateWebACL", "wafv2:PutLoggingConfiguration",
              "wafv2:DeleteLoggingConfiguration", "wafv2:TagResource", "wafv2:UntagResource"],
    "sqs": ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue",
            "sqs:UntagQueue"],
    "events": ["events:CreateEventBus", "events:DeleteEventBus", "events:PutRule",
               "events:DeleteRule", "events:PutTargets", "events:RemoveTargets",
               "events:TagResource", "events:UntagResource"],
    "scheduler": ["scheduler:CreateSchedule", "scheduler:UpdateSchedule",
                  "scheduler:DeleteSchedule"],
    "ses": ["ses:CreateEmailIdentity", "ses:DeleteEmailIdentity", "ses:TagResource",
            "ses:UntagResource"],
}  # fmt: skip
# Calls that take no resource, or whose resources have generated ids: `*` in the region. (SNS's
# subscription calls take no resource in IAM: named with the topic's ARN they would grant nothing.)
READ_ANYWHERE = [
    "ec2:Describe*", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "sns:GetSubscriptionAttributes",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "cloudwatch:DescribeAlarms",
    "application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource",
    "kms:ListAliases", "wafv2:GetWebACLForResource",
    # The deploy's first step: the account's concurrency quota (scripts/ci/concurrency.py).
    "lambda:GetAccountSettings",
    # Event source mappings have generated ids (and listing them takes no resource).
    "lambda:GetEventSourceMapping", "lambda:ListEventSourceMappings",
]  # fmt: skip
WRITE_ANYWHERE = [
    "ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:CreateSubnet", "ec2:ModifySubnetAttribute",
    "ec2:CreateRouteTable", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:AssociateRouteTable",
    "ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:CreateSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress", "ec2:ModifySecurityGroupRules",
    "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:CreateFlowLogs", "ec2:CreateTags",
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
    "logs:CreateLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:PutResourcePolicy", "logs:DeleteResourcePolicy", "cognito-idp:CreateUserPool",
    "sns:Unsubscribe", "sns:SetSubscriptionAttributes",
    "lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping",
    "lambda:DeleteEventSourceMapping",
]  # fmt: skip
# An event source mapping's tags: the provider's default tags go in CreateEventSourceMapping
# (tag on create: lambda:TagResource on the new mapping's ARN) and ListTags reads them at every
# refresh, on ``event-source-mapping:<uuid>``, not on the function's ARN.
MAPPING_TAG_READ = "lambda:ListTags"
MAPPING_TAG_WRITE = ["lambda:TagResource", "lambda:UntagResource"]
# EC2 deletions: only of resources tagged with the environment.
DELETE_TAGGED = [
    "ec2:DeleteVpc", "ec2:DeleteSubnet", "ec2:DeleteRouteTable", "ec2:DeleteRoute",
    "ec2:DisassociateRouteTable", "ec2:DeleteInternetGateway", "ec2:DetachInternetGateway",
    "ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress", "ec2:DeleteVpcEndpoints", "ec2:DeleteFlowLogs",
    "ec2:DeleteTags",
]  # fmt: skip
KEY_READ = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
            "kms:ListResourceTags"]  # fmt: skip
# The environment's key: managed, and used by the services that encrypt with it on our behalf
# (DynamoDB and Lambda create grants; Lambda encrypts the functions' environment).
KEY_WRITE = ["kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
             "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource",
             "kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*",
             "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]  # fmt: skip
API_READ = ["apigateway:GET"]
API_WRITE = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE",
             "apigateway:SetWebACL"]  # fmt: skip
# The web ACL's association is checked against both ends: the web ACL (by name, above) and the
# stage it protects (REST API ids are generated: any stage of the region). Disassociating names
# the stage only.
STAGE_FIREWALL = ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"]
# Creating (or modifying) an interface endpoint with private DNS associates the VPC with the
# private hosted zone that AWS keeps for the service: the caller needs this Route 53 action, on a
# hosted zone whose id nobody knows beforehand.
PRIVATE_DNS = "route53:AssociateVPCWithHostedZone"


def _sid(*words: str) -> str:
    # Statement ids are alphanumeric: "cognito-idp" becomes "CognitoIdp".
    return "".join(part.capitalize() for w in words for part in w.split("-"))


def _state(scope: CiScope, deploy: bool) -> list[dict]:
    """The environment's state object (read; written by deploy), its lock file, and the key."""
    bucket = f"arn:{scope.partition}:s3:::{scope.state_bucket}"
    state = f"{bucket}/{state_key(scope.prefix)}"
    key_arn = f"arn:{scope.partition}:kms:{scope.state_region}:{scope.account_id}:key/*"
    return [
        statement("s3:ListBucket", bucket, Sid="StateBucketListing"),
        statement(
            ["s3:GetObject", "s3:PutObject"] if deploy else "s3:GetObject",
            state,
            Sid="StateObject",
        ),
        statement(
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], f"{state}.tflock", Sid="StateLock"
        ),
        statement(
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            key_arn,
            Sid="StateKey",
            Condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": STATE_KEY_ALIAS}},
        ),
    ]


def read_statements(scope: CiScope) -> list[dict]:
    """What both roles may read: the environment's resources and its state."""
    named = _named(scope)
    statements = [
        statement(actions, named[service], Sid=_sid("read", service))
        for service, actions in READ_BY_NAME.items()
    ]
    statements += [
        statement(READ_ANYWHERE, "*", Sid="ReadWithoutResourceNames", Condition=scope.in_region),
        statement(API_READ, _rest_apis(scope), Sid="ReadRestApis"),
        statement(MAPPING_TAG_READ, _mappings(scope), Sid="ReadEventSourceMappingTags"),
        # The provider reads a table's encryption by comparing its key with DynamoDB's AWS-managed
        # key (DescribeKey of alias/aws/dynamodb), which carries no environment's tags.
        statement(
            "kms:DescribeKey",
            scope.arn("kms", "key/*"),
            Sid="DescribeDynamoDbManagedKey",
            Condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/aws/dynamodb"}},
        ),
        statement(
            KEY_READ,
            scope.arn("kms", "key/*"),
            Sid="ReadEnvironmentKey",
            Condition=scope.tagged,
        ),
    ]
    return statements


def named_write_statements(scope: CiScope) -> list[dict]:
    """What only the deploy role may do to the environment's resources that carry its name."""
    named = _named(scope)
    statements = [
        statement(actions, named[service], Sid=_sid("write", service))
        for service, actions in WRITE_BY_NAME.items()
    ]
    statements.append(
        statement(
            BOUNDED_ROLE_WRITES,
            named["iam"],
            Sid="WriteRolesOnlyUnderTheBoundary",
            Condition={"StringEquals": {"iam:PermissionsBoundary": scope.permissions_boundary}},
        )
    )
    return statements


def _iam_write_statements(scope: CiScope, named: dict[str, list[str]]) -> list[dict]:
    """The deploy role's IAM hand-offs, and what it may never do to boundaries and policies."""
    partition = scope.partition
    return [
        denial(BOUNDARY_REMOVAL, "*", Sid="NeverRemoveABoundary"),
        denial(
            BOUNDARY_CHANGE,
            "*",
            Sid="NeverSetAnotherBoundary",
            Condition={"StringNotEquals": {"iam:PermissionsBoundary": scope.permissions_boundary}},
        ),
        denial(
            POLICY_CHANGES,
            scope.arn("iam", "policy/*", region=False),
            Sid="NeverChangeAManagedPolicy",
        ),
        statement(
            "iam:DetachRolePolicy",
            named["iam"],
            Sid="DetachEarlierManagedPolicies",
            Condition={
                "ArnEquals": {
                    "iam:PolicyARN": [
                        f"arn:{partition}:iam::aws:policy/{p}" for p in DETACHED_POLICIES
                    ]
                }
            },
        ),
        statement(
            "iam:PassRole",
            named["iam"],
            Sid="PassEnvironmentRoles",
            Condition={"StringEquals": {"iam:PassedToService": list(PASSED_TO)}},
        ),
        statement(
            "iam:CreateServiceLinkedRole",
            scope.arn(
                "iam",
                "role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/*",
                region=False,
            ),
            Sid="AutoScalingServiceLinkedRole",
            Condition={
                "StringEquals": {
                    "iam:AWSServiceName": "dynamodb.application-autoscaling.amazonaws.com"
                }
            },
        ),
        # A pool that mails through SES (UserPool.email_sending_account DEVELOPER): Cognito
        # creates its service-linked role, and sends with it (no sending authorization policy).
        statement(
            "iam:CreateServiceLinkedRole",
            scope.arn("iam", f"role/aws-service-role/{COGNITO_EMAIL_SERVICE}/*", region=False),
            Sid="CognitoEmailServiceLinkedRole",
            Condition={"StringEquals": {"iam:AWSServiceName": COGNITO_EMAIL_SERVICE}},
        ),
    ]


def platform_write_statements(scope: CiScope) -> list[dict]:
    """What only the deploy role may do beyond named resources: IAM hand-offs (and what it may
    never do to boundaries), the network, the REST API, auto scaling and the environment's key."""
    named = _named(scope)
    return [
        *_iam_write_statements(scope, named),
        statement("lambda:GetLayerVersion", list(scope.layer_arns), Sid="UsePowertoolsLayer"),
        statement(WRITE_ANYWHERE, "*", Sid="WriteWithoutResourceNames", Condition=scope.in_region),
        statement(MAPPING_TAG_WRITE, _mappings(scope), Sid="TagEventSourceMappings"),
        statement(DELETE_TAGGED, "*", Sid="DeleteOnlyTaggedNetwork", Condition=scope.tagged),
        statement(API_WRITE, _rest_apis(scope), Sid="WriteRestApis"),
        statement(
            STAGE_FIREWALL,
            scope.arn("apigateway", "/restapis/*/stages/*", account=False),
            Sid="FirewallOnRestApiStages",
        ),
        statement(
            PRIVATE_DNS,
            scope.arn("route53", "hostedzone/*", region=False, account=False),
            Sid="PrivateDnsOfInterfaceEndpoints",
        ),
        statement(
            "kms:CreateKey",
            "*",
            Sid="CreateEnvironmentKey",
            Condition={
                "StringEquals": {
                    "aws:RequestTag/environment": scope.environment,
                    "aws:RequestedRegion": scope.region,
                }
            },
        ),
        # Tag on create: CreateKey with tags also needs kms:TagResource on the new key, which
        # has no tags yet, so the request's tags are what can be checked.
        statement(
            "kms:TagResource",
            scope.arn("kms", "key/*"),
            Sid="TagEnvironmentKeyOnCreate",
            Condition={"StringEquals": {"aws:RequestTag/environment": scope.environment}},
        ),
        statement(
            KEY_WRITE, scope.arn("kms", "key/*"), Sid="UseEnvironmentKey", Condition=scope.tagged
        ),
        statement(
            ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            named["kms-alias"],
            Sid="EnvironmentKeyAlias",
        ),
    ]


def plan_policies(scope: CiScope) -> dict[str, str]:
    """The plan role's policy documents, by name suffix."""
    return {"read": policy_document(*read_statements(scope), *_state(scope, deploy=False))}


def deploy_policies(scope: CiScope) -> dict[str, str]:
    """The deploy role's policy documents, by name suffix (each within IAM's size limit)."""
    return {
        "read": policy_document(*read_statements(scope), *_state(scope, deploy=True)),
        "write": policy_document(*named_write_statements(scope)),
        "platform": policy_document(*platform_write_statements(scope)),
    }
