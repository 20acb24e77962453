"""localcloud/deploy/deployer.py: how the deploy runs ``cdktf deploy`` and what it keeps of it,
with a stand-in cdktf that prints what Terraform's JSON UI says through cdktf."""

import json
import os
import sys

from localcloud.base.run_files import RunFiles
from localcloud.deploy.deployer import Deployer

STAND_IN = r"""
import json, os, sys
from pathlib import Path
Path("cdktf-env.json").write_text(json.dumps({"apply": os.environ.get("TF_CLI_ARGS_apply")}))
stack = sys.argv[2]
for line in (
    "Initializing the backend...",
    "Terraform has been successfully initialized!",
    "aws_sqs_queue.events_dlq_85F29F83 (events/dlq): Plan to create",
    "aws_lambda_function.fn_1A2B3C4D (fn): Plan to replace",
    "Plan: 2 to add, 0 to change, 1 to destroy.",
    "aws_sqs_queue.events_dlq_85F29F83 (events/dlq): Creating...",
    "aws_sqs_queue.events_dlq_85F29F83 (events/dlq): Still creating... [10s elapsed]",
    "aws_sqs_queue.events_dlq_85F29F83 (events/dlq): Creation complete after 25s [id=q]",
    "Apply complete! Resources: 2 added, 0 changed, 1 destroyed.",
):
    print(f"{stack}  {line}", flush=True)
"""


def _deployed(tmp_path):
    script = tmp_path / "cdktf.py"
    script.write_text(STAND_IN, encoding="utf-8")
    files = RunFiles(tmp_path)
    files.work.mkdir()
    deployer = Deployer(tmp_path, "ecommerce-local", [sys.executable, str(script)], files)
    return deployer.deploy({"PATH": os.environ["PATH"]}, echo=None), files


def test_the_apply_speaks_json_and_the_plan_and_resources_are_read_from_it(tmp_path):
    outcome, _ = _deployed(tmp_path)
    assert outcome.status == 0
    assert json.loads((tmp_path / "cdktf-env.json").read_text()) == {"apply": "-json"}
    progress = outcome.progress
    assert progress.total == 3
    assert set(progress.marks) == {"synth", "init", "plan", "apply"}
    assert progress.changes() == (
        "Plan: 2 to add, 0 to change, 1 to destroy: "
        "aws_sqs_queue.events_dlq_85F29F83 created, aws_lambda_function.fn_1A2B3C4D replaced"
    )
    assert list(progress.durations) == ["aws_sqs_queue.events_dlq_85F29F83"]


def test_the_deploy_keeps_its_stamped_lines_for_the_critical_path(tmp_path):
    _, files = _deployed(tmp_path)
    stamped = files.deploy_times.read_text(encoding="utf-8").splitlines()
    assert len(stamped) == 9
    seconds, _, line = stamped[-1].partition("\t")
    assert float(seconds) >= 0
    assert line == "ecommerce-local  Apply complete! Resources: 2 added, 0 changed, 1 destroyed."


def test_a_deploy_stuck_on_a_resource_names_its_type_with_cdktfs_construct_path(tmp_path):
    outcome, _ = _deployed(tmp_path)
    outcome.stuck_on = "ListTagsForResource"
    deployer = Deployer(tmp_path, "ecommerce-local", ["cdktf"], RunFiles(tmp_path))
    message = str(deployer.failure(outcome))
    assert "ListTagsForResource action" in message
    assert "for aws_sqs_queue (see" in message
