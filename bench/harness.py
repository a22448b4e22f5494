"""What every benchmark case shares: one row of the results table, timing and
formatting of medians and spreads, the measured operations run in a fresh process
(bench.delete_worker), the bench database's set-up, and the writing of
bench/RESULTS.md.

The cases are in bench/cases/, one module each; bench/run.py runs them.
"""

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import django

HERE = Path(__file__).resolve().parent


@dataclass
class Row:
    """One line of the results table: the project against its anchor."""

    name: str
    unit: str
    project: list[float]
    anchor_name: str = ""
    anchor: list[float] = field(default_factory=list)
    target: str = ""
    met: bool | None = None
    note: str = ""
    plan: str = ""  # why a missed target was missed and what would close it

    @property
    def ratio(self) -> float | None:
        if not self.anchor:
            return None
        return statistics.median(self.anchor) / statistics.median(self.project)


def fmt(values: list[float], unit: str) -> str:
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:,.3g} {unit}"
    return f"{med:,.3g} {unit} ({min(values):,.3g}–{max(values):,.3g})"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def timed(fn, runs: int) -> list[float]:
    """Seconds of `fn` over `runs` calls."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    return seconds


def run_worker(method: str, partition_id: int, *extra: str) -> dict:
    """Run one measured operation in a fresh process; return its JSON report."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.delete_worker",
            method,
            str(partition_id),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"bench: {method} delete failed:\n{out.stderr[-2000:]}")
    report = json.loads(out.stdout)
    if out.stderr.strip().startswith("{"):
        report.update(json.loads(out.stderr.strip().splitlines()[-1]))
    return report


# ----- set-up -----------------------------------------------------------------


def prepare() -> dict:
    """Empty the bench database's client data; create the tenant, users, anchor."""
    from django.contrib.auth.models import User
    from django.db import connection

    from bench import schema
    from ccadmin.models import Membership, Tenant
    from ccadmin.roles import ADMINISTRATORS, ensure_roles

    name = connection.settings_dict["NAME"]
    if "bench" not in name and not os.environ.get("BENCH_ANY_DATABASE"):
        raise SystemExit(
            f"bench: refusing to empty database {name!r}; use a database whose name "
            "contains 'bench' (make bench does), or set BENCH_ANY_DATABASE=1."
        )
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE contacts_activity, contacts_email, contacts_contact,"
            " contacts_company, services_service, partitions_clientpartition,"
            " django_admin_log CASCADE"
        )
    schema.create_tables()
    tenants = {}
    for slug in ("bench", "bench-many"):
        tenants[slug], _ = Tenant.objects.get_or_create(
            slug=slug, defaults={"name": slug.title(), "client_partition_limit": 5000}
        )
    group = ensure_roles()[ADMINISTRATORS]
    users = {}
    for username, tenant in [("bench", "bench"), ("bench-many", "bench-many")]:
        user, _ = User.objects.update_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": False}
        )
        Membership.objects.update_or_create(
            user=user, defaults={"tenant": tenants[tenant]}
        )
        user.groups.add(group)
        users[username] = user
    users["root"], _ = User.objects.get_or_create(
        username="bench-root", defaults={"is_staff": True, "is_superuser": True}
    )
    return {"tenants": tenants, "users": users}


# ----- report -----------------------------------------------------------------


def write_results(rows: list[Row], args, started: float) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {datetime.date.today().isoformat()} in "
        f"{(time.time() - started) / 60:.1f} minutes "
        f"(scale {args.scale}, {args.runs} runs each; median and min–max).",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {pg}",
        "",
        "| measurement | project | anchor | anchor / project | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio else "–"
        met = {True: "yes", False: "**no**", None: "–"}[row.met]
        anchor = f"{row.anchor_name}: {fmt(row.anchor, row.unit)}" if row.anchor else ""
        lines.append(
            f"| {row.name} | {fmt(row.project, row.unit)} | {anchor} | {ratio} | "
            f"{row.target} | {met} |"
        )
    lines += ["", "Notes:", ""]
    lines += [f"- {row.name}: {row.note}" for row in rows if row.note]
    missed = [row for row in rows if row.met is False]
    if missed:
        lines += ["", "Targets missed, why, and the plan:", ""]
        lines += [f"- {row.name} ({row.target}): {row.plan}" for row in missed]
    text = "\n".join(lines) + "\n"
    Path(args.output).write_text(text)
    return text
