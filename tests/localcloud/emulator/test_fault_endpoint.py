"""Fault injection in the emulator: rules checked against botocore's models, errors sent in the
operation's own wire shape (so any SDK raises its own exception), latency, counts and rates,
each injection logged; and ``python -m localcloud faults``."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.base import aws as localcloud_aws
from localcloud.emulator.fault_endpoint import MARK, PATH, TAG, Faults
from localcloud.emulator.fault_rule import Rule, RuleError
from localcloud.emulator.fault_rules import FaultRules, Generation
from localcloud.tools.cli import main
from localcloud.tools.fault_commands import RuleRefused, latency_ms
from tests.localcloud.conftest import REGION

TAG_ENV = TAG.upper().replace("-", "_")
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def dynamodb(emulator):
    """A DynamoDB client of the session emulator that never retries, and a table."""
    client = localcloud_aws.session(REGION).client(
        "dynamodb", endpoint_url=emulator.url, config=NO_RETRIES
    )
    name = f"faults-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client, name


def _put(name: str, key: str) -> dict:
    return {"Put": {"TableName": name, "Item": {"id": {"S": key}}}}


def test_a_transaction_conflict_is_dynamodbs_cancellation_and_writes_nothing(dynamodb, faults):
    client, name = dynamodb
    faults.add("dynamodb", "TransactWriteItems", error="TransactionConflict", count=1)
    with pytest.raises(client.exceptions.TransactionCanceledException) as caught:
        client.transact_write_items(TransactItems=[_put(name, "a"), _put(name, "b")])
    reasons = caught.value.response["CancellationReasons"]
    assert len(reasons) == 2
    assert sorted(reason["Code"] for reason in reasons) == ["None", "TransactionConflict"]
    assert "Item" not in client.get_item(TableName=name, Key={"id": {"S": "a"}})
    # count 1: the next call goes through, and the rule says it hit once.
    client.transact_write_items(TransactItems=[_put(name, "a")])
    assert [rule["hits"] for rule in faults.rules()] == [1]


@pytest.mark.parametrize(
    ("error", "status"),
    [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)],
)
def test_an_operations_own_error_comes_with_its_status(dynamodb, faults, error, status):
    client, name = dynamodb
    faults.add("dynamodb", "PutItem", error=error)
    with pytest.raises(ClientError) as caught:
        client.put_item(TableName=name, Item={"id": {"S": "throttled"}})
    assert caught.value.response["Error"]["Code"] == error
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    faults.clear()
    assert "Item" not in client.get_item(TableName=name, Key={"id": {"S": "throttled"}})


def test_a_query_protocol_error_is_xml_with_its_code_and_status(emulator, faults):
    sns = localcloud_aws.session(REGION).client("sns", endpoint_url=emulator.url, config=NO_RETRIES)
    # By its shape's name, or by its code on the wire.
    faults.add("sns", "ListTopics", error="InternalErrorException", count=1)
    faults.add("sns", "ListTopics", error="AuthorizationError", count=1)
    with pytest.raises(ClientError) as caught:
        sns.list_topics()
    assert caught.value.response["Error"]["Code"] == "InternalError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(sns.exceptions.AuthorizationErrorException) as caught:
        sns.list_topics()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "Topics" in sns.list_topics()


def test_latency_delays_the_call_it_is_added_to_only(dynamodb, faults):
    client, name = dynamodb
    faults.add("dynamodb", "GetItem", latency_ms=1500, count=1)
    done = threading.Event()

    def slow_read():
        client.get_item(TableName=name, Key={"id": {"S": "a"}})
        done.set()

    reader = threading.Thread(target=slow_read)
    started = time.monotonic()
    reader.start()
    # Wait until the slow call is being delayed (its hit counted) before the other one goes.
    deadline = time.monotonic() + 30
    while faults.rules()[0]["hits"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    client.describe_table(TableName=name)
    assert not done.is_set()  # the lock is not held during the latency: describe got through
    reader.join(timeout=60)
    assert done.is_set()
    assert time.monotonic() - started >= 1.5


def test_latency_on_a_pools_published_keys(emulator, faults):
    faults.add("cognito-idp", "JWKS", latency_ms=1, count=1)
    with pytest.raises(RuleRefused, match="latency, not an error"):
        faults.add("cognito-idp", "JWKS", error="InternalErrorException")
    url = f"{emulator.url}/us-east-1_chaos/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert "keys" in json.loads(response.read())
    assert [rule["hits"] for rule in faults.rules()] == [1]


def test_rate_picks_that_share_of_the_calls():
    rules = FaultRules(random.Random(7))
    rules.add(
        Rule.parse(
            {
                "service": "dynamodb",
                "operation": "GetItem",
                "error": "InternalServerError",
                "rate": 0.25,
            }
        )
    )
    request = {"target": "DynamoDB_20120810.GetItem"}
    hits = sum(rules.hit(request) is not None for _ in range(2000))
    assert 400 < hits < 600
    assert rules.hit({"target": "DynamoDB_20120810.PutItem"}) is None


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"service": "dynamo", "operation": "GetItem", "error": "InternalServerError"}, "'dynamo'"),
        ({"service": "dynamodb", "operation": "Get", "error": "InternalServerError"}, "'Get'"),
        ({"service": "dynamodb", "operation": "GetItem", "error": "NoSuchKey"}, "'NoSuchKey'"),
        # A conflict cancels transactions only.
        (
            {"service": "dynamodb", "operation": "GetItem", "error": "TransactionConflict"},
            "'TransactionConflict'",
        ),
        ({"service": "lambda", "operation": "Invoke", "error": "ServiceException"}, "rest-json"),
        ({"service": "dynamodb", "operation": "GetItem"}, "an error, a latency"),
        ({"service": "dynamodb", "operation": "GetItem", "latency_ms": -1}, "latency_ms"),
        ({"service": "dynamodb", "operation": "GetItem", "latency_ms": 5, "rate": 2}, "rate"),
        ({"service": "dynamodb", "operation": "GetItem", "latency_ms": 5, "count": 0}, "count"),
        ({"service": "dynamodb", "operation": "GetItem", "latency_ms": 5, "when": 1}, "'when'"),
        ({"service": "", "operation": "GetItem", "latency_ms": 5}, "service"),
        (["dynamodb"], "JSON object"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_bad_part(faults, rule, named):
    with pytest.raises(RuleError, match=named):
        Rule.parse(rule)
    with pytest.raises(RuleRefused, match=named):
        faults._call("POST", rule)  # pylint: disable=protected-access  # the wire, unchanged
    assert faults.rules() == []


def test_the_control_endpoint_refuses_what_it_does_not_know():
    app = Faults(lambda *_: [b"moto"], stream=io.StringIO())
    seen = []

    def start(status, headers):
        seen.append(status)

    body = app({"PATH_INFO": PATH, "REQUEST_METHOD": "PUT"}, start)
    assert seen[-1].startswith("405")
    body = app(
        {
            "PATH_INFO": PATH,
            "REQUEST_METHOD": "POST",
            "wsgi.input": io.BytesIO(b"{nope"),
            "CONTENT_LENGTH": "5",
        },
        start,
    )
    assert seen[-1].startswith("400")
    assert json.loads(b"".join(body)) == {"error": "the rule is not JSON"}


def test_each_injected_fault_is_logged_with_its_rule():
    log = io.StringIO()
    app = Faults(lambda environ, start: start("200 OK", []) or [b"moto"], stream=log)
    app.rules.add(
        Rule.parse({"service": "dynamodb", "operation": "PutItem", "error": "ThrottlingException"})
    )
    statuses = []
    app({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}, lambda s, h: statuses.append(s))
    app({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem"}, lambda s, h: statuses.append(s))
    assert statuses == ["400 Injected", "200 OK"]
    assert log.getvalue().splitlines() == [
        "fault injected: #1 dynamodb:PutItem error ThrottlingException (400) rate 1"
    ]


def test_the_generation_file_changes_with_every_change_of_the_rules(tmp_path):
    rules = FaultRules(random.Random(1), Generation(tmp_path / "generation"))
    seen = [(tmp_path / "generation").read_text()]

    def changed() -> bool:
        listed = rules.listed()
        assert listed["generationFile"] == str(tmp_path / "generation")
        assert listed["generation"] == (tmp_path / "generation").read_text()
        seen.append(listed["generation"])
        return seen[-1] != seen[-2]

    rules.add(Rule.parse({"service": "lambda", "operation": "app", "fault": "crash", "count": 2}))
    assert changed()
    assert rules.hit({"function": "app"}) is not None
    assert not changed()  # a hit that leaves the rule live changes nothing the gateway keeps
    assert rules.hit({"function": "app"}) is not None
    assert changed()  # used up
    assert rules.hit({"function": "app"}) is None
    assert not changed()
    rules.clear()
    assert changed()
    assert len(set(seen)) == 4


def test_the_generation_file_goes_with_the_emulator(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from localcloud.emulator.fault_rules import Generation; print(Generation().path)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip().endswith(".generation")
    assert not Path(done.stdout.strip()).exists()


def test_a_call_tagged_with_an_at_rule_is_served_then_marked_when_the_rule_fires():
    log = io.StringIO()
    served = []

    def moto(environ, start):
        served.append(environ["HTTP_X_AMZ_TARGET"])
        start("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [b"{}"]

    app = Faults(moto, stream=log)
    app.rules.add(Rule.parse({"service": "lambda", "operation": "app", "fault": "hang"}))
    app.rules.add(
        Rule.parse(
            {
                "service": "lambda",
                "operation": "app",
                "fault": "crash",
                "at": "dynamodb:PutItem",
                "count": 1,
            }
        )
    )
    answers = []
    for tag in ("1", "2", "2"):  # #1 has no ``at``: a tag never fires it
        environ = {"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem", "HTTP_" + TAG_ENV: tag}
        app(environ, lambda status, headers, exc_info=None: answers.append(dict(headers)))
    assert served == ["DynamoDB_20120810.PutItem"] * 3  # served whether it fires or not
    assert [answer.get(MARK) for answer in answers] == [None, "2", None]  # count 1
    assert log.getvalue().splitlines() == [
        "fault injected: #2 lambda:app fault crash at dynamodb:PutItem rate 1 count 1"
    ]


@pytest.fixture
def project(tmp_path, emulator, faults):
    """A project whose ready.json names the session emulator."""
    (tmp_path / ".localcloud").mkdir()
    (tmp_path / ".localcloud" / "ready.json").write_text(json.dumps({"emulatorUrl": emulator.url}))
    return tmp_path


def test_the_command_line_adds_lists_and_clears(project, capsys):
    where = ["--project-dir", str(project)]
    assert (
        main(
            [
                "faults",
                "add",
                "dynamodb:TransactWriteItems",
                "--error",
                "TransactionConflict",
                "--rate",
                "0.2",
                *where,
            ]
        )
        == 0
    )
    assert (
        main(["faults", "add", "dynamodb:GetItem", "--latency", "300ms", "--count", "3", *where])
        == 0
    )
    capsys.readouterr()
    assert main(["faults", "list", "--json", *where]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [
        (r["operation"], r["error"], r["rate"], r["count"], r["latency_ms"], r["hits"])
        for r in listed
    ] == [
        ("TransactWriteItems", "TransactionConflict", 0.2, None, 0.0, 0),
        ("GetItem", None, 1.0, 3, 300.0, 0),
    ]
    assert main(["faults", "list", *where]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        f"#{listed[1]['id']} dynamodb:GetItem latency 300 ms rate 1 count 3, hits 0"
    )
    assert main(["faults", "clear", *where]) == 0
    assert capsys.readouterr().out == "cleared 2 fault rule(s)\n"
    assert main(["faults", "list", *where]) == 0
    assert capsys.readouterr().out == "no fault rules\n"


def test_the_command_line_refuses_a_bad_rule_in_one_line(project, capsys, faults):
    """Checked before the emulator is asked: argparse's usage and one line naming the part."""
    argv = ["faults", "add", "dynamodb:GetItem", "--error", "NoSuchBucket"]
    with pytest.raises(SystemExit) as refused:
        main([*argv, "--project-dir", str(project)])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ")
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "argument --error:" in errors[0] and "'NoSuchBucket'" in errors[0]
    assert faults.rules() == []


def test_the_command_line_without_a_running_local_cloud(tmp_path, capsys):
    assert main(["faults", "list", "--project-dir", str(tmp_path)]) == 1
    assert "not running" in capsys.readouterr().err
    (tmp_path / ".localcloud").mkdir()
    (tmp_path / ".localcloud" / "run.json").write_text(
        json.dumps({"emulatorUrl": "http://127.0.0.1:9"})
    )
    assert main(["faults", "clear", "--project-dir", str(tmp_path)]) == 1
    assert "does not answer" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "ms"), [("300ms", 300.0), ("1.5s", 1500.0), ("20", 20.0)])
def test_latency_is_read_with_its_unit(text, ms):
    assert latency_ms(text) == ms


@pytest.mark.parametrize(
    "argv", [["dynamodb", "--latency", "5ms"], ["dynamodb:GetItem", "--latency", "fast"]]
)
def test_malformed_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["faults", "add", *argv])
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err
