"""`/api/v1/audit-entries/`: the Audit trail, read-only, for those who may view it
in the admin (ccadmin.view_auditentry), scoped as there (visible_to)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from api.base import CheckedModelSerializer, ScopedViewSet
from api.pagination import Cursor
from ccadmin import audit
from ccadmin.audit_flags import ACTION_CODES
from ccadmin.models import AuditEntry


class ActionField(serializers.ChoiceField):
    """An entry's action by name (ccadmin.audit_flags: addition, change,
    deletion, export), for scripts; the admin shows the same flag in words."""

    def __init__(self, **kwargs):
        super().__init__(choices=list(ACTION_CODES.values()), **kwargs)

    def to_representation(self, value):
        return ACTION_CODES.get(value, str(value))


class AuditEntrySerializer(CheckedModelSerializer):
    """One entry: who did what, when, to which record."""

    user = serializers.CharField(source="user.get_username", read_only=True)
    action = ActionField(
        source="action_flag",
        read_only=True,
        help_text="What was done: addition, change, deletion or export.",
    )
    content_type = serializers.SerializerMethodField()
    what = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "action_time",
            "user",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "what",
        ]

    def get_content_type(self, entry) -> str:
        """The record's kind, as app_label.model."""
        kind = entry.content_type
        return f"{kind.app_label}.{kind.model}" if kind else ""

    def get_what(self, entry) -> str:
        """What was done, with the values before and after a change."""
        return audit.describe(entry)


class NewestFirst(Cursor):
    """The newest entries first, as in the admin."""

    ordering = "-pk"


@extend_schema(tags=["audit-entries"])
class AuditEntryViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The audit trail, newest first."""

    model = AuditEntry
    serializer_class = AuditEntrySerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return (
            AuditEntry.objects.visible_to(self.request.user)
            .select_related("user", "content_type")
            .order_by("-pk")
        )
