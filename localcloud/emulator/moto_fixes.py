"""Where moto answers otherwise than AWS in ways the local cloud trips on: the replacements that
the patch book (``localcloud.emulator.patches``) puts in moto's classes.

- **AWS's 409 where moto would store a second copy** of a create that repeats one already done.
  AWS refuses the copy; moto appended it, and the copy outlived the destroy (Terraform then waits
  minutes for a Lambda permission statement to disappear that never will). Each check raises
  moto's own error type, so the client reads the code and message AWS sends.
- **A function's LastModified moves** when its code or configuration is updated, as on AWS:
  moto kept the creation time, so a redeploy that only changed a function's environment,
  timeout or memory looked like no change to whoever watches LastModified (the local gateway).
- **moto runs no event source mapping itself**: it would invoke the function (in Docker) on every
  message sent to a mapped queue (receiving it, so the receive count that drives the redrive to
  the DLQ grew with each failed try) and on every write to a mapped table. The mapping is kept
  and listed as AWS does; the local cloud's triggers (``localcloud.triggers``) run it.
- **An SES email identity's tags are kept under its ARN** (``identity/<address>``, what AWS
  names and Terraform's provider lists tags by): moto filed them under ``email-identity/...``,
  so every plan after the deploy wanted to add the stack's tags again.
- **A queue's redrive policy comes back compact**, as SQS writes it
  (``{"deadLetterTargetArn":"...","maxReceiveCount":5}``): moto put spaces in it, and every plan
  after the deploy showed the stack's queues changing.
- **A cancelled transaction leaves the tables and their streams as they were**, as on AWS:
  moto rolled back by putting deep copies of the tables in their place, so every shard iterator
  already handed out (a stream poller's) kept reading the old tables' streams, which no write
  reached again, and the records of the transaction's writes made before the failing one stayed
  in those streams. Now the tables stay the same objects, their state taken back from the copies,
  and their streams lose the records of the cancelled writes.
- **Lambda's GetAccountSettings is answered** (moto 5.2.5 has no route for it: a 404): the
  account's concurrency quota, AWS's default of 1,000 (or ``MOTO_LAMBDA_CONCURRENCY_QUOTA``, the
  quota moto enforces when set), and what the functions' reservations leave of it. CI's deploy
  asks for it first (``scripts/ci/concurrency.py``).

Checked with every create the stack's deploy makes, twice in a row (tests/localcloud/
emulator/test_moto_app.py): the others either refuse the copy already (IAM roles, tables, log
groups, functions, subnets, security groups and their rules, routes, aliases, web ACLs, stages),
store one thing under one key (policy attachments, role policies, route table associations, methods,
integrations, gateway responses, alarms, topics), or are deduplicated by their idempotency token
(``localcloud.emulator.moto_app.IdempotencyTokens``).
"""

from __future__ import annotations

import json
import os

from moto.apigateway.exceptions import ConflictException
from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.responses import LambdaResponse
from moto.core.utils import iso_8601_datetime_with_nanoseconds
from moto.dynamodb.models import dynamodb_backends
from moto.ses.utils import get_arn
from moto.sqs.models import sqs_backends


class StatementIdConflict(LambdaClientError):
    """Lambda's answer to AddPermission with a statement id the policy already holds."""

    code = 409

    def __init__(self, sid: str):
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement "
            "id, or remove the existing statement.",
        )


def add_permission_once(original):
    """moto's ``LambdaBackend.add_permission``: a statement id already there is a 409."""

    def add_permission(self, function_name, qualifier, raw):
        sid = json.loads(raw).get("StatementId")
        if sid is not None:
            policy = self.get_function(function_name, qualifier).policy
            if any(statement.get("Sid") == sid for statement in policy.statements):
                raise StatementIdConflict(sid)
        return original(self, function_name, qualifier, raw)

    return add_permission


def create_resource_once(original):
    """moto's ``APIGatewayBackend.create_resource``: a sibling's path is a 409."""

    def create_resource(self, function_id, parent_resource_id, path_part):
        if path_part:
            siblings = self.get_rest_api(function_id).resources.values()
            if any(
                r.parent_id == parent_resource_id and r.path_part == path_part for r in siblings
            ):
                raise ConflictException(
                    f"Another resource with the same parent already has this name: {path_part}"
                )
        return original(self, function_id, parent_resource_id, path_part)

    return create_resource


def touching_last_modified(original):
    """moto's update of a function: its LastModified moves."""

    def update(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        self.last_modified = iso_8601_datetime_with_nanoseconds()
        return result

    return update


def mapping_kept_only(original):
    """moto's ``create_event_source_mapping``: the mapping kept, not run by moto."""

    def create_event_source_mapping(self, spec):
        mapping = original(self, spec)
        for owner in _mapped_sources(self):
            registered = getattr(owner, "lambda_event_source_mappings", {})
            if registered.get(mapping.function_arn) is mapping:
                del registered[mapping.function_arn]
        return mapping

    return create_event_source_mapping


def _mapped_sources(backend):
    """The queues and tables of ``backend``'s account and region (where moto registers a
    mapping to run it)."""
    yield from sqs_backends[backend.account_id][backend.region_name].queues.values()
    yield from dynamodb_backends[backend.account_id][backend.region_name].tables.values()


def tagging_identity_arn(original):
    """moto's ``create_email_identity``: the tags kept under the identity's ARN."""

    def create_email_identity(self, email_identity, tags, *args, **kwargs):
        result = original(self, email_identity, tags, *args, **kwargs)
        if tags:
            arn = get_arn(self, "ses", f"identity/{email_identity}")
            self.core_backend.tagger.tag_resource(arn=arn, tags=tags)
        return result

    return create_email_identity


def compact_redrive_policy(original: property) -> property:
    """moto's ``Queue.attributes``: the redrive policy compact, as SQS writes it."""

    def attributes(self):
        result = original.fget(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    return property(attributes)


def rollback_in_place(original):
    """moto's ``transact_write_items``: a cancelled one leaves tables and streams."""

    def transact_write_items(self, transact_items):
        live = dict(self.tables)
        try:
            return original(self, transact_items)
        except Exception:
            for name, table in live.items():
                copy = self.tables.get(name)
                if copy is not None and copy is not table:
                    _take_back(table, copy)
                    self.tables[name] = table
            raise

    return transact_write_items


def _take_back(table, copy) -> None:
    """``table`` given ``copy``'s state (from before the transaction), keeping its own stream
    shard, the object the iterators read, cut back to the copy's records."""
    shard = table.stream_shard
    kept = copy.stream_shard
    vars(table).update(vars(copy))
    if shard is not None and kept is not None:
        del shard.items[len(kept.items) :]
        table.stream_shard = shard


ACCOUNT_SETTINGS_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
DEFAULT_CONCURRENCY_QUOTA = 1000
"""Lambda's default concurrent executions per account and region (Lambda quotas)."""


def get_account_settings(self):
    """``GetAccountSettings``: the quota and what the functions' reservations leave of it."""
    quota = int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA", DEFAULT_CONCURRENCY_QUOTA))
    reserved = sum(int(f.reserved_concurrency or 0) for f in self.backend.list_functions())
    limit = {
        "TotalCodeSize": 80530636800,
        "CodeSizeUnzipped": 262144000,
        "CodeSizeZipped": 52428800,
        "ConcurrentExecutions": quota,
        "UnreservedConcurrentExecutions": quota - reserved,
    }
    usage = {"TotalCodeSize": 0, "FunctionCount": len(list(self.backend.list_functions()))}
    return 200, {}, json.dumps({"AccountLimit": limit, "AccountUsage": usage})


def answer_account_settings():
    """Lambda's ``GetAccountSettings`` (moto has none), routed to its path."""
    lambda_urls.url_paths.setdefault(ACCOUNT_SETTINGS_PATH, LambdaResponse.dispatch)
    return get_account_settings
