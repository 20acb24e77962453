"""The synth's fingerprint: what feeds it, and the record of what it last wrote."""

import os
from pathlib import Path

import pytest

from localcloud.deploy.synth import SynthRecord, inputs_fingerprint, main, output_fingerprint


@pytest.fixture
def project(tmp_path) -> Path:
    """A project with every kind of input the synth reads."""
    root = tmp_path / "project"
    for name, text in {
        "main.py": "app",
        "cdktf.json": "{}",
        "Pipfile.lock": "{}",
        "package-lock.json": "{}",
        "stacks/base/config.py": "A = 1",
        "handlers/products.py": "B = 1",
        "handlers/store/spec/table_schemas.py": "C = 1",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    "change",
    [
        "main.py",
        "cdktf.json",
        "Pipfile.lock",
        "package-lock.json",
        "stacks/base/config.py",
        "handlers/store/spec/table_schemas.py",
        "stacks/new_construct.py",
    ],
)
def test_every_input_changes_the_fingerprint(project, change):
    before = inputs_fingerprint(project, {})
    (project / change).write_text("changed")
    assert inputs_fingerprint(project, {}) != before


def test_variables_and_the_projects_path_count_caches_do_not(project, tmp_path):
    before = inputs_fingerprint(project, {"HOME": "/a", "ECOMMERCE_REGION": "us-east-1"})
    assert inputs_fingerprint(project, {"HOME": "/b", "ECOMMERCE_REGION": "us-east-1"}) == before
    assert inputs_fingerprint(project, {"ECOMMERCE_REGION": "eu-west-1"}) != before
    (project / "handlers" / "__pycache__").mkdir()
    (project / "handlers" / "__pycache__" / "products.cpython-311.pyc").write_bytes(b"x")
    (project / "stacks" / "config.pyc").write_bytes(b"x")
    assert inputs_fingerprint(project, {"ECOMMERCE_REGION": "us-east-1"}) == before
    moved = tmp_path / "moved"
    project.rename(moved)
    assert inputs_fingerprint(moved, {"ECOMMERCE_REGION": "us-east-1"}) != before


def test_record_is_current_only_for_the_same_inputs_and_output(project, tmp_path):
    stack = tmp_path / "cdktf.out" / "stacks" / "s"
    record = SynthRecord(tmp_path / ".localcloud" / "synth.json")
    inputs = inputs_fingerprint(project, {})
    assert not record.current(inputs, stack)  # nothing recorded
    assert output_fingerprint(stack) is None
    (stack / "assets").mkdir(parents=True)
    (stack / "cdk.tf.json").write_text("{}")
    (stack / "assets" / "code.zip").write_bytes(b"zip")
    record.save(inputs, stack)
    assert record.current(inputs, stack)
    assert not record.current("other inputs", stack)
    (stack / "assets" / "code.zip").write_bytes(b"another zip")  # a synth by someone else
    assert not record.current(inputs, stack)
    record.save(inputs, stack)
    record.forget()
    assert not record.current(inputs, stack)


def test_recording_a_synth_made_outside_the_runner(project, capsys, monkeypatch):
    monkeypatch.delenv("ECOMMERCE_STACKS", raising=False)
    assert main(["--record", "--project-dir", str(project)]) == 1
    assert "nothing synthesized" in capsys.readouterr().err
    stack = project / "cdktf.out" / "stacks" / "ecommerce-local"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text("{}")
    assert main(["--record", "--project-dir", str(project)]) == 0
    record = SynthRecord(project / ".localcloud" / "synth.json")
    # Recorded as the runner fingerprints its deploy: with the stack it builds alone named.
    runner = {**os.environ, "ECOMMERCE_STACKS": "ecommerce-local"}
    assert record.current(inputs_fingerprint(project, runner), stack)
    assert not record.current(
        inputs_fingerprint(project, {**runner, "ECOMMERCE_STACKS": "all"}), stack
    )
