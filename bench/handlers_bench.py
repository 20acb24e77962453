"""Lambda init: each handler's cold import next to its libraries alone; the deployment zip's size.

``python -m bench.handlers_bench [--runs N]``

1. Cold import of each handler module in a fresh interpreter (``handlers/`` on the path, as the
   Lambda runtime has its zip root): the CPU time the child spends from before the import to
   after it (interpreter start-up excluded; CPU rather than wall time, which other processes'
   load distorts), median of ``--runs``. Next to it, in the same run: ``boto3``
   plus the Powertools modules that handler uses, alone (the floor any such handler pays); then
   that floor plus what the handler's import-time objects cost on top: ``Tracer()`` (it loads the
   X-Ray SDK even with tracing disabled), then its boto3 clients (each loads its service model).
   What remains is the handler's own code. The cases run interleaved, so load hits them alike.
2. The deployment zip: ``handlers/`` minus bytecode caches (as ``stacks/packaging.py`` stages it),
   deflated; the asset of the last synth when ``bench/results/synth-out/archive.zip`` exists; next
   to the Powertools package it does not ship (the public layer provides it) and Lambda's limits.

Per-request figures are in ``bench/requests_bench.py``.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from bench.common import (
    HANDLER_ENV,
    HANDLERS,
    PYTHON,
    RESULTS,
    child_env,
    describe_machine,
    median,
    ratio,
    table,
    write_json,
)

_POWERTOOLS = (
    "import boto3; from aws_lambda_powertools import Logger, Tracer; "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "import fastjsonschema"
)
BASELINES = {
    "products": _POWERTOOLS,
    "users": _POWERTOOLS,
    "orders": _POWERTOOLS
    + "; from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer",
}
# What the handler's import-time objects cost on top: Tracer() loads the X-Ray SDK even when
# tracing is disabled; each boto3 client loads its service model.
TRACER = "; Tracer()"
CLIENTS = {
    "products": "; boto3.client('dynamodb')",
    "users": "; boto3.client('dynamodb')",
    "orders": "; boto3.client('dynamodb'); boto3.session.Session().client('dynamodb')",
}
_CACHES = {"__pycache__", ".pytest_cache"}
# Lambda's documented package limits.
ZIP_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024


def cold_import(statement: str) -> float:
    """CPU milliseconds ``statement`` takes in a fresh interpreter (start-up excluded).

    CPU time (``time.process_time``), not wall time: on a shared machine the wall time of a
    300 ms import swings by half with other processes' load; its CPU time hardly moves.
    """
    env = child_env(**HANDLER_ENV, PYTHONPATH=str(HANDLERS), PYTHONDONTWRITEBYTECODE="1")
    script = f"import time; t = time.process_time(); {statement}; print(time.process_time() - t)"
    done = subprocess.run(
        [PYTHON, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no error output"]
        raise RuntimeError(f"Importing failed for `{statement}`: {tail[0]}")
    return float(done.stdout.strip().splitlines()[-1]) * 1000


def cold_imports(runs: int) -> dict[str, dict[str, float]]:
    """Median of ``runs`` for every module and reference, interleaved so that load hits all."""
    cases = {
        module: {
            "handler_ms": f"import {module}",
            "libraries_ms": baseline,
            "libraries_tracer_ms": baseline + TRACER,
            "libraries_tracer_clients_ms": baseline + TRACER + CLIENTS[module],
        }
        for module, baseline in BASELINES.items()
    }
    samples: dict[tuple[str, str], list[float]] = {
        (module, key): [] for module, statements in cases.items() for key in statements
    }
    for _ in range(runs):
        for module, statements in cases.items():
            for key, statement in statements.items():
                samples[(module, key)].append(cold_import(statement))
    return {
        module: {key: median(samples[(module, key)]) for key in statements}
        for module, statements in cases.items()
    }


def package_files(source: Path) -> list[Path]:
    """The files ``stacks/packaging.py`` would stage: all of ``source`` minus interpreter caches."""
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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Print both tables and write ``bench/results/handlers.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.handlers_bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per figure")
    args = parser.parse_args(argv)

    imports = cold_imports(args.runs)
    rows = [
        [
            module,
            f["handler_ms"],
            f["libraries_ms"],
            f["libraries_tracer_ms"],
            f["libraries_tracer_clients_ms"],
            f["handler_ms"] - f["libraries_tracer_clients_ms"],
            ratio(f["handler_ms"], f["libraries_ms"]),
        ]
        for module, f in imports.items()
    ]
    print(
        table(
            f"Lambda init: cold import, CPU ms, median of {args.runs} fresh interpreters ("
            f"{describe_machine()})",
            [
                "module",
                "handler",
                "boto3+powertools",
                "+Tracer()",
                "+clients",
                "handler own",
                "vs libraries",
            ],
            rows,
        )
    )

    package = zip_size(HANDLERS)
    powertools = zip_size(_installed("aws_lambda_powertools"))
    synthesized = RESULTS / "synth-out" / "archive.zip"
    sizes = {"handlers/ (as packaged)": package, "aws_lambda_powertools (layer)": powertools}
    if synthesized.exists():
        with zipfile.ZipFile(synthesized) as archive:
            infos = archive.infolist()
        sizes["synthesized asset archive.zip"] = {
            "files": len(infos),
            "unzipped_bytes": sum(info.file_size for info in infos),
            "zipped_bytes": os.path.getsize(synthesized),
        }
    rows = [
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
    print()
    print(
        table(
            "Deployment zip (KiB)",
            ["package", "files", "unzipped", "zipped", "vs handlers zip"],
            rows,
        )
    )
    data = {"runs": args.runs, "cold_import": imports, "package": sizes}
    write_json("handlers", data)
    return data


if __name__ == "__main__":
    main()
