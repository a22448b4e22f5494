"""The administration API's client-partitions list (a personal token) against the
agent's drop-down JSON (a session), both under gunicorn, measured with wrk in turns
(issue 15: target ≥ 0.8× the drop-down's throughput)."""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.cases.agent_json import free_port, session_backend
from bench.harness import Row, log

CLIENTS = 20


def wrk(url: str, header: str, seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of `url` with one header."""
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", header, url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"bench: {url} answered errors:\n{out}")
    rps = float(next(ln for ln in out.splitlines() if "Requests/sec" in ln).split()[1])
    value = next(ln for ln in out.splitlines() if ln.strip().startswith("99%")).split()[
        1
    ]
    unit = value.lstrip("0123456789.")
    return rps, float(value[: -len(unit)]) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def session_cookie(user) -> str:
    """A signed-in session of `user`, as a Cookie header."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = session_backend()
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"Cookie: {settings.SESSION_COOKIE_NAME}={store.session_key}"


def bench_api_list(ctx: dict, runs: int, seconds: int = 10) -> list[Row]:
    """One row: the API list's throughput against the drop-down JSON's."""
    import shutil

    from ccadmin import actions
    from partitions.models import ClientPartition

    if not shutil.which("wrk"):
        log("API list: skipped, wrk is not installed (apt-get install wrk)")
        return []
    tenant = ctx["tenants"]["bench"]
    user = ctx["users"]["bench"]
    ClientPartition.objects.filter(tenant=tenant).delete()
    ClientPartition.objects.bulk_create(
        ClientPartition(tenant=tenant, name=f"Client {i}", name_key=f"client {i}")
        for i in range(CLIENTS)
    )
    _token, key = actions.create_api_token(
        user=user, name="bench", expires_days=None, actor=None
    )
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "bench.wsgi:application", "--workers", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    api = (f"{base}/api/v1/client-partitions/", f"Authorization: Bearer {key}")
    agent = (f"{base}/agent/client-partitions.json", session_cookie(user))
    try:
        for _ in range(100):
            try:
                wrk(*api, 1)
                break
            except (subprocess.CalledProcessError, StopIteration):
                time.sleep(0.2)
        project, anchor, project_p99, anchor_p99 = [], [], [], []
        for _ in range(runs):
            rps, p99 = wrk(*api, seconds)
            project.append(rps)
            project_p99.append(p99)
            rps, p99 = wrk(*agent, seconds)
            anchor.append(rps)
            anchor_p99.append(p99)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log("API list: done")
    ratio = statistics.median(project) / statistics.median(anchor)
    return [
        Row(
            name="API client-partitions list (personal token), gunicorn 2 workers",
            unit="req/s",
            project=project,
            anchor_name="the agent drop-down JSON (session) served the same way",
            anchor=anchor,
            target="≥ 0.8× the anchor's throughput",
            met=ratio >= 0.8,
            note=f"project/anchor = {ratio:.2f}; p99 latency "
            f"{statistics.median(project_p99):.1f} ms (anchor "
            f"{statistics.median(anchor_p99):.1f} ms); wrk -t2 -c16 {seconds} s per "
            f"run on loopback, {CLIENTS} clients, one page of 50",
            plan=(
                "Per warm request the API reads the token with its user, membership "
                "and tenant (one query, its joins built once per process); the "
                "permissions come from a cache keyed by the membership's "
                "roles_version and the whole list from one keyed by the tenant's "
                "partitions_version (both read with the token: a change shows at the "
                "next request). What remains is DRF's own per-request work "
                "(request wrapping, negotiation, query-string checks, rendering)."
            ),
        )
    ]
