"""How a runner and other shells agree on what runs in a project: a new runner's claim on it (a
lock), ``python -m localcloud --down`` and ``--wait`` from another shell, and the cleanup after a
runner that died without tearing down. All of it goes through the run's files
(``localcloud.base.run_files``) and signals; nothing asks the runner anything."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from localcloud import PROJECT_ROOT
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say
from localcloud.base.processes import process_alive, runs, signal_group
from localcloud.base.run_files import RunFiles

SETTLE_S = 15.0
"""How long no runner may run before ``--wait`` gives up on one starting."""


def claim(files: RunFiles) -> IO[str]:
    """Take the project for a new run: its lock, held as long as the returned file is open (by
    this process, until it exits); refused when another run holds it. What a dead run left is
    cleared."""
    files.work.mkdir(parents=True, exist_ok=True)
    # Held (and so locked) until the process exits.
    lock = open(files.lock, "w", encoding="utf-8")  # noqa: SIM115  pylint: disable=consider-using-with
    previous = files.read_run()
    pid = previous.get("pid")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(f"{os.getpid()}\n")  # also marks when this run started
        lock.flush()
    except BlockingIOError:
        raise _running(pid if isinstance(pid, int) else "unknown") from None
    if isinstance(pid, int) and pid != os.getpid() and process_alive(pid):
        raise _running(pid)
    cleanup_stale(files, previous)
    return lock


def _running(pid) -> LocalCloudError:
    return LocalCloudError(
        f"The local cloud is already running here (pid {pid}); stop it with "
        "`python -m localcloud --down` first."
    )


def cleanup_stale(files: RunFiles, previous: dict) -> None:
    """Clear what a runner that died without tearing down left behind (``previous``: its
    ``run.json``): its emulator, if that still runs, and its run state."""
    emulator_pid = previous.get("emulatorPid")
    if (
        isinstance(emulator_pid, int)
        and process_alive(emulator_pid)
        and runs(emulator_pid, b"moto")
    ):
        signal_group(emulator_pid, signal.SIGKILL)
    files.remove_run_state()


def down(
    root: Path = PROJECT_ROOT, timeout: float = 900.0, forget: bool = False, destroy: bool = False
) -> int:
    """Ask a running local cloud to tear down, and wait until it has; ``forget``: remove the
    warm start's snapshot too (kept otherwise, see ``localcloud.deploy.warm``); ``destroy``:
    ``terraform destroy`` the stack first, and fail unless its state is left empty."""
    status = _down(RunFiles(root), timeout, destroy)
    if forget:
        snapshot = RunFiles(root).warm
        if snapshot.exists():
            shutil.rmtree(snapshot, ignore_errors=True)
            say("the snapshot of the last deploy is forgotten: the next start deploys cold")
    return status


def _down(files: RunFiles, timeout: float, destroy: bool) -> int:
    state = files.read_run()
    if not state:
        cleanup_stale(files, {})
        say("the local cloud is not running here")
        return 0
    pid = state.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        cleanup_stale(files, state)
        say("cleaned up after a local cloud that had stopped without tearing down")
        return 0
    files.teardown_file.unlink(missing_ok=True)
    if destroy:
        files.destroy_request.write_text(f"{os.getpid()}\n", encoding="utf-8")
    say(f"asking the local cloud (pid {pid}) to {'destroy the stack and ' if destroy else ''}stop")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            raise LocalCloudError(
                f"The local cloud (pid {pid}) did not finish tearing down within {timeout:.0f} s; "
                f"see {files.destroy_log}."
            )
        time.sleep(0.2)
    if destroy:
        _check_destroyed(files)
    say("the local cloud is down")
    return 0


def _check_destroyed(files: RunFiles) -> None:
    """The runner's ``teardown.json`` after ``--down --destroy``: the destroy ran and left
    Terraform's state empty."""
    try:
        teardown = RunFiles.read_json(files.teardown_file)
    except (OSError, ValueError):
        raise LocalCloudError(
            f"The local cloud stopped without saying how its teardown went ({files.teardown_file})."
        ) from None
    if teardown.get("destroy_problem"):
        raise LocalCloudError(f"The local cloud is down, but {teardown['destroy_problem']}.")
    if not teardown.get("destroy_asked"):
        raise LocalCloudError("The local cloud is down, but it did not see the destroy asked for.")


def wait_ready(
    root: Path = PROJECT_ROOT, timeout: float = 900.0, ready_file: Path | None = None
) -> int:
    """Wait until a runner started in the background serves (print the API URL) or fails."""
    files = RunFiles(root, ready_file)
    begun = time.time()
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        url = _serving(files)
        if url:
            print(url, flush=True)
            return 0
        pid = files.read_run().get("pid")
        # Files left by an earlier run are replaced within seconds when a new runner starts.
        if isinstance(pid, int) and process_alive(pid):
            quiet_since = None
        else:
            quiet_since = quiet_since or time.monotonic()
        settled = quiet_since is not None and time.monotonic() - quiet_since > SETTLE_S
        failed = files.last_error.exists() and (settled or _is_latest(files, begun))
        if failed or settled:
            raise _stopped(files)
        time.sleep(0.1)  # a file read and a connect: a script waiting on it starts sooner
    raise LocalCloudError(f"The local cloud was not ready within {timeout:.0f} s.")


def _serving(files: RunFiles) -> str | None:
    """The API URL of ``ready.json`` once it answers."""
    if not files.ready_file.exists():
        return None
    url = RunFiles.read_json(files.ready_file)["apiUrl"]
    return url if _answers(url) else None


def _stopped(files: RunFiles) -> LocalCloudError:
    last_error = files.last_error
    reason = last_error.read_text(encoding="utf-8").strip() if last_error.exists() else ""
    return LocalCloudError(
        "The local cloud stopped before it was ready"
        + (f": {reason}" if reason else " (or was never started).")
    )


def _is_latest(files: RunFiles, begun: float) -> bool:
    """Whether ``last-error`` was written by the latest run (each run rewrites its lock file)."""
    try:
        written = files.last_error.stat().st_mtime
        return written >= begun - 2 or written >= files.lock.stat().st_mtime
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
