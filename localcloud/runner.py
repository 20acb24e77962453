"""Bringing the local cloud up and down.

``up``: the emulator, Terraform's provider source, ``cdktf deploy``, the outputs files, then the
gateway until Ctrl-C / SIGTERM / ``--down``; then ``cdktf destroy``, the emulator stopped and its
Terraform state removed. Files under ``.localcloud/`` tell other shells (and CI) what runs:

- ``run.json``: the runner's pid and phase, while it runs;
- ``ready.json``: the API and emulator URLs, outputs paths and timings, once it serves;
- ``env``: shell exports (AWS_ENDPOINT_URL, dummy credentials, TF_CLI_CONFIG_FILE,
  API_BASE_URL) to run ``terraform plan`` or tests against it from another shell.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from localcloud import PROJECT_ROOT, WORK_DIR_NAME
from localcloud.cdktf import (
    cdktf_command,
    classify_failure,
    echo_indented,
    flatten_outputs,
    stop_process_group,
)
from localcloud.deployer import PARALLELISM, Deployer
from localcloud.emulator import Emulator
from localcloud.errors import LocalCloudError
from localcloud.gateway.server import Gateway, serve
from localcloud.ports import ensure_free
from localcloud.terraform import check_terraform, provider_setup
from localcloud.watch import LiveUpdates, Watcher, archive_hashes

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Variables that could send the deploy to a real account or change what cdktf shows.
SCRUBBED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


@dataclass
class Options:
    """What the user asked for."""

    stack: str = "ecommerce-local"
    host: str = "127.0.0.1"
    port: int = 3000
    emulator_port: int = 0
    region: str = ""
    root: Path = PROJECT_ROOT
    ready_file: Path | None = None
    prewarm: bool = False
    destroy: bool = True
    parallelism: int = PARALLELISM
    quiet: bool = False
    watch: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)


def say(message: str) -> None:
    """One line of the runner's own output (a closed output never stops a teardown)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"localcloud: {message}", flush=True)


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie is not; another user's one is)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not running
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


@dataclass
class RunFiles:
    """Where a run keeps its files."""

    work: Path
    state_dir: Path
    run_file: Path
    ready_file: Path
    env_file: Path
    outputs_dir: Path
    all_outputs: Path
    flat_outputs: Path
    packages: Path

    @classmethod
    def of(cls, root: Path, ready_file: Path | None = None) -> RunFiles:
        """The files of a run in project ``root``."""
        work = root / WORK_DIR_NAME
        outputs = root / "cfn-outputs"
        return cls(
            work=work,
            state_dir=work / "state",
            run_file=work / "run.json",
            ready_file=Path(ready_file or work / "ready.json"),
            env_file=work / "env",
            outputs_dir=outputs,
            all_outputs=outputs / "all-outputs.json",
            flat_outputs=outputs / "flat-outputs.json",
            packages=work / "packages",
        )


class Runner:
    """One run of the local cloud (see the module docstring)."""

    def __init__(self, options: Options):
        self.o = options
        self.root = Path(options.root)
        self.files = RunFiles.of(self.root, options.ready_file)
        self.region = (
            options.region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )
        self.emulator: Emulator | None = None
        self.gateway: Gateway | None = None
        self.server = None
        self.env: dict[str, str] = {}
        self.deployed = False
        self.outputs: dict = {}
        self.child: subprocess.Popen | None = None
        self.deployer: Deployer | None = None
        self.watcher: Watcher | None = None
        self.timings: dict[str, object] = {}
        self.teardown_timings: dict[str, object] = {}
        self._lock = None

    # -- files other shells read ---------------------------------------------------------

    def _write_json(self, path: Path, data: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        partial.replace(path)

    def _record(self, phase: str, **extra) -> None:
        data = {"pid": os.getpid(), "phase": phase, "stack": self.o.stack, "root": str(self.root)}
        if self.emulator and self.emulator.process:
            data["emulatorPid"] = self.emulator.process.pid
            data["emulatorUrl"] = self.emulator.url
        data.update(extra)
        self._write_json(self.files.run_file, data)

    def _claim(self) -> None:
        """Hold the project's lock for this run; refuse when another run holds it."""
        self.files.work.mkdir(parents=True, exist_ok=True)
        # Held (and so locked) until the process exits.
        # pylint: disable-next=consider-using-with
        self._lock = open(self.files.work / "lock", "w", encoding="utf-8")  # noqa: SIM115
        try:
            previous = json.loads(self.files.run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
        pid = previous.get("pid")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._lock.write(f"{os.getpid()}\n")  # also marks when this run started
            self._lock.flush()
        except BlockingIOError:
            pid = pid if isinstance(pid, int) else "unknown"
            raise LocalCloudError(
                f"The local cloud is already running here (pid {pid}); stop it with "
                "`python -m localcloud --down` first."
            ) from None
        if isinstance(pid, int) and pid != os.getpid() and process_alive(pid):
            raise LocalCloudError(
                f"The local cloud is already running here (pid {pid}); stop it with "
                "`python -m localcloud --down` first."
            )
        cleanup_stale(self.files.work, previous)

    # -- up -------------------------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        """The environment of cdktf and Terraform runs: the emulator, never a real account."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(DUMMY_CREDENTIALS)
        env.update(
            {
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "CHECKPOINT_DISABLE": "1",
                "TF_IN_AUTOMATION": "1",
                "CI": "true",  # cdktf streams plain lines instead of redrawing a terminal UI
                "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": str(_node_major(env)),
            }
        )
        env.update(self.o.extra_env)
        return env

    def preflight(self) -> list[str]:
        """Everything that can be checked before starting anything; the cdktf command."""
        env = self.base_env()
        command = cdktf_command(self.root, env)
        check_terraform(env)
        self.o.port = ensure_free(self.o.host, self.o.port, "local gateway", "--port")
        if self.o.emulator_port:
            ensure_free(self.o.host, self.o.emulator_port, "AWS emulator", "--emulator-port")
        changes, note = provider_setup(env, self.files.work / "terraformrc")
        self.env = {**env, **changes}
        say(note)
        return command

    def up(self) -> int:
        """Bring everything up, serve until interrupted, then tear down. Returns the exit code."""
        begun = time.monotonic()
        self._claim()
        for stale in ("last-error", "deploy.log", "destroy.log"):
            (self.files.work / stale).unlink(missing_ok=True)
        self._record("starting")
        try:
            command = self.preflight()
            self._start_emulator()
            self._deploy(command)
            self._serve(begun)
            self._record("serving")
            if self.o.watch:
                self._watch()
            self.server.serve_forever()
            return 0
        except LocalCloudError as error:
            (self.files.work / "last-error").write_text(str(error) + "\n", encoding="utf-8")
            with contextlib.suppress(OSError, ValueError):
                print(f"localcloud: {error}", file=sys.stderr, flush=True)
            return error.exit_code
        except KeyboardInterrupt:
            return 0
        finally:
            self.teardown()

    def _start_emulator(self) -> None:
        self.emulator = Emulator(
            self.o.host, self.o.emulator_port, self.files.work / "emulator.log", self.region
        )
        say("starting the AWS emulator (moto server) ...")
        self.timings["emulator_s"] = round(self.emulator.start(), 2)
        self.env["AWS_ENDPOINT_URL"] = self.emulator.url
        self._record("deploying")
        say(f"emulator ready at {self.emulator.url} in {self.timings['emulator_s']} s")

    def _deploy(self, command: list[str]) -> None:
        self.files.outputs_dir.mkdir(parents=True, exist_ok=True)
        self.files.all_outputs.unlink(missing_ok=True)
        self.deployer = Deployer(
            self.root,
            self.o.stack,
            command,
            self.files.work,
            parallelism=self.o.parallelism,
            on_start=self._track_child,
        )
        say(f"deploying {self.o.stack} onto the emulator with cdktf (Terraform's progress follows)")
        started = time.monotonic()
        outcome = self._run_deploy()
        self.timings["deploy_s"] = round(time.monotonic() - started, 2)
        self.timings["synth_skipped"] = outcome.synth_skipped
        self.timings["deploy_phases"] = outcome.progress.phases()
        self.timings["deploy_resources"] = outcome.progress.by_type()
        say(f"deployed in {self.timings['deploy_s']} s: {outcome.breakdown()}")
        say(f"slowest resources: {outcome.progress.summary()}")

    def _run_deploy(self):
        """One cdktf deploy (the first, or watch mode's); the outputs files written from it."""
        outcome = self.deployer.deploy(
            self.env,
            self.files.all_outputs,
            emulator_log=self.emulator.log_path,
            abort=self._abort_deploy,
            echo=self._echo,
        )
        self.child = None
        for note in outcome.notes:
            say(note)
        if outcome.status != 0 or outcome.stuck_on:
            raise self.deployer.failure(outcome, self.emulator.log_path)
        self.deployed = True
        self.outputs = flatten_outputs(
            self.files.all_outputs, self.files.flat_outputs, self.o.stack
        )
        return outcome

    def _echo(self, line: str) -> None:
        if not self.o.quiet:
            echo_indented(line)

    def _abort_deploy(self) -> None:
        child = self.child
        if child is not None:
            say("the emulator cannot answer what Terraform keeps asking for; stopping the deploy")
            stop_process_group(child)

    def _track_child(self, process: subprocess.Popen) -> None:
        self.child = process

    def _serve(self, begun: float) -> None:
        started = time.monotonic()
        outputs = self.outputs
        region = outputs.get("Region") or self.region
        self.gateway = Gateway(
            self.emulator.url,
            region=region,
            api_id=outputs.get("ApiGatewayId"),
            code_dirs=[self.root / "cdktf.out" / "stacks" / self.o.stack, self.files.packages],
            work_dir=self.files.work,
            openapi_document=_existing(self.root / "openapi.json"),
        )
        for problem in self.gateway.served.problems:
            say(f"warning: {problem}")
        self.server = serve(self.gateway, self.o.host, self.o.port)
        self.o.port = self.server.port
        if self.o.prewarm:
            self.gateway.prewarm()
        self.gateway.start_polling()
        stages = list(self.gateway.served.api.stages)
        stage = outputs.get("ApiGatewayStageName") or (stages[0] if stages else "")
        api_url = f"http://{self.o.host}:{self.o.port}/{stage}/"
        self.timings["gateway_s"] = round(time.monotonic() - started, 2)
        self.timings["ready_s"] = round(time.monotonic() - begun, 2)
        env_lines = {
            "AWS_ENDPOINT_URL": self.emulator.url,
            **DUMMY_CREDENTIALS,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "API_BASE_URL": api_url,
        }
        if "TF_CLI_CONFIG_FILE" in self.env:
            env_lines["TF_CLI_CONFIG_FILE"] = self.env["TF_CLI_CONFIG_FILE"]
        self.files.env_file.write_text(
            "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env_lines.items()),
            encoding="utf-8",
        )
        self._write_json(
            self.files.ready_file,
            {
                "pid": os.getpid(),
                "apiUrl": api_url,
                "emulatorUrl": self.emulator.url,
                "stage": stage,
                "stack": self.o.stack,
                "outputsFile": str(self.files.all_outputs),
                "flatOutputsFile": str(self.files.flat_outputs),
                "envFile": str(self.files.env_file),
                "terraformDir": str(self.root / "cdktf.out" / "stacks" / self.o.stack),
                "timings": self.timings,
            },
        )
        say(f"API       {api_url}")
        say(f"emulator  {self.emulator.url}")
        say(f"outputs   {self.files.flat_outputs} (and {self.files.all_outputs.name})")
        say(f"env       source {self.files.env_file}  # to run terraform or tests against it")
        say(
            f"ready in {self.timings['ready_s']} s (emulator {self.timings['emulator_s']} s, "
            f"deploy {self.timings['deploy_s']} s, gateway {self.timings['gateway_s']} s); "
            "Ctrl-C or `python -m localcloud --down` tears it all down"
        )

    # -- watch ----------------------------------------------------------------------------

    def _watch(self) -> None:
        client = boto3.session.Session(**_session_args(self.region)).client(
            "lambda", endpoint_url=self.emulator.url
        )
        updates = LiveUpdates(
            root=self.root,
            gateway=self.gateway,
            lambda_client=client,
            packages_dir=self.files.packages,
            redeploy=self._redeploy,
            say=say,
            code_hashes=archive_hashes(self.deployer.stack_dir / "assets"),
        )
        self.watcher = Watcher(self.root, updates.apply)
        self.watcher.start()
        say(
            "watching handlers/ (code updated in place) and stacks/, main.py, cdktf.json "
            "(incremental cdktf deploy)"
        )

    def _redeploy(self) -> str:
        """The incremental deploy of watch mode; what it changed."""
        return self._run_deploy().progress.changes()

    def _stop_watching(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self._stop_child()  # a redeploy under way
            self.watcher.join(60)

    # -- down -----------------------------------------------------------------------------

    def _on_signal_in_teardown(self, _signum, _frame) -> None:
        child = self.child
        if child is not None and child.poll() is None:
            say("interrupted again: stopping the destroy and dropping the emulator as it is")
            os.killpg(child.pid, signal.SIGTERM)

    def teardown(self) -> None:
        """Stop the gateway, destroy the stack, stop the emulator, remove the state."""
        previous = {
            sig: signal.signal(sig, self._on_signal_in_teardown)
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        begun = time.monotonic()
        steps = [
            ("record", lambda: self._record("stopping")),
            ("watch", self._stop_watching),
            ("gateway_s", self._stop_serving),
            ("child", self._stop_child),
            ("destroy_total_s", self._destroy_if_deployed),
            ("emulator_stop_s", self._stop_emulator),
            ("files", self._remove_files),
        ]
        try:
            for name, step in steps:
                started = time.monotonic()
                try:
                    step()
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    say(f"teardown step failed ({exc}); continuing")
                if name.endswith("_s"):
                    self.teardown_timings[name] = round(time.monotonic() - started, 2)
            self.teardown_timings["teardown_s"] = round(time.monotonic() - begun, 2)
            with contextlib.suppress(OSError):
                self._write_json(self.files.work / "teardown.json", self.teardown_timings)
            say(
                f"torn down in {self.teardown_timings['teardown_s']} s: nothing of the local "
                "cloud is running any more"
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop_serving(self) -> None:
        if self.server is not None:
            self.server.server_close()
        if self.gateway is not None:
            self.gateway.close()

    def _stop_child(self) -> None:
        if self.child is not None:
            stop_process_group(self.child)
            self.child = None

    def _destroy_if_deployed(self) -> None:
        # A deploy that failed or was interrupted is not destroyed: stopping the emulator and
        # removing the state leaves nothing of it either.
        if self.deployed and self.o.destroy and self.emulator and self.emulator.process:
            self._destroy()

    def _stop_emulator(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
            say("emulator stopped")

    def _remove_files(self) -> None:
        for path in (self.files.state_dir, self.files.work / "functions", self.files.packages):
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.files.ready_file, self.files.env_file, self.files.run_file):
            path.unlink(missing_ok=True)

    def _destroy(self) -> None:
        say(f"destroying {self.o.stack} on the emulator with Terraform ...")
        started = time.monotonic()
        try:
            outcome = self.deployer.destroy(self.env, echo=self._echo)
        except LocalCloudError as error:
            say(f"destroy skipped: {error}")
            return
        finally:
            self.child = None
        self.teardown_timings["destroy_s"] = round(time.monotonic() - started, 2)
        self.teardown_timings["destroy_phases"] = outcome.progress.phases()
        self.teardown_timings["destroy_resources"] = outcome.progress.by_type()
        if outcome.status == 0:
            say(
                f"destroyed in {self.teardown_timings['destroy_s']} s: {outcome.breakdown()}; "
                f"slowest: {outcome.progress.summary(top=4)}"
            )
        else:
            say(
                f"the destroy failed ({classify_failure(self.o.stack, outcome.lines)}); "
                "the emulator is stopped anyway, so nothing is left"
            )


def _session_args(region: str) -> dict[str, str]:
    return {
        "aws_access_key_id": DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": region,
    }


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def _node_major(env: dict[str, str]) -> str:
    node = shutil.which("node", path=env.get("PATH"))
    if not node:
        return ""
    try:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return version.strip().lstrip("v").split(".")[0]


def cleanup_stale(work: Path, previous: dict) -> None:
    """Clear what a runner that died without tearing down left behind."""
    emulator_pid = previous.get("emulatorPid")
    if isinstance(emulator_pid, int) and process_alive(emulator_pid) and _is_moto(emulator_pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(emulator_pid, signal.SIGKILL)
    for name in ("state", "functions"):
        shutil.rmtree(work / name, ignore_errors=True)
    for name in ("ready.json", "env", "run.json"):
        (work / name).unlink(missing_ok=True)


def _is_moto(pid: int) -> bool:
    try:
        return b"moto" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def down(root: Path = PROJECT_ROOT, timeout: float = 900.0) -> int:
    """Ask a running local cloud to tear down, and wait until it has."""
    work = root / WORK_DIR_NAME
    try:
        state = json.loads((work / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cleanup_stale(work, {})
        say("the local cloud is not running here")
        return 0
    pid = state.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        cleanup_stale(work, state)
        say("cleaned up after a local cloud that had stopped without tearing down")
        return 0
    say(f"asking the local cloud (pid {pid}) to tear down ...")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            raise LocalCloudError(
                f"The local cloud (pid {pid}) did not finish tearing down within {timeout:.0f} s; "
                f"see {work / 'destroy.log'}."
            )
        time.sleep(0.2)
    say("the local cloud is down")
    return 0


def wait_ready(
    root: Path = PROJECT_ROOT, timeout: float = 900.0, ready_file: Path | None = None
) -> int:
    """Wait until a runner started in the background serves (print the API URL) or fails."""
    work = root / WORK_DIR_NAME
    ready = Path(ready_file or work / "ready.json")
    last_error = work / "last-error"
    begun = time.time()
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if ready.exists():
            data = json.loads(ready.read_text(encoding="utf-8"))
            if _answers(data["apiUrl"]):
                print(data["apiUrl"], flush=True)
                return 0
        try:
            pid = json.loads((work / "run.json").read_text(encoding="utf-8")).get("pid")
        except (OSError, ValueError):
            pid = None
        # Files left by an earlier run are replaced within seconds when a new runner starts.
        if isinstance(pid, int) and process_alive(pid):
            quiet_since = None
        else:
            quiet_since = quiet_since or time.monotonic()
        settled = quiet_since is not None and time.monotonic() - quiet_since > 15
        failed = last_error.exists() and (settled or _is_latest(last_error, work / "lock", begun))
        if failed or settled:
            reason = last_error.read_text(encoding="utf-8").strip() if last_error.exists() else ""
            raise LocalCloudError(
                "The local cloud stopped before it was ready"
                + (f": {reason}" if reason else " (or was never started).")
            )
        time.sleep(0.5)
    raise LocalCloudError(f"The local cloud was not ready within {timeout:.0f} s.")


def _is_latest(last_error: Path, lock: Path, begun: float) -> bool:
    """Whether ``last-error`` was written by the latest run (each run rewrites its lock file)."""
    try:
        written = last_error.stat().st_mtime
        return written >= begun - 2 or written >= lock.stat().st_mtime
    except OSError:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer (403 for the stage root) means it serves
    except (urllib.error.URLError, OSError):
        return False
