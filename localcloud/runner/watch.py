"""Watch mode: a saved change under ``handlers/`` or ``stacks/`` goes live on the running local
cloud (``python -m localcloud --watch``).

The project's files are polled (a few dozen ``stat`` calls every tenth of a second: no watcher
library, nothing that differs between Linux and macOS). A burst of saves is taken as one change
once the files have been quiet for a moment (counted from the last write's modification time,
so a save that a poll finds already that old goes on at once). What to do with it is the
runner's business:

- ``handlers/`` only: the functions' code (``package`` builds the zip the synth would: the
  directory as it is, minus interpreter caches) is served at once by new workers, then sent to
  the emulator with UpdateFunctionCode, so the deployed CodeSha256 is the code that runs;
- ``stacks/``, ``main.py`` or ``cdktf.json``: an incremental ``cdktf deploy``.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.base.errors import LocalCloudError
from localcloud.base.polling import Poller
from localcloud.gateway.snapshot import start_workers

CODE_DIR = "handlers"
STACK_PATHS = ("stacks", "main.py", "cdktf.json")
IGNORED_PARTS = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Every entry's date in a package, so that the same code makes the same CodeSha256."""


def _watched_files(root: Path, names) -> dict[Path, tuple[int, int]]:
    found = {}
    for name in names:
        top = root / name
        paths = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in paths:
            parts = path.relative_to(root).parts
            if any(part in IGNORED_PARTS for part in parts) or path.suffix in (".pyc", ".pyo"):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue  # removed while listing
            if path.is_file():
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def package(source: Path, target_dir: Path) -> Path:
    """Zip ``source`` (minus caches) into ``target_dir``; the same files give the same bytes."""
    target_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(_watched_files(source.parent, (source.name,)))
    partial = target_dir / f".package-{threading.get_ident()}.partial"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(source).as_posix(), ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, path.read_bytes())
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()[:16]
    target = target_dir / f"{source.name}-{digest}.zip"
    partial.replace(target)
    for old in target_dir.glob(f"{source.name}-*.zip"):
        if old != target and time.time() - old.stat().st_mtime > 60:
            old.unlink(missing_ok=True)  # the gateway has long extracted what it needed
    return target


@dataclass(frozen=True)
class Change:
    """What one burst of saves touched (paths relative to the project)."""

    code: tuple[str, ...]
    stack: tuple[str, ...]
    saved: float = 0.0
    """When the last of them was written (seconds since the epoch; 0: all were removed)."""


class Watcher(Poller):
    """Polls the project and calls ``on_change(Change)`` for each burst of saves, one at a time
    (a change saved while the previous one is applied is picked up next)."""

    def __init__(self, root: Path, on_change, interval: float = 0.1, settle: float = 0.05):
        super().__init__("localcloud-watch", interval, self._look)
        self.root = Path(root)
        self.on_change = on_change
        self.settle = settle
        self._seen = self._scan()

    def _scan(self) -> dict[Path, tuple[int, int]]:
        return _watched_files(self.root, (CODE_DIR, *STACK_PATHS))

    def _unsettled(self, now: dict) -> float:
        """How long to wait before the changes in ``now`` count as settled: ``settle`` seconds
        after the latest write (a poll often comes that long after it already: no wait)."""
        written = [now[p][0] / 1e9 for p in self._diff(now) if p in now]
        if not written:
            return self.settle  # only removals: no time to go by
        return min(max(self.settle - (time.time() - max(written)), 0.0), self.settle)

    def _diff(self, now: dict) -> set[Path]:
        return {p for p in set(now) | set(self._seen) if now.get(p) != self._seen.get(p)}

    def _look(self) -> None:
        now = self._scan()
        if not self._diff(now):
            return
        while self.pause(self._unsettled(now)):  # let an editor finish writing
            later = self._scan()
            if later == now:
                break
            now = later
        changed = self._diff(now)
        self._seen = now
        if changed and not self.stopped:
            relative = sorted(str(p.relative_to(self.root)) for p in changed)
            code = tuple(p for p in relative if Path(p).parts[0] == CODE_DIR)
            stack = tuple(p for p in relative if Path(p).parts[0] in STACK_PATHS)
            saved = max((now[p][0] for p in changed if p in now), default=0) / 1e9
            self.on_change(Change(code, stack, saved))


def archive_hashes(directory: Path) -> set[str]:
    """CodeSha256 of every zip under ``directory`` (the synth's packages of ``handlers/``)."""
    return {
        base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
        for path in sorted(Path(directory).rglob("*.zip"))
    }


class LiveUpdates:  # pylint: disable=too-few-public-methods
    """Applies each ``Change`` to the running local cloud.

    ``gateway``: the serving ``Gateway``; ``triggers``: the running ``Triggers`` (their functions
    are updated too); ``lambda_client``: boto3's, on the emulator;
    ``redeploy()``: runs the incremental deploy and returns what it changed (raises
    ``LocalCloudError`` when it fails); ``say``: the runner's output.
    """

    def __init__(  # pylint: disable=too-many-arguments
        self,
        *,
        root,
        gateway,
        lambda_client,
        packages_dir,
        redeploy,
        say,
        code_hashes,
        triggers=None,
    ):
        self.root = Path(root)
        self.gateway = gateway
        self.triggers = triggers
        self.lambda_client = lambda_client
        self.packages_dir = Path(packages_dir)
        self.redeploy = redeploy
        self.say = say
        self.code_hashes = set(code_hashes)
        """CodeSha256 values that are packages of ``handlers/`` (a function running another
        package is left alone)."""
        gateway.keep_spares()  # a save's new workers start in them, their libraries imported

    def apply(self, change: Change) -> None:
        """Make ``change`` live; a failure is reported and the previous state keeps serving."""
        started = time.monotonic()
        try:
            if change.stack:
                what = self.redeploy()
                self.code_hashes |= archive_hashes(self.root / "cdktf.out")
                self._reload()
                self.say(
                    f"{_listed(change.stack + change.code)} changed: redeployed in "
                    f"{time.monotonic() - started:.1f} s ({what})"
                )
            elif change.code:
                self._update_code(change, started)
        except LocalCloudError as error:
            self.say(f"{_listed(change.stack + change.code)} changed, but {error}")
            self.say("still serving what was deployed before; the next save tries again")

    def _update_code(self, change: Change, started: float) -> None:
        noticed = max(time.time() - change.saved, 0.0) if change.saved else 0.0
        archive = package(self.root / CODE_DIR, self.packages_dir)
        data = archive.read_bytes()
        sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
        pools = dict(self.triggers.invoker.pools) if self.triggers else {}
        pools.update(self.gateway.served.pools)
        names = sorted(n for n, p in pools.items() if p.spec.code_sha256 in self.code_hashes)
        if not names:
            self.say(f"{_listed(change.code)} changed, but no served function runs handlers/")
            return
        packaged = time.monotonic()
        self.code_hashes.add(sha)
        # The new code serves first; the emulator gets it right after (see update_code).
        swap = self.gateway.update_code({name: sha for name in names}, self._deploy(data))
        self._report(swap.failures)
        live = noticed + swap.served_at - started
        if self.triggers is not None:
            self._report(self.triggers.reload_functions())
        self.say(
            f"{_listed(change.code)} changed: {', '.join(names)} run CodeSha256 {sha} (live "
            f"{live:.2f} s after the save: noticed {noticed:.2f}, packaged "
            f"{packaged - started:.2f}, workers {swap.served_at - packaged:.2f}; deployed "
            f"{swap.deployed_at - swap.served_at:.2f} s later)"
        )

    def _deploy(self, data: bytes):
        """``deploy(names)`` for ``Gateway.update_code``: UpdateFunctionCode with ``data``."""

        def deploy(names: list[str]) -> None:
            for name in names:
                try:
                    self.lambda_client.update_function_code(FunctionName=name, ZipFile=data)
                except (BotoCoreError, ClientError) as exc:
                    raise LocalCloudError(
                        f"the emulator refused {name}'s new code ({exc})"
                    ) from None

        return deploy

    def _reload(self) -> None:
        """The gateway reads what is deployed again (a redeploy); each function starts a worker
        at once, so an import error shows now, not at the next request. The gateway's own
        polling may have read the redeploy first (``refresh()`` then finds nothing new): the
        workers start all the same, so a broken deploy is always said."""
        self.gateway.refresh()
        self._report(start_workers(self.gateway.served.pools))
        if self.triggers is not None:
            self.triggers.apply(self.triggers.read())
            self._report(self.triggers.reload_functions())

    def _report(self, failures: dict[str, Exception]) -> None:
        for name, exc in sorted(failures.items()):
            self.say(
                f"{name} does not start: {exc} (its requests answer 502 until a save fixes "
                "it; the traceback is in the gateway's output above)"
            )


def _listed(paths) -> str:
    paths = list(paths)
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
