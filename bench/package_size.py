"""The deployment packages' sizes: the handlers' zip as stacks/base/packaging.py stages it and the
Powertools layer, next to Lambda's documented limits."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

from bench.common import HANDLERS, RESULTS, ratio

_CACHES = {"__pycache__", ".pytest_cache"}
# Lambda's documented package limits.
ZIP_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024


def package_files(source: Path) -> list[Path]:
    """The files ``stacks/base/packaging.py`` would stage: all of ``source`` minus interpreter
    caches."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and not _CACHES.intersection(path.relative_to(source).parts)
        and path.suffix != ".pyc"
    )


def zip_size(source: Path) -> dict[str, int]:
    """Files, bytes and deflated zip bytes of ``source`` packaged as the functions' asset."""
    files = package_files(source)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(source).as_posix())
    return {
        "files": len(files),
        "unzipped_bytes": sum(path.stat().st_size for path in files),
        "zipped_bytes": len(buffer.getvalue()),
    }


def _installed(package: str) -> Path:
    module = __import__(package)
    return Path(module.__file__).parent


def package_sizes() -> dict[str, dict[str, int]]:
    """The handlers' zip, the Powertools layer's package and the last synth's asset, if any."""
    sizes = {
        "handlers/ (as packaged)": zip_size(HANDLERS),
        "aws_lambda_powertools (layer)": zip_size(_installed("aws_lambda_powertools")),
    }
    synthesized = RESULTS / "synth-out" / "archive.zip"
    if synthesized.exists():
        with zipfile.ZipFile(synthesized) as archive:
            infos = archive.infolist()
        sizes["synthesized asset archive.zip"] = {
            "files": len(infos),
            "unzipped_bytes": sum(info.file_size for info in infos),
            "zipped_bytes": os.path.getsize(synthesized),
        }
    return sizes


def size_rows(sizes: dict[str, dict[str, int]]) -> list[list[Any]]:
    """The zip table: each package next to the handlers' zip, then Lambda's limit."""
    package = sizes["handlers/ (as packaged)"]
    rows: list[list[Any]] = [
        [
            name,
            s["files"],
            s["unzipped_bytes"] / 1024,
            s["zipped_bytes"] / 1024,
            ratio(s["zipped_bytes"], package["zipped_bytes"]),
        ]
        for name, s in sizes.items()
    ]
    rows.append(
        [
            "Lambda limit (direct upload)",
            None,
            UNZIPPED_LIMIT / 1024,
            ZIP_LIMIT / 1024,
            ratio(ZIP_LIMIT, package["zipped_bytes"]),
        ]
    )
    return rows
