"""bench/deploy_path.py: the critical path and the floor of a small hand-written deploy."""

import json

from bench.deploy_path import dependencies, main, read_stamped, replay, report

STACK = {
    "data": {
        "aws_iam_policy_document": {
            "doc": {"statement": [{"resources": ["${aws_sqs_queue.queue_CCCCCCCC.arn}"]}]}
        }
    },
    "resource": {
        "aws_kms_key": {"key_AAAAAAAA": {"description": "the key"}},
        "aws_sqs_queue": {
            "dlq_BBBBBBBB": {"kms_master_key_id": "${aws_kms_key.key_AAAAAAAA.arn}"},
            "queue_CCCCCCCC": {
                "redrive_policy": "${jsonencode({dlq = aws_sqs_queue.dlq_BBBBBBBB.arn})}"
            },
        },
        "aws_sqs_queue_policy": {
            "policy_DDDDDDDD": {
                "queue_url": "${aws_sqs_queue.queue_CCCCCCCC.url}",
                "policy": "${data.aws_iam_policy_document.doc.json}",
            }
        },
        "aws_lambda_function": {"fn_EEEEEEEE": {"depends_on": ["aws_kms_key.key_AAAAAAAA"]}},
    },
}
P = "ecommerce-local  "
LOG = f"""0.000\tcdktf starts
1.000\t{P}Initializing the backend...
2.000\t{P}Terraform has been successfully initialized!
10.000\t{P}Terraform will perform the following actions:
10.500\t{P}aws_kms_key.key_AAAAAAAA: Creating...
24.500\t{P}aws_kms_key.key_AAAAAAAA: Creation complete after 14s [id=k]
24.600\t{P}aws_sqs_queue.dlq_BBBBBBBB: Creating...
24.600\t{P}aws_lambda_function.fn_EEEEEEEE: Creating...
39.600\t{P}aws_lambda_function.fn_EEEEEEEE: Creation complete after 15s [id=f]
50.600\t{P}aws_sqs_queue.dlq_BBBBBBBB: Creation complete after 26s [id=d]
50.700\t{P}aws_sqs_queue.queue_CCCCCCCC: Creating...
76.700\t{P}aws_sqs_queue.queue_CCCCCCCC: Creation complete after 26s [id=q]
76.800\t{P}aws_sqs_queue_policy.policy_DDDDDDDD: Creating...
101.800\t{P}aws_sqs_queue_policy.policy_DDDDDDDD: Creation complete after 25s [id=p]
102.000\t{P}Apply complete! Resources: 5 added, 0 changed, 0 destroyed.
not a stamped line
104.000\t{P}outputs written
"""


def test_a_data_source_passes_its_references_on_and_depends_on_counts():
    deps = dependencies(STACK)
    assert deps["aws_sqs_queue_policy.policy"] == {"aws_sqs_queue.queue"}
    assert deps["aws_sqs_queue.queue"] == {"aws_sqs_queue.dlq"}
    assert deps["aws_lambda_function.fn"] == {"aws_kms_key.key"}
    assert deps["aws_kms_key.key"] == set()


def test_the_critical_path_the_gating_chain_and_the_floor():
    result = report(replay(read_stamped(LOG)), STACK)
    chain = ["aws_kms_key.key", "aws_sqs_queue.dlq", "aws_sqs_queue.queue"]
    chain.append("aws_sqs_queue_policy.policy")
    assert [link[0] for link in result["critical_path"]] == chain
    assert result["critical_s"] == 91.0  # 14 + 26 + 26 + 25
    assert [link[0] for link in result["gating_chain"]] == chain
    assert result["phases"] == {
        "synth": 1.0,
        "init": 1.0,
        "plan": 8.0,
        "apply": 92.0,
        "outputs": 2.0,
    }
    # The provider's own waits on that chain: KMS 12, then three times SQS's 25.
    assert result["apply_floor_s"] == 87.0
    assert result["around_apply_s"] == 12.0
    assert result["floor_s"] == 99.0


def test_the_command_prints_the_floor(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("bench.command.write_json", lambda name, data: None)
    log, stack = tmp_path / "deploy-times.log", tmp_path / "cdk.tf.json"
    log.write_text(LOG, encoding="utf-8")
    stack.write_text(json.dumps(STACK), encoding="utf-8")
    assert main(["--log", str(log), "--stack", str(stack)]) == 0
    out = capsys.readouterr().out
    assert "floor 99.0 s" in out
    assert "aws_kms_key.key 12 s -> aws_sqs_queue.dlq 25 s" in out
