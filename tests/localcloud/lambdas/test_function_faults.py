"""Faults of the functions themselves, by rule (``lambda:FUNCTION_NAME --crash|--hang``, ``--at
SERVICE:OPERATION``): the gateway serving the hand-built API learns them from the session
emulator (asking over HTTP only when the function has a rule, whoever changed the rules), the
worker dies mid-request (502) or runs past its function's timeout (504), at its first AWS call or
once the emulator has served the call named, a new worker serves the next request, and every
injected fault is in the gateway's log with its rule."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from localcloud.lambdas.function_faults import function_rules
from localcloud.tools.cli import main
from localcloud.tools.fault_commands import RuleRefused
from tests.chaos.storm import AWS_TEXT


def _get(served, path):
    return requests.get(served.base + path, timeout=30)


def _record(served, response) -> dict:
    request_id = response.headers["x-amzn-RequestId"]
    [record] = [r for r in served.log.records() if r.get("requestId") == request_id]
    return record


def test_a_worker_killed_by_rule_is_a_502_once_then_a_new_worker(served, faults):
    warm = _get(served, "/items/crash").json()["pid"]
    rule = faults.add("lambda", "app", fault="crash", count=1)
    crashed = _get(served, "/items/crash")
    assert crashed.status_code == 502
    assert crashed.json() == {"message": "Internal server error"}
    assert not AWS_TEXT.search(crashed.text)
    record = _record(served, crashed)
    assert record["fault"] == f"#{rule['id']} lambda:app fault crash rate 1 count 1"
    assert "exited with status -9" in record["error"]  # SIGKILL
    after = _get(served, "/items/crash")
    assert after.status_code == 200
    assert after.json()["pid"] != warm
    assert _record(served, after)["start"] == "cold"
    again = _get(served, "/items/crash")  # count 1: once only
    assert again.status_code == 200 and again.json()["pid"] == after.json()["pid"]
    assert [r["hits"] for r in faults.rules()] == [1]


def test_a_crash_strikes_at_the_handlers_first_aws_call(served, faults):
    # /aws lists functions, then asks STS who it is: a rule on STS counts the calls that arrive.
    faults.add("lambda", "app", fault="crash", count=1)
    faults.add("sts", "GetCallerIdentity", latency_ms=1)
    crashed = _get(served, "/echo/aws")
    assert crashed.status_code == 502
    assert "exited with status -9" in _record(served, crashed)["error"]
    assert [r["hits"] for r in faults.rules()] == [1, 0]  # killed at its first call
    assert _get(served, "/echo/aws").status_code == 200
    assert [r["hits"] for r in faults.rules()] == [1, 1]


def test_a_crash_at_a_call_strikes_once_the_emulator_has_served_it(served, faults):
    # /aws lists functions, then asks STS who it is; the STS rule counts the calls that arrive.
    rule = faults.add("lambda", "app", fault="crash", at="sts:GetCallerIdentity", count=1)
    faults.add("sts", "GetCallerIdentity", latency_ms=1)
    assert _get(served, "/items/no-call").status_code == 200  # no such call: no strike
    crashed = _get(served, "/echo/aws")
    assert crashed.status_code == 502
    assert not AWS_TEXT.search(crashed.text)
    record = _record(served, crashed)
    assert record["fault"] == (
        f"#{rule['id']} lambda:app fault crash at sts:GetCallerIdentity rate 1 count 1"
    )
    assert "exited with status -9" in record["error"]
    assert [r["hits"] for r in faults.rules()] == [1, 1]  # the call arrived, then the kill
    after = _get(served, "/echo/aws")  # count 1: once only
    assert after.status_code == 200
    assert "fault" not in _record(served, after)
    assert [r["hits"] for r in faults.rules()] == [1, 2]


def test_a_hang_at_a_call_is_a_504_after_the_call(served, faults):
    faults.add("lambda", "slow", fault="hang", at="sts:GetCallerIdentity")
    assert _get(served, "/slow/sleep?s=0").status_code == 200  # makes no AWS call
    faults.add("lambda", "app", fault="hang", at="sts:GetCallerIdentity", rate=0)
    faults.add("lambda", "app", fault="crash", at="dynamodb:GetItem")
    assert _get(served, "/echo/aws").status_code == 200  # rate 0, and a call it never makes
    assert [r["hits"] for r in faults.rules()] == [0, 0, 0]


def test_an_invocation_asks_the_emulator_only_when_its_function_has_a_rule(
    served, emulator, faults, monkeypatch
):
    rules = function_rules(emulator.url)
    calls = []
    real = rules._call  # pylint: disable=protected-access

    def counted(method, path, data):
        calls.append((method, path.rsplit("/", 1)[-1]))
        return real(method, path, data)

    monkeypatch.setattr(rules, "_call", counted)
    elsewhere = {"operation": "stale", "fault": "crash"}  # another function's rule
    for rule in (elsewhere, {"fault": "crash", "at": "s3:GetObject"}):
        faults.add("lambda", **{"operation": "app", **rule})
        for _ in range(3):
            assert _get(served, "/items/asked").status_code == 200
    assert calls == [("GET", "faults"), ("GET", "faults")]  # once per change, never per call
    faults.add("lambda", "app", fault="crash", rate=0)
    for _ in range(2):
        assert _get(served, "/items/asked").status_code == 200
    assert calls[2:] == [("GET", "faults"), ("POST", "invocations"), ("POST", "invocations")]


def test_a_rule_added_or_cleared_from_another_process_applies_to_the_next_invocation(
    served, project
):
    where = ["--project-dir", str(project)]
    assert _get(served, "/items/before").status_code == 200  # the gateway holds: no rules

    def command(*argv):
        done = subprocess.run(
            [sys.executable, "-m", "localcloud", "faults", *argv, *where],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    command("add", "lambda:app", "--crash", "--at", "sts:GetCallerIdentity")
    assert _get(served, "/echo/aws").status_code == 502
    assert _get(served, "/echo/aws").status_code == 502  # no count: every time
    command("clear")
    assert _get(served, "/echo/aws").status_code == 200
    command("add", "lambda:app", "--crash", "--count", "1")
    assert _get(served, "/items/used-up").status_code == 502
    assert _get(served, "/items/used-up").status_code == 200


def test_a_handler_held_past_its_timeout_by_rule_is_a_504_and_its_worker_replaced(served, faults):
    warm = _get(served, "/slow/sleep?s=0").json()["pid"]
    rule = faults.add("lambda", "slow", fault="hang", count=1)
    started = time.monotonic()
    hung = _get(served, "/slow/sleep?s=0")
    assert time.monotonic() - started >= 0.9  # the function's 1 s timeout
    assert hung.status_code == 504
    assert hung.json() == {"message": "Endpoint request timed out"}
    assert _record(served, hung)["fault"] == f"#{rule['id']} lambda:slow fault hang rate 1 count 1"
    after = _get(served, "/slow/sleep?s=0")
    assert after.status_code == 200
    assert after.json()["pid"] != warm
    assert _record(served, after)["start"] == "cold"


def test_a_rule_on_another_function_or_at_rate_0_leaves_the_invocation_alone(served, faults):
    faults.add("lambda", "stale", fault="crash")
    faults.add("lambda", "app", fault="hang", rate=0)
    response = _get(served, "/items/spared")
    assert response.status_code == 200
    assert "fault" not in _record(served, response)
    assert [r["hits"] for r in faults.rules()] == [0, 0]


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"service": "lambda", "operation": "app"}, "needs a fault"),
        ({"service": "lambda", "operation": "app", "fault": "explode"}, "'explode'"),
        ({"service": "lambda", "operation": "a/b", "fault": "crash"}, "not a function name"),
        ({"service": "lambda", "operation": "nowhere", "fault": "crash"}, "'nowhere' is deployed"),
        ({"service": "lambda", "operation": "app", "fault": "hang", "latency_ms": 5}, "rest-json"),
        ({"service": "dynamodb", "operation": "GetItem", "fault": "crash"}, "function's"),
        ({"service": "dynamodb", "operation": "GetItem", "at": "sts:GetCallerIdentity"}, "at 'sts"),
        ({"service": "lambda", "operation": "app", "fault": "crash", "at": "nope:X"}, "'nope'"),
        ({"service": "lambda", "operation": "app", "fault": "crash", "at": "sts:X"}, "'X'"),
        ({"service": "lambda", "operation": "app", "fault": "crash", "at": 3}, "SERVICE:OPER"),
    ],
)
def test_a_bad_function_rule_is_refused_naming_the_bad_part(faults, rule, named):
    with pytest.raises(RuleRefused, match=named):
        faults._call("POST", rule)  # pylint: disable=protected-access  # the wire, unchanged
    assert faults.rules() == []


@pytest.fixture
def project(tmp_path, emulator, faults):
    """A project whose ready.json names the session emulator."""
    (tmp_path / ".localcloud").mkdir()
    (tmp_path / ".localcloud" / "ready.json").write_text(json.dumps({"emulatorUrl": emulator.url}))
    return tmp_path


def test_the_command_line_adds_lists_and_clears_function_faults(project, capsys, served):
    where = ["--project-dir", str(project)]
    assert main(["faults", "add", "lambda:app", "--crash", "--count", "1", *where]) == 0
    assert main(["faults", "add", "lambda:slow", "--hang", "--rate", "0", *where]) == 0
    assert _get(served, "/items/listed").status_code == 502
    capsys.readouterr()
    assert main(["faults", "list", "--json", *where]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["service"], r["operation"], r["fault"], r["hits"]) for r in listed] == [
        ("lambda", "app", "crash", 1),
        ("lambda", "slow", "hang", 0),
    ]
    assert main(["faults", "list", *where]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"#{listed[0]['id']} lambda:app fault crash rate 1 count 1, hits 1"
    )
    assert main(["faults", "add", "lambda:app", "--crash", *where]) == 0
    assert main(["faults", "clear", *where]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "cleared 3 fault rule(s)"
    assert _get(served, "/items/cleared").status_code == 200


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["lambda:app"], "needs a fault"),
        (["lambda:app", "--crash", "--error", "ServiceException"], "rest-json"),
        (["lambda:app", "--hang", "--latency", "1s"], "rest-json"),
        (["lambda:app", "--crash", "--hang"], "not allowed with"),
        (["dynamodb:GetItem", "--crash"], "argument --crash"),
        (["lambda:app/1", "--hang"], "not a function name"),
        (["lambda:app", "--crash", "--at", "dynamo:GetItem"], "unknown service 'dynamo'"),
        (["lambda:app", "--crash", "--at", "dynamodb:Nope"], "no operation 'Nope'"),
        (["lambda:app", "--crash", "--at", "TransactWriteItems"], "not SERVICE:OPERATION"),
        (["lambda:app", "--at", "dynamodb:GetItem"], "needs a fault"),
        (["dynamodb:GetItem", "--latency", "1s", "--at", "dynamodb:GetItem"], "argument --at"),
    ],
)
def test_the_command_line_refuses_a_bad_function_rule_in_one_line(
    project, capsys, faults, argv, named
):
    with pytest.raises(SystemExit) as refused:
        main(["faults", "add", *argv, "--project-dir", str(project)])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ")
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and named in errors[0]
    assert faults.rules() == []
