"""Background work on client partitions, run by `python manage.py db_worker`.

Imported by partitions.actions (which enqueues the task); imports only the delete
itself (partitions.deletion) and retention (partitions.retention), never actions, so
the two never import each other.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from partitions.deletion import delete_client_partition
from partitions.models import ClientPartition
from partitions.retention import apply_retention


@task()
def delete_client_partition_in_background(partition_id: int, actor_id: int) -> dict:
    """Delete a very large BPO client with all its data, as the admin asked.

    The same one-transaction delete as every other path (partitions.deletion, which
    partitions.actions offers to every caller); the audit entry names the
    administrator who confirmed it.
    """
    partition = ClientPartition.objects.filter(pk=partition_id).first()
    if partition is None:
        return {"already_deleted": True}
    actor = get_user_model()._default_manager.get(pk=actor_id)
    summary = delete_client_partition(partition, actor=actor)
    return {
        "contacts": summary.contacts,
        "companies": summary.companies,
        "emails": summary.emails,
        "activities": summary.activities,
        "services": len(summary.services),
    }


@task()
def apply_retention_daily() -> dict:
    """Delete every client's emails and activity history older than its retention
    (legal holds suspend it), then enqueue tomorrow's run.

    django-tasks has no cron: each run enqueues the next, at the next
    RETENTION_DAILY_AT (local time, "03:00" by default), even if this one failed
    (finally). `manage.py apply_retention --schedule` enqueues the first run (and is
    harmless when one is already waiting); a cron line running
    `manage.py apply_retention` does the same work without the worker.
    """
    try:
        done = apply_retention()
    finally:
        schedule_daily_retention()
    return {
        "clients": len(done),
        "held": sum(1 for client in done if client.held),
        "rows": sum(client.rows for client in done),
    }


def next_daily_run(now: datetime | None = None) -> datetime:
    """The next RETENTION_DAILY_AT ("HH:MM", local time) strictly after `now`."""
    now = timezone.localtime(now or timezone.now())
    hour, minute = (int(part) for part in settings.RETENTION_DAILY_AT.split(":"))
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def schedule_daily_retention() -> datetime | None:
    """Enqueue the next daily retention run unless one is already waiting (READY:
    the run calling this is RUNNING, so it does not count); return when it will
    run, or None if one was already queued."""
    # The database backend's own table: the one place that knows what is queued.
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=apply_retention_daily.module_path, status="READY"
    )
    if waiting.exists():
        return None
    when = next_daily_run()
    apply_retention_daily.using(run_after=when).enqueue()
    return when
