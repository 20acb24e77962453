"""The patch book's records: every member of moto's or botocore's that the project replaces,
wraps or adds, with the version it was written for and why.

``install`` puts the emulator's patches in place (``localcloud.emulator.moto_app``, once, before
the first request). The worker's patches of botocore are applied by the worker itself, through
``botocore_calls``; the tests' hooks through ``record.around``.
"""

from __future__ import annotations

from localcloud.emulator import (
    event_delivery,
    github_oidc,
    iam_enforcement,
    mailbox,
    moto_fixes,
    moto_iam,
    moto_sns,
    s3_bucket_policy,
    sqs_clock,
)
from localcloud.emulator.patches.record import Patch, apply

MOTO = "moto 5.2.5"
"""The moto every patch of moto was written for (Pipfile pins it)."""
BOTOCORE_RUNTIME = "botocore 1.38.36"
"""The botocore of the python3.12 runtime (``.venv-lambda-3.12``) the worker's patches wrap."""


def _moto(target: str, why: str, make, **more) -> Patch:
    return Patch(f"moto.{target}", MOTO, why, make, **more)


_AUTHENTICATED = "the service's refusal of a caller's credentials or signature is in its JSON shape"
_SENDER = "SES judges a send against the sender's email identity (moto has no resource: '*')"
_JSON_PROTOCOL = (
    "dynamodb.responses.DynamoHandler",
    "kms.responses.KmsResponse",
    "events.responses.EventsHandler",
    "sesv2.responses.SESV2Response",
)
_SENDS = ("send_email", "send_raw_email", "send_templated_email")

FIXES = (
    _moto(
        "awslambda.models.LambdaBackend.add_permission",
        "AddPermission with a statement id the policy holds is a 409 (moto stored a second copy)",
        moto_fixes.add_permission_once,
    ),
    _moto(
        "apigateway.models.APIGatewayBackend.create_resource",
        "a second resource of the same path under one parent is a 409 (moto made a copy)",
        moto_fixes.create_resource_once,
    ),
    _moto(
        "awslambda.models.LambdaFunction.update_configuration",
        "a configuration update moves the function's LastModified (moto kept the creation time)",
        moto_fixes.touching_last_modified,
    ),
    _moto(
        "awslambda.models.LambdaFunction.update_function_code",
        "a code update moves the function's LastModified (moto kept the creation time)",
        moto_fixes.touching_last_modified,
    ),
    _moto(
        "awslambda.models.LambdaBackend.create_event_source_mapping",
        "a mapping is kept, not run by moto (in Docker): the local cloud's triggers run it",
        moto_fixes.mapping_kept_only,
        kind="hook",
    ),
    _moto(
        "sesv2.models.SESV2Backend.create_email_identity",
        "an email identity's tags are kept under its ARN, identity/<address> (moto: elsewhere)",
        moto_fixes.tagging_identity_arn,
    ),
    _moto(
        "sqs.models.Queue.attributes",
        "a queue's RedrivePolicy comes back compact, as SQS writes it (moto put spaces in it)",
        moto_fixes.compact_redrive_policy,
    ),
    _moto(
        "dynamodb.models.DynamoDBBackend.transact_write_items",
        "a cancelled transaction leaves the tables and their streams as they were",
        moto_fixes.rollback_in_place,
    ),
    _moto(
        "awslambda.responses.LambdaResponse.get_account_settings",
        "Lambda answers GetAccountSettings (moto has no route for it: a 404)",
        moto_fixes.answer_account_settings,
        how="add",
    ),
    _moto(
        "sns.models.SNSBackend.publish",
        "Publish refuses a subject or a size SNS refuses (moto took them)",
        moto_sns.checked_as_sns,
    ),
    _moto(
        "s3.models.FakeBucket.get_permission",
        "a bucket policy is judged by AWS's rules, over HTTPS (moto met conditions it cannot read)",
        lambda: s3_bucket_policy.get_permission,
        how="replace",
    ),
    _moto(
        "events.models.Rule.send_to_targets",
        "EventBridge judges, retries and dead-letters its deliveries to SQS (moto just sends)",
        event_delivery.delivered_as_aws,
    ),
    _moto(
        "sts.responses.TokenResponse.assume_role_with_web_identity",
        "STS verifies the web identity token and the role's trust (moto takes any token)",
        github_oidc.judged,
    ),
)
IAM = (
    _moto(
        "core.authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action",
        "the check of a call gets the call's handler (its parsed parameters) for AWS's judgement",
        lambda: iam_enforcement.authenticate_and_authorize_action,
        how="replace",
        kind="hook",
    ),
    _moto(
        "iam.access_control.IAMRequestBase.check_action_permitted",
        "a call is judged by AWS's policy evaluation logic (moto's knows StringEquals only)",
        lambda: iam_enforcement.check_action_permitted,
        how="replace",
    ),
    _moto(
        "awslambda.models.EventSourceMapping.__init__",
        "a new mapping gets the uuid its CreateEventSourceMapping was judged with",
        iam_enforcement.mapping_init,
        kind="hook",
    ),
    *(
        _moto(
            f"{owner}._authenticate_and_authorize_normal_action",
            _AUTHENTICATED,
            moto_iam.json_authorization,
            how="replace",
        )
        for owner in _JSON_PROTOCOL
    ),
    *(
        _moto(f"{owner}._determine_resource", _SENDER, lambda: moto_iam.sender_identity, how="add")
        for owner in ("ses.responses.EmailResponse", "sesv2.responses.SESV2Response")
    ),
    _moto(
        "iam.access_control.IAMRequestBase._create_aws_request",
        "a bodiless request's signature is verified over no body (moto: over its parameters)",
        moto_iam.bodiless_as_sent,
    ),
)
MAIL = tuple(
    _moto(
        f"ses.models.SESBackend.{send}",
        "each message SES keeps gets the local time it was sent at, for the mail listing",
        mailbox.stamping,
        kind="hook",
    )
    for send in _SENDS
)
SQS_CLOCK = tuple(
    _moto(
        f"sqs.models.{name}",
        "SQS's times (visibility, delay, retention, timestamps) read the local clock",
        make,
        kind="hook",
    )
    for name, make in (("unix_time", sqs_clock.seconds), ("unix_time_millis", sqs_clock.millis))
)
"""moto's SQS on the local clock (``localcloud.emulator.sqs_clock``): the module's own names."""
EMULATOR = FIXES + IAM + MAIL + SQS_CLOCK
"""The patches ``install`` puts in the emulator's process (and ``install_iam`` in a bench's)."""
WORKER = tuple(
    Patch(
        target,
        BOTOCORE_RUNTIME,
        "the worker tags a handler's calls and strikes a fault rule's fault at them",
        make,
        kind="hook",
        how="around",
    )
    for target, make in (
        ("botocore.httpsession.URLLib3Session.send", "botocore_calls.calls_watched"),
        ("botocore.endpoint.Endpoint.make_request", "botocore_calls.calls_watched"),
    )
)
"""Applied by the Lambda worker (``botocore_calls``, loaded by path: the worker imports nothing
of the project), around each invocation that a fault rule arms."""
STUBBER_REQUESTS = _moto(
    "core.botocore_stubber.BotocoreStubber.process_request",
    "the handlers' tests inject faults in front of in-process moto and serialize its requests",
    "record.around",
    kind="hook",
    how="around",
)
"""The tests' hook (``record.around``): in-process moto's every request."""
BOOK = EMULATOR + WORKER + (STUBBER_REQUESTS,)
"""Every patch of moto's or botocore's internals in the project."""


def patch(target: str) -> Patch:
    """The book's record of ``target``."""
    return next(p for p in BOOK if p.target == target)


def install() -> None:
    """Put every patch of the emulator in place (idempotent)."""
    for each in EMULATOR:
        apply(each)


def install_iam() -> None:
    """Only the IAM patches (a benchmark judging calls on in-process moto; idempotent)."""
    for each in IAM:
        apply(each)
