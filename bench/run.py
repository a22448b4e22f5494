"""`make bench`: the project against its anchors, measured side by side in one run.

Each comparison runs several times; the table reports the median and the spread
(min–max) and the ratio to the anchor measured in the same run, and is written to
bench/RESULTS.md. Needs PostgreSQL (DATABASE_URL) in a database of its own: the
benchmark empties the client data tables of that database.
"""

import argparse
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


# ----- set-up ---------------------------------------------------------------


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


# ----- partition delete -------------------------------------------------------


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


def bench_delete(ctx: dict, scale: float, runs: int) -> tuple[list[Row], dict]:
    from bench import data

    tenant = ctx["tenants"]["bench"]
    shape = data.Shape.default(scale)
    log(f"delete: building bystander partitions ({shape.rows:,} rows each)")
    bystanders = {}
    for label, tables in (("project", data.PROJECT), ("anchor", data.ANCHOR)):
        pid = data.build_partition(tables, tenant.pk, f"Bystander {label}", shape)
        bystanders[label] = (tables, pid, None)
    for label, (tables, pid, _) in bystanders.items():
        data.vacuum(tables)
        bystanders[label] = (tables, pid, data.count_rows(tables, pid))

    seconds: dict[str, list[float]] = {"project": [], "sql": [], "python": []}
    peak: dict[str, list[float]] = {"project": [], "sql": [], "python": []}
    for run in range(runs):
        for method in ("project", "sql", "python"):
            tables = data.ANCHOR if method == "python" else data.PROJECT
            pid = data.build_partition(tables, tenant.pk, f"T {method} {run}", shape)
            data.vacuum(tables)
            result = run_worker(method, pid)
            left = data.count_rows(tables, pid)
            assert not any(left.values()), f"{method} left rows: {left}"
            seconds[method].append(result["seconds"])
            peak[method].append(result["peak_kb"] / 1024)
            log(f"delete run {run + 1} {method}: {result['seconds']:.2f} s")
    for _label, (tables, pid, expected) in bystanders.items():
        assert data.count_rows(tables, pid) == expected, "bystander partition changed"

    small = shape.scaled_to(10_000)
    small_peak = []
    for run in range(runs):
        pid = data.build_partition(data.PROJECT, tenant.pk, f"Small {run}", small)
        data.vacuum(data.PROJECT)
        small_peak.append(run_worker("project", pid)["peak_kb"] / 1024)
    log("delete: done")

    rows_per_s = [shape.rows / s for s in seconds["project"]]
    speedup = statistics.median(seconds["python"]) / statistics.median(
        seconds["project"]
    )
    vs_sql = statistics.median(seconds["project"]) / statistics.median(seconds["sql"])
    memory_ratio = statistics.median(peak["project"]) / statistics.median(small_peak)
    size = (
        f"{shape.contacts:,} contacts, {shape.companies:,} companies, "
        f"{shape.emails:,} emails, {shape.activities:,} activity entries"
    )
    rows = [
        Row(
            "Partition delete",
            "s",
            seconds["project"],
            "Django Python-level cascade (same schema)",
            seconds["python"],
            "≥ 2.5× faster",
            speedup >= 2.5,
            f"{size}; {statistics.median(rows_per_s):,.0f} rows/s; a second "
            "partition of equal size checked whole after every run",
        ),
        Row(
            "Partition delete",
            "s",
            seconds["project"],
            "hand-written SQL deletes",
            seconds["sql"],
            "within 1.15× of SQL",
            vs_sql <= 1.15,
            f"project/SQL = {vs_sql:.2f}",
            plan=(
                "PostgreSQL runs the partition's ON DELETE actions in the order the "
                "constraints were created: companies first (their SET NULL rewrites "
                "their contacts just before those are deleted), then contacts, whose "
                "own cascade removes their activity entries row by row. The "
                "hand-written SQL deletes the leaves first, set-based. Plan: issue "
                "the same leaf-first DELETEs from partitions.actions inside the one "
                "transaction (no row is loaded), keeping DB_CASCADE as the guarantee."
            ),
        ),
        Row(
            "Partition delete: peak memory of the deleting process",
            "MB",
            peak["project"],
            "the same delete of a 10,000-contact partition",
            small_peak,
            "flat: within 1.2×",
            memory_ratio <= 1.2,
            f"200k/10k = {memory_ratio:.2f}; Python cascade peaks at "
            f"{statistics.median(peak['python']):,.0f} MB",
        ),
    ]
    return rows, {"shape": shape}


# ----- delete confirmation page -----------------------------------------------


def timed(fn, runs: int) -> list[float]:
    """Seconds of `fn` over `runs` calls."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    return seconds


def bench_confirmation(ctx: dict, scale: float, runs: int) -> list[Row]:
    from django.test import Client

    from bench import data

    tenant = ctx["tenants"]["bench"]
    shape = data.Shape.default(scale)
    big = data.build_partition(data.PROJECT, tenant.pk, "Confirm big", shape)
    small = data.build_partition(
        data.PROJECT, tenant.pk, "Confirm small", shape.scaled_to(20_000)
    )
    data.vacuum(data.PROJECT)
    client = Client()
    client.force_login(ctx["users"]["bench"])

    def page(pid):
        def get():
            response = client.get(f"/admin/partitions/clientpartition/{pid}/delete/")
            assert response.status_code == 200, response.status_code
            assert b"Are you absolutely sure" in response.content

        return get

    project_big = timed(page(big), runs)
    project_small = timed(page(small), runs)
    # Memory: peak RSS of a fresh process serving the page, like the stock's below.
    project_big_mem = [run_worker("project_confirm", big)["peak_kb"] / 1024]

    # The stock walk takes minutes at this size: once, in its own process.
    stock = run_worker("stock_confirm", small)
    stock_s, stock_mem = [stock["seconds"]], [stock["peak_kb"] / 1024]
    walked = {"n": stock["walked"]}
    log("confirmation page: done")
    growth = statistics.median(project_big) / statistics.median(project_small)
    return [
        Row(
            "Delete confirmation page, default-size partition",
            "s",
            project_big,
            "Django's stock get_deleted_objects on a 20,000-contact partition",
            stock_s,
            "< 0.5 s",
            statistics.median(project_big) < 0.5,
            f"stock walked {walked.get('n', 0):,} related objects; project page "
            f"at 200k vs 20k contacts: {growth:.2f}× the time for 10× the rows",
        ),
        Row(
            "Delete confirmation page: peak RSS of the serving process",
            "MB",
            project_big_mem,
            "stock get_deleted_objects, 20,000 contacts",
            stock_mem,
            "bounded: no more than an idle Django process",
            statistics.median(project_big_mem) < 100,
            "each measured in a fresh process; an idle Django process is ~50 MB",
        ),
    ]


# ----- admin lists ------------------------------------------------------------


def measure_page(client, url: str, runs: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches (templates, sessions)
    seconds = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured.captured_queries)
    return seconds, queries


def bench_lists(ctx: dict, runs: int) -> list[Row]:
    from django.test import Client

    from partitions.models import ClientPartition

    many = ctx["tenants"]["bench-many"]
    ClientPartition.objects.bulk_create(
        ClientPartition(tenant=many, name=f"Client {i:04d}", name_key=f"client {i:04d}")
        for i in range(1000)
    )
    rows = []
    for label, username, project_url, stock_url in [
        (
            "Admin list: client partitions (1,000)",
            "bench-many",
            "/admin/partitions/clientpartition/",
            "/stock-admin/partitions/clientpartition/",
        ),
        (
            "Admin list: contacts (default data set)",
            "bench",
            "/admin/contacts/contact/",
            "/stock-admin/contacts/contact/",
        ),
    ]:
        client = Client()
        client.force_login(ctx["users"][username])
        project_s, project_q = measure_page(client, project_url, runs)
        root = Client()
        root.force_login(ctx["users"]["root"])
        stock_s, stock_q = measure_page(root, stock_url, runs)
        rows.append(
            Row(
                label,
                "s",
                project_s,
                "Django's stock ModelAdmin list of the same model",
                stock_s,
                "< 0.3 s; queries independent of size",
                statistics.median(project_s) < 0.3,
                f"{project_q} queries (stock: {stock_q})",
                plan=(
                    "Plan: EXPLAIN the page's queries at this size and add the index "
                    "or count strategy they lack (the first page is index-ordered and "
                    "counts stop at 10,000: ccadmin/paginators.py)."
                ),
            )
        )
    log("admin lists: done")
    return rows


# ----- contact import ------------------------------------------------------------


def write_csv(path: Path, rows: int) -> None:
    """A contacts CSV as an administrator would upload it: one company per 20 rows,
    Japanese and Latin names."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["first name", "last name", "email", "phone", "company", "title"]
        )
        for i in range(rows):
            writer.writerow(
                [
                    "太郎" if i % 3 == 0 else f"First{i}",
                    "山田" if i % 3 == 0 else f"Last{i % 997}",
                    f"import{i}@example.com",
                    f"+8190{i:08d}",
                    f"Company {i // 20}",
                    "Manager" if i % 7 == 0 else "",
                ]
            )


def bench_import(ctx: dict, runs: int, rows: int = 100_000) -> list[Row]:
    import tempfile

    from partitions.models import ClientPartition

    tenant = ctx["tenants"]["bench"]

    def fresh(label: str) -> int:
        return ClientPartition.objects.create(tenant=tenant, name=label).pk

    with tempfile.TemporaryDirectory() as folder:
        big, small = Path(folder) / "big.csv", Path(folder) / "small.csv"
        write_csv(big, rows)
        write_csv(small, rows // 10)
        project, project_peak, small_peak = [], [], []
        for run in range(runs):
            report = run_worker("project_import", fresh(f"Import {run}"), str(big))
            project.append(report["seconds"])
            project_peak.append(report["peak_kb"] / 1024)
            report = run_worker("project_import", fresh(f"Small {run}"), str(small))
            small_peak.append(report["peak_kb"] / 1024)
            log(f"import run {run + 1}: {project[-1]:.1f} s")
        # The naive anchor takes minutes at this size: measured once.
        anchor = run_worker("anchor_import", fresh("Naive import"), str(big))
        log(f"import anchor: {anchor['seconds']:.1f} s")
    speedup = anchor["seconds"] / statistics.median(project)
    memory = statistics.median(project_peak) / statistics.median(small_peak)
    return [
        Row(
            f"Contact import, {rows:,} CSV rows",
            "s",
            project,
            "one Contact.objects.create per row",
            [anchor["seconds"]],
            "≥ 10× faster; memory flat",
            speedup >= 10 and memory <= 1.2,
            plan=(
                "The anchor validates nothing; the import checks every row with "
                "Contact.full_clean, which is now most of its time (rows are written "
                "with COPY). Plan: validate the CSV columns with the model fields' own "
                "validators without building a model instance per row, and parse the "
                "next batch while the previous one is copied."
            ),
            note=f"{rows / statistics.median(project):,.0f} rows/s, every row "
            f"validated by the model's rules; peak RSS "
            f"{statistics.median(project_peak):.0f} MB "
            f"vs {statistics.median(small_peak):.0f} MB for {rows // 10:,} rows "
            f"({memory:.2f}×)",
        )
    ]


# ----- agent drop-down JSON under gunicorn ---------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, cookie: str | None, seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of `url`, from wrk on loopback."""
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(next(ln for ln in out.splitlines() if "Requests/sec" in ln).split()[1])
    p99 = next(ln for ln in out.splitlines() if ln.strip().startswith("99%"))
    value = p99.split()[1]
    ms = (
        float(value.rstrip("ums"))
        * {"us": 0.001, "ms": 1, "s": 1000}[value.lstrip("0123456789.")]
    )
    if "Non-2xx" in out:
        raise SystemExit(f"bench: {url} answered errors:\n{out}")
    return rps, ms


def bench_agent_json(ctx: dict, runs: int, seconds: int = 10) -> list[Row]:
    import shutil

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from ccadmin.models import Membership
    from partitions.models import ClientPartition

    if not shutil.which("wrk"):
        log("agent JSON: skipped, wrk is not installed (apt-get install wrk)")
        return []
    tenant = ctx["tenants"]["bench"]
    ClientPartition.objects.bulk_create(
        ClientPartition(tenant=tenant, name=f"Agent {i}", name_key=f"agent {i}")
        for i in range(20)
    )
    agent, _ = User.objects.get_or_create(username="bench-agent")
    Membership.objects.get_or_create(user=agent, defaults={"tenant": tenant})
    store = SessionStore()
    store[SESSION_KEY] = str(agent.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = agent.get_session_auth_hash()
    store.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "bench.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                wrk(f"{base}/bench/constant/", None, 1)
                break
            except (subprocess.CalledProcessError, StopIteration):
                time.sleep(0.2)
        project_rps, anchor_rps, project_p99, anchor_p99 = [], [], [], []
        for _ in range(runs):
            rps, p99 = wrk(f"{base}/agent/client-partitions.json", cookie, seconds)
            project_rps.append(rps)
            project_p99.append(p99)
            rps, p99 = wrk(f"{base}/bench/constant/", None, seconds)
            anchor_rps.append(rps)
            anchor_p99.append(p99)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log("agent JSON: done")
    ratio = statistics.median(project_rps) / statistics.median(anchor_rps)
    return [
        Row(
            "Agent drop-down JSON, gunicorn 2 workers: throughput",
            "req/s",
            project_rps,
            "a constant-string view served the same way",
            anchor_rps,
            "≥ 0.8× the anchor's throughput",
            ratio >= 0.8,
            f"project/anchor = {ratio:.2f}; p99 latency "
            f"{statistics.median(project_p99):.1f} ms (anchor "
            f"{statistics.median(anchor_p99):.1f} ms); wrk -t2 -c16 "
            f"{seconds} s per run on loopback, 20 enabled clients",
            plan=(
                "The list itself costs nothing (cached per tenant under a version "
                "bumped with every change); what remains is what every signed-in "
                "request pays: reading the session and the user with its tenant (two "
                "queries and the ORM around them), which the anchor does not. Plan: "
                "serve sessions and users from a shared cache (CACHE_URL=redis, "
                "cached_db sessions, users keyed by their session hash and dropped on "
                "save), measured against the cost of revoking a session later."
            ),
        )
    ]


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


def main() -> None:
    """Run the benchmarks named by --only (all by default) and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="delete,confirm,lists,agent,import")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    started = time.time()
    ctx = prepare()
    only = set(args.only.split(","))
    rows: list[Row] = []
    if "delete" in only:
        rows += bench_delete(ctx, args.scale, args.runs)[0]
    if "confirm" in only:
        rows += bench_confirmation(ctx, args.scale, args.runs)
    if "lists" in only:
        rows += bench_lists(ctx, args.runs)
    if "agent" in only:
        rows += bench_agent_json(ctx, args.runs)
    if "import" in only:
        rows += bench_import(ctx, args.runs, rows=int(100_000 * args.scale))
    print(write_results(rows, args, started))


if __name__ == "__main__":
    main()
