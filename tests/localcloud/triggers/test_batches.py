"""How a poller reads a batch's outcome from the function's answer, as Lambda does: a failed
invocation fails all of it; with ReportBatchItemFailures, the items named fail, and an answer
naming an item not in the batch fails all of it; without, any answer is a success."""

from __future__ import annotations

from localcloud.lambdas.invoke_errors import InvokeFailed, InvokeTimeout
from localcloud.triggers.batches import BatchPoller
from localcloud.triggers.sources import Mapping


class Answers:
    """An invoker whose function answers ``answer`` (raises it, when it is an exception)."""

    def __init__(self, answer):
        self.answer = answer
        self.events = []

    def invoke(self, name: str, event: dict) -> object:
        self.events.append((name, event))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class MessagePoller(BatchPoller):
    """A poller of messages (as the log names them)."""

    ITEM = "message"


def outcome(answer, *, report: bool) -> tuple[object, dict, Answers]:
    """Which part failed (``"none"``, ``"every"`` or the ids named), the log line, the invoker."""
    mapping = Mapping("u-1", "fn", "arn:aws:sqs:eu-west-1:123456789012:q", 10, 0.0, report)
    invoker = Answers(answer)
    poller = MessagePoller(mapping, None, invoker, region="eu-west-1", log=print)
    line: dict = {}

    def named(result):
        failures = result.get("batchItemFailures", [])
        ids = [f["itemIdentifier"] for f in failures]
        return None if "stranger" in ids else ids

    found = poller.outcome({"Records": []}, line, named=named, none="none", every="every")
    return found, line, invoker


def test_a_failed_invocation_fails_the_whole_batch_and_says_why():
    assert outcome(InvokeFailed("boom"), report=True)[:2] == ("every", {"error": "boom"})
    assert outcome(InvokeTimeout(), report=False)[:2] == ("every", {"error": "InvokeTimeout"})


def test_without_reporting_any_answer_is_a_success():
    answer = {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    found, line, invoker = outcome(answer, report=False)
    assert (found, line) == ("none", {})
    assert invoker.events == [("fn", {"Records": []})]


def test_with_reporting_the_named_items_fail():
    answer = {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert outcome(answer, report=True)[:2] == (["m-1"], {})


def test_an_answer_naming_an_item_not_in_the_batch_fails_all_of_it():
    answer = {"batchItemFailures": [{"itemIdentifier": "stranger"}]}
    assert outcome(answer, report=True)[:2] == (
        "every",
        {"error": "batchItemFailures names a message not in the batch"},
    )
