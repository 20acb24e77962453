"""The CI scripts' GitHub side, with stand-ins for `gh` and `terraform` on PATH: a comment is
posted once then updated; drift opens an issue, or comments on the open one; a failed plan fails.

The real Terraform path (plan against deployed stacks, exit codes) runs on the emulator in the
pipeline's rehearsal (tests/localcloud/rehearsal/test_pipeline.py); GitHub itself is out of reach
here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Records each call; answers the look-ups the scripts make from FAKE_* variables.
FAKE_GH = """#!/usr/bin/env bash
echo "gh $*" >> "$CALLS"
case "$1 $2" in
  "api repos/acme/store-api/issues/7/comments") echo "${FAKE_COMMENT_ID:-}" ;;
  "issue list") echo "${FAKE_ISSUE:-}" ;;
esac
"""
FAKE_TERRAFORM = """#!/usr/bin/env bash
echo "terraform $*" >> "$CALLS"
if [ "$1" = plan ]; then echo "  ~ status = \\"Suspended\\" -> \\"Enabled\\""; exit "$FAKE_PLAN"; fi
"""


@pytest.fixture
def run(tmp_path):
    """Run a script under scripts/ci with the stand-ins; return (result, recorded calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("gh", FAKE_GH), ("terraform", FAKE_TERRAFORM)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    out = tmp_path / "out"
    (out / "stacks" / "ecommerce-dev").mkdir(parents=True)
    calls = tmp_path / "calls.txt"
    calls.touch()

    def go(script: str, *args: str, **extra: str):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_"))},
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "CALLS": str(calls),
            "CI_OUT": str(tmp_path / "ci"),
            "CDKTF_OUT": str(out),
            "SKIP_SYNTH": "1",
            "GH_TOKEN": "not-a-token",
            "GITHUB_REPOSITORY": "acme/store-api",
            **extra,
        }
        result = subprocess.run(
            ["bash", f"scripts/ci/{script}", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result, calls.read_text()

    return go


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", "gh api --method POST repos/acme/store-api/issues/7/comments -F body=@"),
        ("991", "gh api --method PATCH repos/acme/store-api/issues/comments/991 -F body=@"),
    ],
)
def test_comment_is_posted_once_then_updated(run, tmp_path, existing, expected):
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "diff.md").write_text("<!-- ecommerce-diff -->\n### cdktf diff\n")
    result, calls = run("comment.sh", "7", FAKE_COMMENT_ID=existing)
    assert result.returncode == 0, result.stderr
    assert expected in calls
    assert calls.count("--method") == 1


def test_comment_without_a_report_is_one_line(run):
    result, calls = run("comment.sh", "7")
    assert result.returncode == 1
    assert result.stderr.strip().endswith("diff.md is missing; run scripts/ci/diff.sh first")
    assert calls == ""


def test_no_drift_files_nothing(run):
    result, calls = run("drift.sh", "dev", FAKE_PLAN="0")
    assert result.returncode == 0, result.stderr
    assert "ecommerce-dev: no changes" in result.stdout
    assert "terraform plan -detailed-exitcode" in calls
    assert "gh " not in calls


def test_drift_opens_an_issue_with_the_plan(run, tmp_path):
    result, calls = run("drift.sh", "dev", FAKE_PLAN="2")
    assert result.returncode == 0, result.stderr
    assert "gh label create drift --repo acme/store-api --force" in calls
    assert (
        "gh issue create --repo acme/store-api --title Drift detected in ecommerce-dev "
        "--label drift --body-file" in calls
    )
    body = (tmp_path / "ci" / "drift-ecommerce-dev.md").read_text()
    assert 'status = "Suspended" -> "Enabled"' in body


def test_drift_comments_on_the_open_issue(run):
    result, calls = run("drift.sh", "dev", FAKE_PLAN="2", FAKE_ISSUE="42")
    assert result.returncode == 0, result.stderr
    assert "gh issue comment 42 --repo acme/store-api --body-file" in calls
    assert "issue create" not in calls
    assert "ecommerce-dev: drift added to issue #42" in result.stdout


def test_a_failed_plan_fails_the_check(run):
    result, calls = run("drift.sh", "dev", FAKE_PLAN="1")
    assert result.returncode == 1
    assert "ecommerce-dev: terraform plan failed" in result.stderr
    assert "gh " not in calls


def test_off_github_it_prints_the_issue(run):
    result, calls = run("drift.sh", "dev", FAKE_PLAN="2", GH_TOKEN="")
    assert result.returncode == 0, result.stderr
    assert '(not on GitHub: would file "Drift detected in ecommerce-dev")' in result.stdout
    assert "gh " not in calls
