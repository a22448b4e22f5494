"""`/api/v1/audit-entries/`: the Audit trail, read-only, for those who may view it
in the admin (ccadmin.view_auditentry), scoped as there (visible_to)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from api.base import CheckedModelSerializer, ScopedViewSet
from api.pagination import Cursor
from api.records import ClientFilter
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


class AuditEntryFilters(ClientFilter):
    """The audit trail's filters, as in the admin: what was done, by whom, about
    which client, and when."""

    action = serializers.ChoiceField(
        choices=list(ACTION_CODES.values()),
        required=False,
        help_text="What was done.",
    )
    user = serializers.CharField(
        required=False, max_length=150, help_text="Who did it: a username."
    )
    since = serializers.DateTimeField(
        required=False,
        help_text="Entries at or after this time (ISO 8601; without an offset, "
        "in the reader's time zone).",
    )
    until = serializers.DateTimeField(
        required=False, help_text="Entries before this time (ISO 8601)."
    )


class NewestFirst(Cursor):
    """The newest entries first, as in the admin."""

    ordering = "-pk"


@extend_schema(tags=["audit-entries"])
class AuditEntryViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The audit trail, newest first."""

    model = AuditEntry
    serializer_class = AuditEntrySerializer
    pagination_class = NewestFirst
    filters = AuditEntryFilters

    @extend_schema(parameters=[AuditEntryFilters])
    def list(self, request, *args, **kwargs):
        """The entries the caller may see, newest first, with filters."""
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        chosen = self.validated_filters
        if "action" in chosen:
            code = chosen["action"]
            flag = next(f for f, c in ACTION_CODES.items() if c == code)
            queryset = queryset.filter(action_flag=flag)
        if "user" in chosen:
            queryset = queryset.filter(user__username=chosen["user"])
        if "client" in chosen:
            client = chosen["client"]
            queryset = queryset.of_client(None if client == "none" else int(client))
        if "since" in chosen:
            queryset = queryset.filter(action_time__gte=chosen["since"])
        if "until" in chosen:
            queryset = queryset.filter(action_time__lt=chosen["until"])
        return queryset

    def get_queryset(self):
        return (
            AuditEntry.objects.visible_to(self.request.user)
            .select_related("user", "content_type")
            .order_by("-pk")
        )
