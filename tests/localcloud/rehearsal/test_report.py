"""What a rehearsal says: a step's line, the --json object, the calls log and who made them."""

import json

from localcloud.rehearsal.report import Step, as_json, made_by, read_calls, verdict, write_calls

ROLE = "arn:aws:iam::123456789012:role/ecommerce-ci-dev-deploy"
SESSION = "arn:aws:sts::123456789012:assumed-role/ecommerce-ci-dev-deploy/deploy-rehearsal"
ESM = "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:5e1c"


def call(action, allowed, principal=SESSION, resource=ESM):
    return {
        "time": 1.0,
        "principal": principal,
        "action": action,
        "resource": resource,
        "allowed": allowed,
    }


def test_a_denied_call_fails_the_step_and_is_named_once():
    step = Step(
        "deploy dev", "ecommerce-ci-dev-deploy", ok=False, seconds=61.25, detail="boom\n  x"
    )
    step.calls = [
        call("lambda:TagResource", False),
        call("lambda:GetFunction", True),
        call("lambda:TagResource", False),
    ]
    assert step.denied == [{"action": "lambda:TagResource", "resource": ESM}]
    assert step.line() == (
        "FAILED deploy dev as ecommerce-ci-dev-deploy (61.2 s): boom x\n"
        f"         denied lambda:TagResource on {ESM}"
    )
    assert step.as_json() == {
        "name": "deploy dev",
        "role": "ecommerce-ci-dev-deploy",
        "ok": False,
        "seconds": 61.2,
        "denied": [{"action": "lambda:TagResource", "resource": ESM}],
    }


def test_an_ok_step_with_a_denial_is_not_passed():
    step = Step(
        "diff dev",
        "ecommerce-ci-dev-plan",
        ok=True,
        seconds=3,
        calls=[call("lambda:ListTags", False)],
    )
    assert not step.passed
    assert step.line().startswith("FAILED diff dev as ecommerce-ci-dev-plan (3.0 s)\n")


def test_json_and_verdict():
    steps = [
        Step("synth", "localcloud-administrator", ok=True, seconds=60),
        Step("deploy dev", "r", ok=False, seconds=5),
    ]
    assert json.loads(as_json(steps))["steps"][0] == {
        "name": "synth",
        "role": "localcloud-administrator",
        "ok": True,
        "seconds": 60,
        "denied": [],
    }
    assert (
        verdict(steps, "calls.txt")
        == "rehearsal FAILED at deploy dev in 65 s; every call: calls.txt"
    )
    assert verdict(steps[:1], "c") == "rehearsal passed: 1 steps in 60 s; every call: c"


def test_reads_complete_lines_from_an_offset(tmp_path):
    log = tmp_path / "calls.jsonl"
    first = json.dumps(call("a:B", True)) + "\n"
    log.write_text(first + '{"half": ', encoding="utf-8")
    calls, offset = read_calls(log, 0)
    assert (calls, offset) == ([call("a:B", True)], len(first))
    assert read_calls(log, offset) == ([], offset)
    assert read_calls(tmp_path / "none", 0) == ([], 0)


def test_a_roles_sessions_count_as_the_role():
    admin = "arn:aws:iam::123456789012:user/localcloud-administrator"
    calls = [
        call("a:B", True),
        call("c:D", True, principal=admin),
        call("e:F", True, principal=SESSION.replace("deploy", "plan")),
    ]
    assert [c["action"] for c in made_by(calls, (ROLE,))] == ["a:B"]
    assert [c["action"] for c in made_by(calls, (admin,))] == ["c:D"]


def test_writes_every_call_by_step(tmp_path):
    steps = [Step("deploy dev", "r", calls=[call("a:B", True), call("c:D", False)])]
    write_calls(tmp_path / "calls.txt", steps)
    assert (tmp_path / "calls.txt").read_text(encoding="utf-8") == (
        f"# deploy dev as r: 2 calls\nallowed a:B {ESM}\nDENIED  c:D {ESM}\n"
    )
