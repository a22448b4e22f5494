"""Background work on client partitions, run by `python manage.py db_worker`."""

from django.contrib.auth import get_user_model
from django.tasks import task


@task()
def delete_client_partition_in_background(partition_id: int, actor_id: int) -> dict:
    """Delete a very large BPO client with all its data, as the admin asked.

    The same one-transaction delete as every other path (partitions.actions); the
    audit entry names the administrator who confirmed it.
    """
    from partitions import actions
    from partitions.models import ClientPartition

    partition = ClientPartition.objects.filter(pk=partition_id).first()
    if partition is None:
        return {"already_deleted": True}
    actor = get_user_model()._default_manager.get(pk=actor_id)
    summary = actions.delete_client_partition(partition, actor=actor)
    return {
        "contacts": summary.contacts,
        "companies": summary.companies,
        "emails": summary.emails,
        "activities": summary.activities,
        "services": len(summary.services),
    }
