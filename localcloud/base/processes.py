"""The local cloud's processes: what a program answers when asked (its version), whether one
runs, what runs below it, and stopping a process group (the emulator, cdktf with its Terraform, a
function's worker) so that nothing is left behind."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from pathlib import Path

GENTLE = ((signal.SIGINT, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, None))
"""Terraform stops cleanly on SIGINT: give it time, then less patience, then none."""
AT_ONCE = ((signal.SIGKILL, None),)
"""For a child that writes nothing worth finishing (a ``terraform plan -lock=false``): on SIGINT
Terraform still waits for the provider's calls in flight, 15 s and more on a busy machine."""


def die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux, in a child before exec: SIGTERM when the runner dies without tearing down."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def printed(argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> str | None:
    """What ``argv`` prints on its standard output when it runs and exits 0 within ``timeout``
    seconds (``env``: its environment, by default this process's); None when it cannot start,
    fails or takes longer (a missing program, a broken shim, one that hangs)."""
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


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


def runs(pid: int, program: bytes) -> bool:
    """Whether ``pid``'s command line mentions ``program`` (so a reused pid is left alone)."""
    try:
        return program in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (by parent), whatever its session."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = set(), [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid``, if it still exists (and is ours)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def stop_process_group(process: subprocess.Popen, steps=GENTLE) -> None:
    """Stop a child's process group: each ``(signal, seconds to wait)`` of ``steps`` in turn
    until it exits (``None``: wait for good); it is reaped."""
    if process.poll() is not None:
        return
    for sig, wait in steps:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


class RunningChild:
    """The child process that a step runs now, if any (cdktf, Terraform), so that another
    thread or a signal handler can stop it."""

    def __init__(self):
        self.process: subprocess.Popen | None = None

    def started(self, process: subprocess.Popen) -> None:
        """``process`` runs now."""
        self.process = process

    def finished(self) -> None:
        """No child runs any more."""
        self.process = None

    def stop(self, steps=GENTLE) -> bool:
        """Stop the child's group (gently: ``GENTLE``), if one runs; whether one did."""
        process, self.process = self.process, None
        if process is None:
            return False
        stop_process_group(process, steps)
        return True

    def interrupt(self) -> bool:
        """SIGTERM to the child's group at once, if one runs; whether one did."""
        process = self.process
        if process is None or process.poll() is not None:
            return False
        signal_group(process.pid, signal.SIGTERM)
        return True
