"""The shapes of `/api/v1/client-partitions/` (api.partitions): a client partition,
the list's filters, the usage, a deletion's preview and a background deletion."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.base import CheckedModelSerializer, search_field
from api.records import TenantReference, tenant_or_own
from partitions.models import ClientPartition


class ClientPartitionSerializer(CheckedModelSerializer):
    """A BPO client: what the admin's list and Properties show."""

    deleting = serializers.BooleanField(
        source="is_deleting",
        read_only=True,
        help_text="Being deleted by the background worker (disabled meanwhile).",
    )
    offboarding = serializers.BooleanField(
        source="is_offboarding",
        read_only=True,
        help_text="Offboarded: disabled, exported, read-only until its purge.",
    )

    class Meta:
        model = ClientPartition
        fields = [
            "id",
            "tenant",
            "name",
            "description",
            "enabled",
            "deleting",
            "offboarding",
            "retention_days",
            "legal_hold",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "tenant",
            "retention_days",
            "legal_hold",
            "created_at",
            "updated_at",
        ]


class ClientPartitionCreateSerializer(ClientPartitionSerializer):
    """A new BPO client, and the contact center it is added to: the service
    provider names it (`tenant`, its id), as the `partitions` command's --tenant;
    a member may leave it out (their own) or name their own."""

    tenant = TenantReference(
        required=False,
        help_text=(
            "Tenant id: required for the service provider's accounts; a member's "
            "is their own."
        ),
    )

    class Meta(ClientPartitionSerializer.Meta):
        read_only_fields = [
            name
            for name in ClientPartitionSerializer.Meta.read_only_fields
            if name != "tenant"
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["tenant"] = tenant_or_own(
            attrs,
            self.context["request"].user,
            message=_(
                "Give the tenant's id: this account belongs to no contact center."
            ),
        )
        return attrs


class ClientPartitionFilters(serializers.Serializer):
    """The list's filters."""

    enabled = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = search_field("Part of the name, in any case.")


class DeleteParameters(serializers.Serializer):
    """The confirmation a delete needs: the client partition's exact name."""

    confirm = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The client partition's exact name.",
    )


class UsageSerializer(serializers.Serializer):
    """How many client partitions the tenant has, and may have."""

    used = serializers.IntegerField()
    limit = serializers.IntegerField()


class UsageParameters(serializers.Serializer):
    """The tenant whose usage a service provider's account asks for."""

    tenant = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=10**18 - 1,
        help_text="Tenant id: for the service provider's accounts only.",
    )


class ServiceNameSerializer(serializers.Serializer):
    """A service unassigned by a delete."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class DeletionPreviewSerializer(serializers.Serializer):
    """What deleting the client removes: the admin's confirmation page in numbers."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    question = serializers.CharField(help_text="The spec's confirmation sentence.")
    contacts = serializers.IntegerField()
    companies = serializers.IntegerField()
    emails = serializers.IntegerField()
    activities = serializers.IntegerField()
    services_unassigned = ServiceNameSerializer(many=True)


class ScheduledDeletionSerializer(serializers.Serializer):
    """A deletion handed to the background worker (202)."""

    status = serializers.CharField()
    detail = serializers.CharField()
    task_id = serializers.CharField(allow_blank=True)
    expected_seconds = serializers.IntegerField(allow_null=True)
