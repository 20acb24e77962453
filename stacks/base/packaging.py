"""The functions' code directory as it is, minus interpreter caches."""

import contextlib
import hashlib
import shutil
import tempfile
from pathlib import Path

_ignore_caches = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def clean_copy(source: Path) -> Path:
    """A content-addressed copy of ``source`` without bytecode caches.

    Running the tests writes ``__pycache__`` into ``handlers/``; packaging those would change the
    asset (and make ``cdktf diff`` show a code change) although the code did not change.
    """
    staging = Path(tempfile.mkdtemp(prefix="ecommerce-lambda-staging-"))
    copy = staging / source.name
    shutil.copytree(source, copy, ignore=_ignore_caches)
    digest = hashlib.sha256()
    for path in sorted(p for p in copy.rglob("*") if p.is_file()):
        digest.update(path.relative_to(copy).as_posix().encode() + b"\0" + path.read_bytes())
    target = Path(tempfile.gettempdir()) / f"ecommerce-lambda-{digest.hexdigest()[:16]}"
    if not (target / source.name).exists():
        target.mkdir(parents=True, exist_ok=True)
        # A concurrent synth may have placed the identical copy first.
        with contextlib.suppress(OSError):
            copy.rename(target / source.name)
    shutil.rmtree(staging, ignore_errors=True)
    return target / source.name
