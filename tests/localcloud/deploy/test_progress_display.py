"""What a person sees of a start: the progress display's lines, and the whole start and teardown
in a real terminal (tmux, 120 columns by 50 rows) with the stand-in cdktf of test_runner.py."""

from __future__ import annotations

import io
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from localcloud import PROJECT_ROOT
from localcloud.deploy.progress import Progress, Snapshot
from localcloud.deploy.progress_display import PlainPace, ProgressDisplay, describe, live_lines
from tests.localcloud.runner.conftest import project as project  # noqa: PLC0414  # the fixture
from tests.localcloud.runner.stand_in import failed_start, runner_env, start

WIDTH, HEIGHT = 120, 50
RAW_PLAN = ("will be created", "+ resource", "known after apply", "Plan: ", "Creating...")
RAW_DESTROY = ("Destroying...", "Destruction complete", "Destroy complete!")


def snapshot(**fields) -> Snapshot:
    """A run at the apply, 87 of 168 done, 31 s in, a KMS key in flight for 12 s."""
    values = {
        "phase": "apply",
        "done": 87,
        "total": 168,
        "elapsed": 31.2,
        "slowest": "aws_kms_key.encryption_key",
        "slowest_s": 12.4,
    }
    return Snapshot(**{**values, **fields})


def test_a_plain_line_says_phase_count_time_and_the_slowest_in_flight():
    assert describe("deploying s", snapshot(), "apply") == (
        "deploying s: apply, 87/168 resources, 31 s, "
        "slowest in flight: aws_kms_key.encryption_key 12 s"
    )
    before_the_plan = snapshot(phase="init", done=0, total=None, slowest=None)
    assert describe("deploying s", before_the_plan, "apply") == (
        "deploying s: terraform init, 0 resources, 31 s"
    )
    assert describe("destroying s", snapshot(), "destroy").startswith("destroying s: destroy, ")


def test_plain_lines_come_at_each_phase_and_at_a_steady_pace_within_one():
    pace = PlainPace(every=10.0)
    assert pace.due(snapshot(phase="synth"), now=0.0)
    assert not pace.due(snapshot(phase="synth"), now=9.9)
    assert pace.due(snapshot(phase="init"), now=10.5)  # a new phase at once
    assert not pace.due(snapshot(phase="init"), now=20.4)
    assert pace.due(snapshot(phase="init"), now=20.5)  # ten seconds on


def test_the_live_lines_render_the_same_facts():
    console = Console(file=io.StringIO(), width=WIDTH, color_system=None)
    console.print(live_lines("deploying s", ".localcloud/deploy.log", snapshot(), "apply"))
    first, second = console.file.getvalue().splitlines()
    assert first == "localcloud: deploying s (Terraform's output: .localcloud/deploy.log)"
    assert re.search(r"deploying s: apply .*━.* 87/168 resources 00:31 slowest in flight", second)
    assert len(second) <= WIDTH


def test_progress_follows_a_run_for_the_display():
    now = [0.0]
    progress = Progress(clock=lambda: now[0])
    assert progress.now().phase == "synth"
    for at, line in (
        (2.0, "s  Initializing the backend..."),
        (3.0, "s  Terraform has been successfully initialized!"),
        (8.0, "s  Plan: 2 to add, 1 to change, 0 to destroy."),
        (9.0, "s  aws_kms_key.encryption_key_EEB70057 (encryption/key): Creating..."),
        (9.5, "s  aws_iam_role.fn_products-role_C31FF5E4: Creating..."),
        (10.0, "s  aws_iam_role.fn_products-role_C31FF5E4: Creation complete after 0s"),
    ):
        now[0] = at
        progress.feed(line)
    now[0] = 21.0
    assert progress.now() == Snapshot(
        phase="apply",
        done=1,
        total=3,
        elapsed=21.0,
        slowest="aws_kms_key.encryption_key",
        slowest_s=12.0,
    )


def test_verbose_shows_terraforms_lines_and_a_failure_shows_them_in_full():
    stream = io.StringIO()
    quiet = ProgressDisplay(stream, live=False)
    quiet.echo("aws_vpc.v: Creating...")
    quiet.replay(".localcloud/deploy.log", ["\x1b[1mError: boom\x1b[0m", "  with aws_vpc.v"])
    assert stream.getvalue() == "    Error: boom\n      with aws_vpc.v\n"
    stream = io.StringIO()
    verbose = ProgressDisplay(stream, verbose=True, live=False)
    verbose.echo("aws_vpc.v: Creating...")
    verbose.echo("   ")
    verbose.replay(".localcloud/deploy.log", ["shown already"])
    assert stream.getvalue() == "    aws_vpc.v: Creating...\n"


def test_a_failed_deploy_shows_terraforms_output_in_full(project, tmp_path):
    failure = tmp_path / "failure.txt"
    failure.write_text(
        "ecommerce-local  # aws_vpc.v will be created\n"
        "ecommerce-local  aws_vpc.v: Creating...\n"
        "ecommerce-local  │ Error: creating VPC: boom\n"
    )
    output = failed_start(project, runner_env(tmp_path, FAKE_DEPLOY_OUTPUT=str(failure)))
    replayed = output.split("localcloud: Terraform's output (~/project/.localcloud/deploy.log):\n")
    assert len(replayed) == 2, output
    assert replayed[1].startswith(
        "    ecommerce-local  # aws_vpc.v will be created\n"
        "    ecommerce-local  aws_vpc.v: Creating...\n"
        "    ecommerce-local  │ Error: creating VPC: boom\n"
    )
    assert "localcloud: The deploy of ecommerce-local failed: creating VPC: boom" in replayed[1]


def test_in_a_pipe_the_progress_is_plain_lines(project, tmp_path):
    release = tmp_path / "release"
    env = runner_env(tmp_path, FAKE_PLAN="20", FAKE_RELEASE=str(release))
    process = start(project, env, "--destroy")  # its teardown shows the destroy's progress
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True)
    reader.start()
    seen = []
    try:
        deadline = time.monotonic() + 120
        while not seen or "localcloud: ready in" not in seen[-1]:
            seen.append(lines.get(timeout=max(deadline - time.monotonic(), 0.1)))
            if "deploying ecommerce-local: apply, 10/21 resources" in seen[-1]:
                release.touch()
        process.terminate()
        assert process.wait(60) == 0
        reader.join(30)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(seen + list(lines.queue))
    assert "\x1b" not in output and "\r" not in output
    assert re.search(
        r"localcloud: deploying ecommerce-local \(Terraform's output: ~/project/\.localcloud/"
        r"deploy\.log\)\nlocalcloud: deploying ecommerce-local: [a-z ]+, \d+ resources, \d+ s\n",
        output,
    )
    assert re.search(
        r"localcloud: deploying ecommerce-local: apply, 10/21 resources, \d+ s, "
        r"slowest in flight: aws_sqs_queue.q10 \d+ s\n",
        output,
    )
    assert "localcloud: deployed 21 resources in " in output
    assert not [raw for raw in RAW_PLAN + RAW_DESTROY if raw in output]
    assert "localcloud: destroyed 1 resources in " in output


class Screen:
    """A terminal (tmux, on a socket of its own, with the environment ``env``): a shell in
    ``cwd`` (the project's root)."""

    def __init__(self, socket: Path, env: dict[str, str], cwd: Path = PROJECT_ROOT):
        if not shutil.which("tmux"):
            pytest.fail("tmux is missing: run scripts/chromium.sh (Debian's chromium and tmux).")
        self.socket, self.env = str(socket), env
        shell = "env PS1='$ ' bash --norc --noprofile"
        size = ("-x", str(WIDTH), "-y", str(HEIGHT))
        self.tmux("new-session", "-d", *size, "-c", str(cwd), shell)

    def tmux(self, *args: str) -> str:
        """One tmux command on this terminal's server."""
        return subprocess.run(
            ["tmux", "-S", self.socket, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout

    def rows(self) -> list[str]:
        """The screen, row by row (a wrapped line takes two), without the blank rows below."""
        return self.tmux("capture-pane", "-p").rstrip("\n").splitlines()

    def wait_for(self, pattern: str, timeout: float = 120.0) -> list[str]:
        """The screen once a row matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.rows()
            if any(re.search(pattern, row) for row in rows):
                return rows
            time.sleep(0.1)
        pytest.fail(f"no row matched {pattern!r} within {timeout} s:\n" + "\n".join(self.rows()))

    def close(self) -> None:
        """Stop the terminal and what runs in it."""
        subprocess.run(
            ["tmux", "-S", self.socket, "kill-server"], env=self.env, check=False, timeout=30
        )


@pytest.fixture
def screen(tmp_path):
    """A terminal with the runner's test environment (offline, the stand-ins' mirror)."""
    terminal = Screen(tmp_path / "tmux.sock", runner_env(tmp_path))
    try:
        yield terminal
    finally:
        terminal.close()


def test_a_start_in_a_terminal_fits_on_one_screen(project, tmp_path, screen):
    release = tmp_path / "release"
    command = "./scripts/up.sh --project-dir ~/project --port 0 --destroy"
    screen.tmux("send-keys", f"export FAKE_PLAN=20 FAKE_RELEASE={release}", "Enter")
    screen.tmux("send-keys", "clear", "Enter")
    screen.wait_for(r"^\$ ?$")
    screen.tmux("send-keys", command, "Enter")

    during = screen.wait_for(r"deploying ecommerce-local: apply .* 10/21 resources")
    assert "localcloud: deploying ecommerce-local (Terraform's output: ~/project/.localcloud/" in (
        "\n".join(during)
    )
    live = next(row for row in during if "10/21 resources" in row)
    assert re.search(r"━.* 10/21 resources \d\d:\d\d slowest in flight: aws_sqs_queue\.q", live)
    release.touch()

    rows = screen.wait_for(r"^localcloud: ready in ")
    first = rows.index(f"$ {command}")
    ready = next(i for i, row in enumerate(rows) if row.startswith("localcloud: ready in "))
    start_rows = rows[first : ready + 1]
    assert len(start_rows) <= 15, "\n".join(start_rows)
    text = "\n".join(start_rows)
    assert not [raw for raw in RAW_PLAN if raw in text], text
    assert "10/21 resources" not in text  # the live lines are gone, replaced by the outcome
    assert re.search(r"^localcloud: deployed 21 resources in [\d.]+ s \(synth ", text, re.M)
    for name in ("API", "reference", "emulator", "outputs", "env", "token"):
        assert re.search(rf"^localcloud: {name} +\S", text, re.M), name
    assert "python -m localcloud user add EMAIL" in text

    screen.tmux("send-keys", "C-c")
    rows = screen.wait_for(r"^localcloud: torn down in ")
    after = "\n".join(rows[ready + 1 :])
    destroyed = r"^localcloud: destroyed 1 resources in [\d.]+ s \(plan [\d.]+ s, destroy [\d.]+ s"
    assert re.search(destroyed, after, re.M), after
    assert not [raw for raw in RAW_DESTROY if raw in after], after
    assert "Traceback" not in "\n".join(rows)


def test_verbose_shows_terraforms_lines_as_they_come_and_not_again(project, tmp_path):
    failure = tmp_path / "failure.txt"
    failure.write_text("ecommerce-local  │ Error: creating VPC: boom\n")
    env = runner_env(tmp_path, FAKE_DEPLOY_OUTPUT=str(failure))
    process = start(project, env, "--verbose")
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output
    assert output.count("    ecommerce-local  │ Error: creating VPC: boom\n") == 1, output
    assert "(Terraform's output: ~/project/.localcloud/deploy.log)\n" in output  # where it goes
    assert "Terraform's output (~/project/.localcloud/deploy.log):" not in output  # no replay


def test_verbose_and_quiet_exclude_each_other(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "localcloud", "--verbose", "--quiet"],
        cwd=PROJECT_ROOT,
        env=runner_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr
