"""The delete confirmation page: the project's counting page against Django's stock
get_deleted_objects, in time and in peak memory of the serving process.
"""

import statistics

from bench.harness import Row, log, run_worker, timed


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
