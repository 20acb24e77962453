"""The soak command on a stand-in stack: a cycle whose deploy lacks outputs the stack declares is
reported as failed, with the reason, and still leaves nothing behind. (CI runs two real
cycles.)"""

import subprocess
import sys

from localcloud import PROJECT_ROOT
from tests.localcloud.runner.conftest import project  # noqa: F401  (a fixture)
from tests.localcloud.runner.stand_in import assert_nothing_left, runner_env


def test_a_failing_cycle_is_reported_and_cleaned_up(project, tmp_path):  # noqa: F811
    logs = tmp_path / "logs"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "localcloud.tools.soak", "1"),
            *("--project-dir", str(project), "--logs", str(logs), "--destroy"),
        ],
        cwd=PROJECT_ROOT,
        env=runner_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    # The stand-in writes only some of the stack's outputs.
    missing = "['ApiGatewayUrl', 'VpcId', 'UserPoolId', 'UserPoolClientId']"
    assert f"soak: cycle 1/1: FAILED: outputs missing: {missing}" in result.stdout
    assert "soak: 1 cycles, 1 failed" in result.stdout
    assert (logs / "cycle-1.log").is_file()
    assert_nothing_left(project)
