"""The embedded AWS: moto's server as a child process on a loopback port."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from localcloud.base.errors import LocalCloudError
from localcloud.base.polling import Poller
from localcloud.base.ports import ensure_free
from localcloud.base.processes import die_with_parent, stop_process_group

EMULATOR_ENV = {
    # AWS-managed policies (AWSLambdaBasicExecutionRole, ...) exist only when loaded.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    # moto checks every call against the caller's policies after this many unchecked ones.
    "INITIAL_NO_AUTH_ACTION_COUNT": "0",
}


SAVE_STATE_PATH = "/_localcloud/save-state"
"""Where the emulator (``localcloud.emulator.moto_server``) takes a request to save its state."""

UNIMPLEMENTED = re.compile(r"NotImplementedError: The (\w+) action has not been implemented")


class UnimplementedWatch(Poller):
    """Watches the emulator's log for an action it does not implement but keeps being asked for
    (Terraform retries such a call for many minutes), and calls ``on_stuck`` once."""

    def __init__(self, log_path: Path, on_stuck, threshold: int = 20, interval: float = 1.0):
        super().__init__("emulator-watch", interval, self._read)
        self.log_path = Path(log_path)
        self.on_stuck = on_stuck
        self.threshold = threshold
        self.action: str | None = None
        self._counts: Counter[str] = Counter()
        self._rest = ""
        try:
            self._offset = self.log_path.stat().st_size
        except OSError:
            self._offset = 0

    def _read(self) -> bool:
        """Count what the log says since the last read; True once stuck."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._offset)
                chunk = log.read()
        except OSError:
            return False
        self._offset += len(chunk)
        text = self._rest + chunk.decode("utf-8", errors="replace")
        text, _, self._rest = text.rpartition("\n")
        self._counts.update(UNIMPLEMENTED.findall(text))
        worst = self._counts.most_common(1)
        if worst and worst[0][1] >= self.threshold:
            self.action = worst[0][0]
            self.on_stuck()
            return True
        return False


class Emulator:  # pylint: disable=too-many-instance-attributes
    """moto's server (as ``localcloud.emulator.moto_server`` runs it) on ``host:port`` (port 0: a
    free one), logging to ``log_path``; ``warm_region``: build the deploy's backends there at once;
    ``state_file``: where ``save_state()`` writes its state (``restore``: start from it);
    ``extra_env``: variables of the server's environment (``LOCALCLOUD_IAM_LOG``...)."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        host: str,
        port: int,
        log_path: Path,
        warm_region: str | None = None,
        *,
        state_file: Path | None = None,
        restore: bool = False,
        extra_env: dict[str, str] | None = None,
    ):
        self.host = host
        self.port = port
        self.log_path = Path(log_path)
        self.warm_region = warm_region
        self.state_file = state_file
        self.restore = restore
        self.extra_env = dict(extra_env or {})
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The endpoint to give AWS clients (AWS_ENDPOINT_URL)."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        """Start the server and wait until it answers; return how long that took."""
        started = time.monotonic()
        self.port = ensure_free(self.host, self.port, "AWS emulator", "--emulator-port")
        self.process = self._spawn()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalCloudError(
                    f"The AWS emulator (moto) did not start: {self._last_log_line()} "
                    f"(log: {self.log_path})."
                )
            if self.answers():
                return time.monotonic() - started
            time.sleep(0.1)
        self.stop()
        raise LocalCloudError(
            f"The AWS emulator (moto) did not start: it did not answer on {self.url} within "
            f"{timeout:.0f} s (log: {self.log_path})."
        )

    def _spawn(self) -> subprocess.Popen:
        """The server's process, in a session of its own, logging to ``log_path``."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # The log file is handed to the child; the Popen lives as long as the emulator runs.
        # pylint: disable-next=consider-using-with
        log = open(self.log_path, "wb")  # noqa: SIM115
        env = {**os.environ, **EMULATOR_ENV, **self.extra_env}
        # The child imports localcloud.emulator.moto_server whatever its working directory.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_root, env.get("PYTHONPATH"))))
        command = [sys.executable, "-m", "localcloud.emulator.moto_server", "-H", self.host]
        command += ["-p", str(self.port)]
        if self.warm_region:
            command += ["--warm", self.warm_region]
        if self.state_file:
            command += ["--state-file", str(self.state_file), *(["--restore"] * self.restore)]
        try:
            return subprocess.Popen(  # pylint: disable=consider-using-with,W1509
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                # Started from the main thread before any other thread exists.
                preexec_fn=die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
        except OSError as exc:
            raise LocalCloudError(
                f"The AWS emulator (moto) did not start: {exc.strerror}."
            ) from None
        finally:
            log.close()

    def answers(self) -> bool:
        """Whether the server answers HTTP."""
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def save_state(self, timeout: float = 300.0) -> dict:
        """Write the emulator's state to ``state_file`` (``localcloud.emulator.state``); its size
        and how long it took."""
        request = urllib.request.Request(self.url + SAVE_STATE_PATH, data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}").get("error", error.reason)
            raise LocalCloudError(f"The emulator's state could not be saved: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LocalCloudError(f"The emulator's state could not be saved: {exc}") from None

    def _last_log_line(self) -> str:
        try:
            lines = [
                line.strip()
                for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
                if line.strip()
            ]
        except OSError:
            lines = []
        return lines[-1] if lines else f"it exited with status {self.process.returncode}"

    def stop(self, grace: float = 10.0) -> None:
        """Stop the server and reap it."""
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process, ((signal.SIGTERM, grace), (signal.SIGKILL, None)))
