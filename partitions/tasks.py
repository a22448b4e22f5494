"""Background work on client partitions, run by `python manage.py db_worker`.

Imported by partitions.actions (which enqueues the task); imports only the delete
itself (partitions.deletion), never actions, so the two never import each other.
"""

from django.contrib.auth import get_user_model
from django.tasks import task

from partitions.deletion import delete_client_partition
from partitions.models import ClientPartition


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
