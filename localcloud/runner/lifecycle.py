"""Bringing the local cloud up and down.

``up``: the project claimed (``control``), the prerequisites checked, the emulator started,
the stack deployed with ``cdktf deploy`` and its outputs files written (``stack``), the API served
by the gateway until Ctrl-C / SIGTERM / ``--down`` (``serving``), the event source mappings and
schedules run beside it (``triggers``), saved changes made live in watch mode (``watch``). Then
the teardown, step by step: the triggers and the gateway stopped, the emulator stopped, the run's
state removed. It only stops: what was deployed lives in the emulator's memory, which goes with
it, and the warm start's snapshot is kept. ``--destroy`` (or ``--down --destroy``) runs
``terraform destroy`` first and checks that Terraform's state holds nothing any more (the exit
status says whether it did). ``.localcloud/`` tells other shells what runs (``run_files``);
``run.json`` follows the phases.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from localcloud import PROJECT_ROOT
from localcloud.base import aws
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say, say_error
from localcloud.base.ports import ensure_free, listen
from localcloud.base.run_files import RunFiles
from localcloud.deploy import cdktf, synth
from localcloud.deploy.deployer import PARALLELISM, Deployer
from localcloud.deploy.progress_display import ProgressDisplay
from localcloud.deploy.stack import Stack
from localcloud.deploy.terraform import check_terraform, provider_setup
from localcloud.deploy.warm import WarmStart
from localcloud.emulator.process import Emulator
from localcloud.runner.control import claim
from localcloud.runner.serving import Serving
from localcloud.runner.watch import LiveUpdates, Watcher, archive_hashes
from localcloud.triggers.service import Triggers

BUILD_BACKENDS_ENV = "LOCALCLOUD_BUILD_BACKENDS"
"""``0``: the emulator builds no backend at its start, each on its first request instead (for a
stand-in deploy that touches three services, as the runner's tests' does)."""


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
    destroy: bool = False
    parallelism: int = PARALLELISM
    quiet: bool = False
    verbose: bool = False
    watch: bool = False
    cold: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)


class Runner:
    """One run of the local cloud (see the module docstring)."""

    def __init__(self, options: Options):
        self.options = options
        self.root = Path(options.root)
        self.files = RunFiles(self.root, options.ready_file)
        self.region = aws.region_of(os.environ, options.region)
        self.port = options.port
        """The gateway's port (a free one once checked, when ``options.port`` is 0)."""
        self.env: dict[str, str] = {}
        self.emulator: Emulator | None = None
        self.stack: Stack | None = None
        self.serving: Serving | None = None
        self.triggers: Triggers | None = None
        self.watcher: Watcher | None = None
        self.warm: WarmStart | None = None
        self.gateway_socket = None
        """The gateway's listening socket, held from the preflight until the gateway serves."""
        self.timings: dict[str, object] = {}
        self._lock = None

    def up(self) -> int:
        """Bring everything up, serve until interrupted, then tear down. Returns the exit code
        (1 also when a destroy asked for failed or left something)."""
        begun = time.monotonic()
        # `kill -USR1 <pid>` prints every thread's stack to the runner's stderr: what a poller
        # or the gateway is waiting on, without stopping anything.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        self._lock = claim(self.files)
        self.files.forget_last_run()
        self.record_phase("starting")
        try:
            status = self._run(begun)
        finally:
            teardown = Teardown(self)
            teardown.run()
        return status or (1 if teardown.destroy_problem else 0)

    def _run(self, begun: float) -> int:
        try:
            deployer = self.preflight()
            display = None if self.options.quiet else ProgressDisplay(verbose=self.options.verbose)
            self.stack = Stack(deployer, self.env, display)
            self.warm = WarmStart(self)
            if not self.warm.start():
                self.start_emulator()
                self.stack.deploy(self.timings)
                self.warm.keep()
            self._serve(begun)
            self.warm.check()
            if self.options.watch:
                self._watch()
            self.serving.serve_forever()
            return 0
        except LocalCloudError as error:
            self.files.last_error.write_text(str(error) + "\n", encoding="utf-8")
            return say_error(error)
        except KeyboardInterrupt:
            return 0

    def preflight(self) -> Deployer:
        """Everything that can be checked before starting anything; the stack's deployer."""
        # The synth builds the deployed stack alone, unless the caller names the stacks.
        extra = {**synth.only(self.options.stack, dict(os.environ)), **self.options.extra_env}
        env = cdktf.environment(self.region, extra)
        command = cdktf.cdktf_command(self.root, env)
        check_terraform(env)
        options = self.options
        # The gateway's port is held from here on: a port only checked and let go (0: a free
        # one) could be taken by any process, an outgoing connection's own end included, before
        # the gateway listens on it minutes later.
        self.gateway_socket = listen(options.host, options.port, "local gateway", "--port")
        self.port = self.gateway_socket.getsockname()[1]
        if options.emulator_port:
            ensure_free(options.host, options.emulator_port, "AWS emulator", "--emulator-port")
        changes, note = provider_setup(env, self.files.terraform_config)
        self.env = {**env, **changes}
        say(note)
        return Deployer(
            self.root, options.stack, command, self.files, parallelism=options.parallelism
        )

    def record_phase(self, phase: str) -> None:
        """``run.json`` in ``phase``."""
        data = {
            "pid": os.getpid(),
            "phase": phase,
            "stack": self.options.stack,
            "root": str(self.root),
        }
        if self.emulator and self.emulator.process:
            data["emulatorPid"] = self.emulator.process.pid
            data["emulatorUrl"] = self.emulator.url
        self.files.write_json(self.files.run_file, data)

    def start_emulator(self, restore: bool = False) -> None:
        """The emulator, empty or (``restore``) from the warm start's snapshot."""
        options = self.options
        self.emulator = Emulator(
            options.host,
            options.emulator_port,
            self.files.emulator_log,
            None if os.environ.get(BUILD_BACKENDS_ENV) == "0" else self.region,
            state_file=self.warm.snapshot.emulator_state,
            restore=restore,
        )
        # Said once it serves (its URL and time): a start fits on one screen.
        self.timings["emulator_s"] = round(self.emulator.start(), 2)
        self.env["AWS_ENDPOINT_URL"] = self.emulator.url
        self.record_phase("deploying")

    def _serve(self, begun: float) -> None:
        started = time.monotonic()
        options, outputs = self.options, self.stack.outputs
        self.serving = Serving(
            self.files,
            self.emulator.url,
            self.stack.deployer.stack_dir,
            host=options.host,
            port=self.port,
            sock=self.gateway_socket,
        )
        self.gateway_socket = None  # the gateway's now
        region = outputs.get("Region") or self.region
        self.serving.start(outputs, region, prewarm=options.prewarm)
        self.triggers = Triggers(self.emulator.url, region, self.serving.gateway.code_store)
        self.triggers.start(prewarm=options.prewarm)
        timings = self.timings
        timings["gateway_s"] = round(time.monotonic() - started, 2)
        timings["ready_s"] = round(time.monotonic() - begun, 2)
        self.serving.publish(options.stack, region, self.env, timings)
        say(
            f"ready in {timings['ready_s']:.1f} s, {timings.get('start', 'cold')} start (emulator "
            f"{timings['emulator_s']:.1f}, deploy {timings['deploy_s']:.1f}, gateway "
            f"{timings['gateway_s']:.1f} s); stop: Ctrl-C or python -m localcloud --down"
        )
        self.record_phase("serving")

    def _watch(self) -> None:
        client = aws.session(self.region).client("lambda", endpoint_url=self.emulator.url)
        updates = LiveUpdates(
            root=self.root,
            gateway=self.serving.gateway,
            triggers=self.triggers,
            lambda_client=client,
            packages_dir=self.files.packages,
            redeploy=self.stack.redeploy,
            say=say,
            code_hashes=archive_hashes(self.stack.deployer.stack_dir / "assets"),
        )
        self.watcher = Watcher(self.root, updates.apply)
        self.watcher.start()
        say(
            "watching handlers/ (code updated in place) and stacks/, main.py, cdktf.json "
            "(incremental cdktf deploy)"
        )


class Teardown:
    """The runner's teardown: each step runs whatever the others did (a failure is said and the
    next step runs); what they took goes into ``teardown.json``. It destroys the stack only when
    asked (``--destroy`` at the start, or ``--down --destroy``); a second Ctrl-C or SIGTERM
    stops a destroy under way, and the emulator is dropped as it is."""

    def __init__(self, runner: Runner):
        self.runner = runner
        self.timings: dict[str, object] = {}
        self.destroy_problem: str | None = None
        """Why a destroy asked for did not leave Terraform's state empty (None: it did, or
        none was asked for)."""

    def steps(self):
        """(name, step): a name ending in ``_s`` is timed."""
        runner = self.runner
        return (
            ("record", lambda: runner.record_phase("stopping")),
            ("watch", self._stop_watching),
            ("warm", lambda: runner.warm and runner.warm.stop()),
            ("triggers", lambda: runner.triggers and runner.triggers.close()),
            ("gateway_s", self._stop_serving),
            ("child", self._stop_child),
            ("destroy_total_s", self._destroy),
            ("emulator_stop_s", self._stop_emulator),
            ("files", runner.files.remove_run_state),
        )

    def run(self) -> None:
        """Take everything down."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        begun = time.monotonic()
        try:
            for name, step in self.steps():
                started = time.monotonic()
                try:
                    step()
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    say(f"teardown step failed ({type(exc).__name__}: {exc}); continuing")
                if name.endswith("_s"):
                    self.timings[name] = round(time.monotonic() - started, 2)
            self.timings["teardown_s"] = round(time.monotonic() - begun, 2)
            files = self.runner.files
            if self.destroy_problem:
                self.timings["destroy_problem"] = self.destroy_problem
            with contextlib.suppress(OSError):
                files.write_json(files.teardown_file, self.timings)
            kept = (
                "; the snapshot of the deploy is kept for the next start"
                if files.warm.exists()
                else ""
            )
            say(
                f"torn down in {self.timings['teardown_s']} s: nothing of the local "
                f"cloud is running any more{kept}"
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, _signum, _frame) -> None:
        stack = self.runner.stack
        if stack is not None and stack.deployer.child.interrupt():
            say("interrupted again: stopping the destroy and dropping the emulator as it is")

    def _stop_watching(self) -> None:
        watcher = self.runner.watcher
        if watcher is not None:
            watcher.stop()
            self._stop_child()  # a redeploy under way
            watcher.join(60)

    def _stop_serving(self) -> None:
        runner = self.runner
        if runner.gateway_socket is not None:  # it never served
            runner.gateway_socket.close()
            runner.gateway_socket = None
        if runner.serving is not None:
            runner.serving.stop()

    def _stop_child(self) -> None:
        if self.runner.stack is not None:
            self.runner.stack.deployer.child.stop()

    def _destroy(self) -> None:
        runner = self.runner
        if not (runner.options.destroy or runner.files.destroy_request.exists()):
            return  # the emulator's exit takes what was deployed with it
        self.timings["destroy_asked"] = True
        emulator_runs = runner.emulator is not None and runner.emulator.process is not None
        if runner.stack is not None and emulator_runs:
            self.destroy_problem = runner.stack.destroy(self.timings)

    def _stop_emulator(self) -> None:
        if self.runner.emulator is not None:
            self.runner.emulator.stop()
            say("emulator stopped")
