"""Admin lists (client partitions, contacts): the project's list pages against
Django's stock ModelAdmin of the same models, with their query counts.
"""

import statistics
import time

from bench.harness import Row, log


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
