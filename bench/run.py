"""`make bench`: the project against its anchors, measured side by side in one run.

Each comparison runs several times; the table reports the median and the spread
(min–max) and the ratio to the anchor measured in the same run, and is written to
bench/RESULTS.md. Needs PostgreSQL (DATABASE_URL) in a database of its own: the
benchmark empties the client data tables of that database.

The shared harness is bench/harness.py; each case is a module of bench/cases/.
"""

import argparse
import os
import time

import django

from bench.cases import (
    admin_lists,
    agent_json,
    confirmation,
    contact_import,
    delete,
    receive,
    retention,
    routing,
)
from bench.harness import HERE, Row, prepare, write_results


def main() -> None:
    """Run the benchmarks named by --only (all by default) and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--only",
        default="delete,confirm,lists,agent,import,import-mapping,routing,receive,"
        "retention",
    )
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument(
        "--messages",
        type=int,
        default=0,
        help="messages of the receive_interactions mbox (default 100,000 × scale)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    started = time.time()
    ctx = prepare()
    only = set(args.only.split(","))
    rows: list[Row] = []
    if "delete" in only:
        rows += delete.bench_delete(ctx, args.scale, args.runs)[0]
    if "confirm" in only:
        rows += confirmation.bench_confirmation(ctx, args.scale, args.runs)
    if "lists" in only:
        rows += admin_lists.bench_lists(ctx, args.runs)
    if "agent" in only:
        rows += agent_json.bench_agent_json(ctx, args.runs)
    if "import" in only:
        rows += contact_import.bench_import(
            ctx, args.runs, rows=int(100_000 * args.scale)
        )
    if "import-mapping" in only:
        rows += contact_import.bench_import_mapping(
            ctx, args.runs, rows=int(100_000 * args.scale)
        )
    if "routing" in only:
        rows += routing.bench_routing(ctx, args.runs, args.scale)
    if "receive" in only:
        rows += receive.bench_receive(
            ctx,
            max(1, args.runs // 3),
            messages=args.messages or int(100_000 * args.scale),
        )
    if "retention" in only:
        rows += retention.bench_retention(ctx, args.scale, args.runs)
    print(write_results(rows, args, started))


if __name__ == "__main__":
    main()
