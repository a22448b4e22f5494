"""The agent's drop-down JSON under gunicorn, measured with wrk against a
constant-string view served the same way.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Row, log


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_backend() -> str:
    """The authentication backend a session is signed in with: the first one that
    can load a session's user (django-axes' backend, first in the list, cannot)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    return next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )


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
    store[BACKEND_SESSION_KEY] = session_backend()
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
            name="Agent drop-down JSON, gunicorn 2 workers: throughput",
            unit="req/s",
            project=project_rps,
            anchor_name="a constant-string view served the same way",
            anchor=anchor_rps,
            target="≥ 0.8× the anchor's throughput",
            met=ratio >= 0.8,
            note=f"project/anchor = {ratio:.2f}; p99 latency "
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
