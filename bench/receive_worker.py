"""Runs `manage.py receive_interactions` on one file in a fresh process and prints
seconds and peak memory as JSON (bench/cases/receive.py), so that the peak measured
is that of the receiving process alone."""

import json
import resource
import sys
import time
from io import StringIO


def main(path: str, tenant: str, service: str) -> None:
    """Receive `path` into `tenant` through `service`; print seconds, peak RSS and
    the command's summary line."""
    import django

    django.setup()
    from django.core.management import CommandError, call_command

    out = StringIO()
    started = time.perf_counter()
    failed = ""
    try:
        call_command(
            "receive_interactions", "--tenant", tenant, "--service", service, path,
            verbosity=0, stdout=out,
        )  # fmt: skip
    except CommandError as exc:
        failed = str(exc)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = next((ln for ln in out.getvalue().splitlines() if "Received" in ln), "")
    print(
        json.dumps(
            {"seconds": seconds, "peak_kb": peak_kb, "summary": summary,
             "failed": failed}
        )
    )  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:4])
