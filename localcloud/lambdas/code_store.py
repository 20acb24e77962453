"""The deployment packages of the functions, found by their CodeSha256.

moto keeps a function's zip but does not serve it (``Code.Location`` is not fetchable), so the
package is looked up by hash among the archives that were deployed (by default the assets under
``cdktf.out``). A function whose deployed code matches no archive is refused: its requests fail
and the log says why.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
import uuid
import zipfile
from pathlib import Path

from localcloud.lambdas.function_spec import FunctionSpec


class CodeMismatch(Exception):
    """No deployment package matches the function's deployed CodeSha256."""


def sha256_b64(data: bytes) -> str:
    """CodeSha256 as Lambda reports it: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class CodeStore:
    """Finds deployment packages by their CodeSha256 and extracts them once."""

    def __init__(self, search_dirs: list[Path], extract_root: Path):
        self.search_dirs = [Path(d) for d in search_dirs]
        self.extract_root = Path(extract_root)
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def _candidates(self):
        for directory in self.search_dirs:
            if directory.is_file():
                yield directory
            elif directory.is_dir():
                yield from sorted(directory.rglob("*.zip"))

    def find(self, code_sha256: str) -> Path | None:
        """The archive whose SHA-256 equals ``code_sha256``, if any."""
        with self._lock:
            for path in self._candidates():
                stat = path.stat()
                key = (str(path), stat.st_size, stat.st_mtime_ns)
                if key not in self._hashes:
                    self._hashes[key] = sha256_b64(path.read_bytes())
                if self._hashes[key] == code_sha256:
                    return path
        return None

    def extract(self, spec: FunctionSpec) -> Path:
        """The function's code, extracted from the matching archive (checked again on read)."""
        archive = self.find(spec.code_sha256)
        where = ", ".join(str(d) for d in self.search_dirs) or "nowhere"
        if archive is None:
            raise CodeMismatch(
                f"The deployed code of function {spec.name} (CodeSha256 {spec.code_sha256}) "
                f"matches no deployment package under {where}; redeploy the stack."
            )
        data = archive.read_bytes()
        if sha256_b64(data) != spec.code_sha256:
            raise CodeMismatch(
                f"The package {archive} changed while being read for function {spec.name}; "
                "redeploy the stack."
            )
        digest = hashlib.sha256(data).hexdigest()[:16]
        target = self.extract_root / f"{spec.name}-{digest}"
        if not target.is_dir():
            partial = target.with_name(target.name + f".partial-{uuid.uuid4().hex[:8]}")
            with zipfile.ZipFile(archive) as package:
                package.extractall(partial)
            with contextlib.suppress(OSError):  # another thread extracted it first
                partial.rename(target)
        return target
