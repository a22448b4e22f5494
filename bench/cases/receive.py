"""`receive_interactions` of a large mbox (issue 10, item 5): messages per second,
and peak memory at 100,000 messages against 10,000 (flat: the file is streamed)."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from bench.harness import HERE, Row, log


def write_mbox(path: Path, messages: int, partition_id: int, contacts: int) -> None:
    """An mbox of `messages` emails from the client's existing contacts (bench/data.py
    addresses), each with its own Message-ID, a Japanese subject and a short body."""
    token = uuid.uuid4().hex[:10]
    with path.open("wb") as handle:
        for i in range(messages):
            sender = f"c{i % contacts + 1}@p{partition_id}.example"
            handle.write(
                (
                    "From MAILER-DAEMON Wed Apr  1 09:00:00 2026\n"
                    f"From: Customer {i} <{sender}>\n"
                    "To: support@acme.example\n"
                    "Subject: =?UTF-8?B?5L+d6Zm66YeR6KuL5rGC44Gr44Gk44GE44Gm?=\n"
                    f"Message-ID: <{token}.{i}@bench.example>\n"
                    "Date: Wed, 01 Apr 2026 09:00:00 +0900\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: text/plain; charset=utf-8\n"
                    "\n"
                    f"Hello, this is message {i}. I have a question about my claim.\n"
                    "\n"
                ).encode()
            )


def receive(path: Path, tenant: str, service: str, profile: Path | None = None):
    """Run the command in a fresh process (bench/receive_worker.py)."""
    command = [sys.executable, "-m", "bench.receive_worker"]
    if profile is not None:
        command = [
            str(Path(sys.executable).parent / "pyinstrument"),
            "-r", "text", "-o", str(profile),
            "-m", "bench.receive_worker",
        ]  # fmt: skip
    out = subprocess.run(
        [*command, str(path), tenant, service],
        capture_output=True, text=True, check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"bench: receive_interactions failed:\n{out.stderr[-2000:]}")
    report = json.loads(out.stdout.strip().splitlines()[-1])
    if report["failed"]:
        raise SystemExit(f"bench: records refused: {report['failed']}")
    return report


def bench_receive(ctx: dict, runs: int, messages: int = 100_000) -> list[Row]:
    """Receive a `messages`-message mbox and a tenth of it; rate and peak memory."""
    from bench.data import PROJECT, Shape, build_partition
    from services.models import Service

    tenant = ctx["tenants"]["bench"]
    contacts = 1000
    pid = build_partition(PROJECT, tenant.pk, "Receive Co", Shape(contacts, 100, 1, 1))
    service = Service.objects.filter(client_partition_id=pid).order_by("pk")[0].name
    small = messages // 10
    rates, peaks, small_peaks = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            big_file, small_file = Path(folder) / "big.mbox", Path(folder) / "s.mbox"
            write_mbox(small_file, small, pid, contacts)
            report = receive(small_file, tenant.slug, service)
            small_peaks.append(report["peak_kb"] / 1024)
            write_mbox(big_file, messages, pid, contacts)
            report = receive(big_file, tenant.slug, service)
            rates.append(messages / report["seconds"])
            peaks.append(report["peak_kb"] / 1024)
            log(
                f"receive run {run + 1}: {rates[-1]:,.0f} msg/s, {peaks[-1]:.0f} MB "
                f"({small_peaks[-1]:.0f} MB at {small:,}); {report['summary']}"
            )
        # Where the time goes, on a small file (written next to RESULTS.md).
        profile_file = Path(folder) / "profile.mbox"
        write_mbox(profile_file, min(small, 1000), pid, contacts)
        receive(profile_file, tenant.slug, service, HERE / "profile-receive.txt")
    memory = statistics.median(peaks) / statistics.median(small_peaks)
    rate = statistics.median(rates)
    return [
        Row(
            f"receive_interactions, {messages:,}-message mbox: throughput",
            "msg/s",
            rates,
            target="≥ 1,000 messages/s",
            met=rate >= 1000,
            note=(
                f"{messages:,} emails from existing contacts of a 1,000-contact "
                "client, each recorded (new Message-IDs), one process; routing as of "
                "this branch; profile in bench/profile-receive.txt"
            ),
            plan=PLAN,
        ),
        Row(
            f"receive_interactions, {messages:,}-message mbox: peak memory",
            "MB",
            peaks,
            f"the same command on {small:,} messages",
            small_peaks,
            "flat: within 1.2× of the small file",
            memory <= 1.2,
            f"big/small = {memory:.2f}",
        ),
    ]


PLAN = (
    "Batches of 200 messages are now routed set-based (route_interactions, as the "
    "API's batches): the database work per message is small, and most of the time "
    "left is the email package parsing each message and Django building each row, "
    "in one process on one core. What would close it: parse in a pool of worker "
    "processes (one per core) feeding the routing process, and insert with COPY."
)
