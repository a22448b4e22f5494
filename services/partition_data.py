"""What a client partition holds of the services app: the services assigned to it,
unassigned (not deleted) when it is deleted (partitions.registry)."""

from partitions.registry import ExportTable, PartitionContent, register
from services.models import Service


def register_partition_data() -> None:
    """Register services with partitions.registry: counted in the admin list,
    exported, listed on the Associations tab and in the deletion summary."""
    register(
        PartitionContent(
            key="services",
            model=Service,
            partition_field="client_partition",
            deleted_with_partition=False,
            list_column=True,
            export=ExportTable("services.csv", ("id", "name", "type")),
        )
    )
