"""``python -m bench``: every benchmark in turn, each printing its tables and writing its JSON.

Options: ``--quick`` (1 synth run, 20 requests per route, 5 s per load level), ``--unit-tests``
(also time ``pytest tests/stacks``, about a minute), ``--no-localcloud`` (skip the local cloud, the
slowest part: a real ``cdktf deploy`` and ``destroy`` on the emulator), ``--localcloud-ref REF``
(deploy the stacks and handlers of that git commit in the local cloud instead of the working tree).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from bench import (
    cost,
    gateway_auth_bench,
    handlers_bench,
    localcloud_bench,
    requests_bench,
    synth_bench,
    watch_bench,
)
from bench.common import RESULTS, describe_machine, write_json
from localcloud.base import arguments


def main(argv: list[str] | None = None) -> int:
    """Run everything; a benchmark that fails is reported and the others still run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, shorter loads")
    parser.add_argument("--unit-tests", action="store_true", help="also time the unit suite")
    parser.add_argument("--no-localcloud", action="store_true", help="skip the local cloud")
    parser.add_argument(
        "--localcloud-ref",
        type=arguments.commit,
        help="deploy this git commit's stacks in the local cloud",
    )
    args = parser.parse_args(argv)
    synth_out = RESULTS / "synth-out"
    synth_args = ["--runs", "1" if args.quick else "3", "--keep", str(synth_out)]
    if args.unit_tests:
        synth_args.append("--unit-tests")
    steps = [
        ("synth", synth_bench.main, synth_args),
        ("Lambda init", handlers_bench.main, ["--runs", "3" if args.quick else "5"]),
        ("per request", requests_bench.main, ["--requests", "20" if args.quick else "40"]),
        ("money", cost.main, ["--from", str(synth_out)]),
        ("token check", gateway_auth_bench.main, ["--requests", "100" if args.quick else "300"]),
    ]
    if not args.no_localcloud:
        local_args = ["--seconds", "5" if args.quick else "10"]
        if args.localcloud_ref:
            local_args += ["--ref", args.localcloud_ref]
        steps.append(("local cloud", localcloud_bench.main, local_args))
        steps.append(("watch mode", watch_bench.main, ["--saves", "3" if args.quick else "5"]))
    print(f"Machine: {describe_machine()}\n", flush=True)
    began = time.perf_counter()
    failed = []
    for name, run, step_args in steps:
        print(f"=== {name} ({' '.join(step_args)}) ===", flush=True)
        started = time.perf_counter()
        try:
            run(step_args)
        except Exception as error:  # pylint: disable=broad-exception-caught
            failed.append(name)
            print(f"The {name} benchmark failed: {error}", file=sys.stderr)
            traceback.print_exc(limit=3)
        print(f"({name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    total = time.perf_counter() - began
    write_json("run", {"seconds": total, "failed": failed, "options": vars(args)})
    print(f"All benchmarks: {total:.0f} s; results in {RESULTS}/.")
    if failed:
        print(f"Failed: {', '.join(failed)}.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
