"""`/api/v1/client-partitions/`: a contact center's BPO clients, as the admin's
Client Partitions screens and the `partitions` command handle them, through the
same actions (partitions.actions, .limit, .export) and so with the same limit,
locks, refusals, messages and audit entries."""

import json
from functools import partial

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from api.base import ScopedViewSet, represent_rows
from api.errors import PROBLEM_CONTENT_TYPE, Problem, ProblemSerializer
from api.partition_serializers import (
    ClientPartitionCreateSerializer,
    ClientPartitionFilters,
    ClientPartitionSerializer,
    DeleteParameters,
    DeletionPreviewSerializer,
    ScheduledDeletionSerializer,
    UsageParameters,
    UsageSerializer,
)
from ccadmin.downloads import zip_download
from ccadmin.models import Tenant
from ccadmin.tenancy import client_scope, tenant_of
from partitions import actions
from partitions.export import export_client_partition, export_filename
from partitions.limit import ClientPartitionLimitReached, partition_usage
from partitions.models import ClientPartition
from partitions.selectors import CACHE_SECONDS, deletion_under_way


class ZipRenderer(BaseRenderer):
    """Lets a client ask for the export with `Accept: application/zip`; the body is
    the FileResponse's own, and an error still goes out as a JSON problem."""

    media_type = "application/zip"
    format = "zip"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach a renderer (the zip is a FileResponse); their response
        # says application/problem+json itself.
        return json.dumps(data, ensure_ascii=False).encode()


def preview(summary: actions.DeletionSummary) -> dict:
    """The counts of a deletion, as the preview and the refused delete give them."""
    return {
        "id": summary.partition_id,
        "name": summary.name,
        "question": summary.question,
        "contacts": summary.contacts,
        "companies": summary.companies,
        "emails": summary.emails,
        "activities": summary.activities,
        "services_unassigned": [{"id": s.pk, "name": s.name} for s in summary.services],
    }


CONFLICT = {
    (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, "A state that refuses it (problem details)."
    )
}


@extend_schema(tags=["client-partitions"])
class ClientPartitionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """A contact center's BPO clients."""

    model = ClientPartition
    serializer_class = ClientPartitionSerializer
    filters = ClientPartitionFilters
    query_parameters = {"destroy": frozenset({"confirm"}), "usage": {"tenant"}}
    action_permissions = {
        "usage": ["view"],
        "deletion_preview": ["delete"],
        "export": ["view"],
    }
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        # Only a new client names its tenant; a client never moves to another.
        if getattr(self, "action", None) == "create":
            return ClientPartitionCreateSerializer
        return super().get_serializer_class()

    def get_renderers(self):
        if getattr(self, "action", None) == "export":
            return [JSONRenderer(), ZipRenderer()]
        return super().get_renderers()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        enabled = self.validated_filters.get("enabled")
        if enabled is not None:
            queryset = queryset.filter(enabled=enabled)
        search = self.validated_filters.get("search")
        if search:
            queryset = queryset.filter(name__icontains=search)
        return queryset

    @extend_schema(parameters=[ClientPartitionFilters])
    def list(self, request, *args, **kwargs):
        """Client partitions the caller may see, with filters."""
        key = self.whole_list_cache_key()
        if key is not None:
            results = cache.get(key)
            if results:  # False: more than one page, not cached
                return Response({"next": None, "previous": None, "results": results})
        # ListModelMixin.list, with the serializer's fields built once per process
        # (represent_rows): its output, cheaper (bench/RESULTS.md, issue 15).
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        results = represent_rows(self.get_serializer_class(), page)
        if key is not None:
            whole = not (self.paginator.has_next or self.paginator.has_previous)
            cache.set(key, results if whole and results else False, CACHE_SECONDS)
        return self.get_paginated_response(results)

    def whole_list_cache_key(self) -> str | None:
        """The cache key of this request's answer when it is the whole of a
        tenant's client partitions on one page, as a script's sync asks for it (no
        query parameter), by a member of every client of the tenant; None for any
        other request, which is read from the database.

        Like the agent drop-down's list (partitions.selectors), keyed by the
        tenant's partitions_version, which every change of a partition bumps in its
        own transaction and which comes with the token's user (no query): a change
        shows at the next request, in every process. The time zone is in the key
        because the answer's times are written in it. A member of chosen clients
        and the service provider (every tenant's) are never served from it.
        """
        user = self.request.user
        if self.request.query_params or user.is_superuser or not user.is_active:
            return None
        tenant = tenant_of(user)
        if tenant is None or client_scope(user) is not None:
            return None
        return (
            f"api-client-partitions:{tenant.pk}:{tenant.partitions_version}:"
            f"{timezone.get_current_timezone_name()}:{self.paginator.page_size}"
        )

    @extend_schema(
        request=ClientPartitionCreateSerializer,
        responses={201: ClientPartitionSerializer, **CONFLICT},
    )
    def create(self, request, *args, **kwargs):
        """Add a client partition within the tenant's limit (409 at the limit, with
        the admin's message "N of N client partitions used"). The service
        provider's accounts name the tenant (`tenant`, its id)."""
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        # validated_data holds the tenant: the one named, or the member's own.
        partition = ClientPartition(**serializer.validated_data)
        try:
            actions.create_client_partition(partition, actor=self.request.user)
        except ClientPartitionLimitReached as exc:
            raise Problem(
                409,
                "limit-reached",
                _("Client partition limit reached"),
                str(exc),
                used=exc.usage.used,
                limit=exc.usage.limit,
            ) from exc
        serializer.instance = partition

    @extend_schema(responses={200: ClientPartitionSerializer, **CONFLICT})
    def partial_update(self, request, *args, **kwargs):
        """Change the name, description or enabled state (enabled: false hides
        the client from agents and stops assigning interactions to it)."""
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        partition = serializer.instance
        changed = [
            name
            for name, value in serializer.validated_data.items()
            if getattr(partition, name) != value
        ]
        for name in changed:
            setattr(partition, name, serializer.validated_data[name])
        try:
            actions.update_client_partition(
                partition, actor=self.request.user, changed=changed
            )
        except actions.ClientPartitionAlreadyDeleted as exc:
            raise Problem(404, "deleted", _("Not found"), str(exc)) from exc
        except ValidationError as exc:
            if getattr(exc, "code", None) in ("deleting", "offboarding"):
                raise Problem(
                    409, exc.code, _("Client partition read-only"), exc.messages[0]
                ) from exc
            raise

    @extend_schema(
        parameters=[DeleteParameters],
        responses={
            204: OpenApiResponse(description="Deleted now."),
            202: ScheduledDeletionSerializer,
            **CONFLICT,
        },
    )
    def destroy(self, request, *args, **kwargs):
        """Delete a client with its contacts, companies, emails and activity
        history (its services are unassigned). Without `?confirm=<exact name>`:
        400 with the spec's question and the counts. A large client is disabled
        at once and deleted by the background worker: 202."""
        # Checked first: a confirmation given twice is refused, as any repeated
        # parameter, not read as one of its values.
        confirm = self.read_query(DeleteParameters).get("confirm")
        partition = self.get_object()
        if deletion_under_way(partition):
            return Response(
                {
                    "status": "deleting",
                    "detail": _('"%(name)s" is already being deleted.')
                    % {"name": partition.name},
                    "task_id": partition.deletion_task_id,
                    "expected_seconds": None,
                },
                status=status.HTTP_202_ACCEPTED,
            )
        summary = actions.deletion_summary(partition)
        if confirm != partition.name:
            raise Problem(
                400,
                "confirmation-required",
                _("Confirmation required"),
                f"{summary.question} {summary.describe()}",
                errors={
                    "confirm": [
                        _("Give the client partition's exact name to delete it.")
                    ]
                },
                **preview(summary),
            )
        try:
            outcome = actions.delete_or_schedule_client_partition(
                partition, actor=request.user
            )
        except actions.ClientPartitionAlreadyDeleted as exc:
            raise Problem(404, "deleted", _("Not found"), str(exc)) from exc
        except actions.DeletionRefused as exc:
            raise Problem(
                409, "deletion-refused", _("Deletion refused"), str(exc)
            ) from exc
        if isinstance(outcome, actions.DeletionSummary):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            {
                "status": "deleting",
                "detail": _(
                    'Client partition "%(name)s" is being deleted in the background: '
                    "%(what)s. It is disabled meanwhile."
                )
                % {"name": outcome.summary.name, "what": outcome.summary.describe()},
                "task_id": outcome.task_id,
                "expected_seconds": outcome.expected_seconds,
            },
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(parameters=[UsageParameters], responses=UsageSerializer)
    @action(detail=False, methods=["get"])
    def usage(self, request):
        """How many client partitions the tenant uses, of its limit."""
        tenant = tenant_of(request.user)
        if request.user.is_superuser:
            chosen = self.read_query(UsageParameters).get("tenant")
            if chosen is not None:
                tenant = Tenant.objects.filter(pk=chosen).first()
                if tenant is None:
                    raise Problem(
                        404, "no-tenant", _("Not found"), _("There is no such tenant.")
                    )
        elif "tenant" in request.query_params:
            # A member's usage is their own tenant's; asking for another is an error,
            # not silently answered with theirs.
            raise Problem(
                400,
                "invalid-parameter",
                _("Invalid query parameter"),
                _("Only the service provider's accounts choose the tenant."),
                errors={"tenant": [_("Only the service provider's accounts.")]},
            )
        if tenant is None:
            raise Problem(
                400,
                "no-tenant",
                _("No contact center"),
                _("Give ?tenant=<id>: this account belongs to no contact center."),
                errors={"tenant": [_("This field is required.")]},
            )
        if client_scope(request.user) is not None:
            # As in the admin: how many clients the tenant has is not for a member
            # who works for chosen clients.
            raise Problem(
                403,
                "chosen-clients",
                _("Permission denied"),
                _("The usage is shown to members who work for every client."),
            )
        usage = partition_usage(tenant)
        return Response({"used": usage.used, "limit": usage.limit})

    @extend_schema(responses=DeletionPreviewSerializer)
    @action(detail=True, methods=["get"], url_path="deletion-preview")
    def deletion_preview(self, request, pk=None):
        """What deleting the client removes (COUNTs, never a walk over rows)."""
        return Response(preview(actions.deletion_summary(self.get_object())))

    @extend_schema(
        request=None,
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, "The zip of CSV files with its manifest."
            )
        },
    )
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        """The client's data as the zip of `partitions export` and the admin's
        "Export data" button, audited the same way. A POST: exporting writes the
        audit trail, and a GET never changes anything."""
        partition = self.get_object()
        return zip_download(
            partial(export_client_partition, partition, actor=request.user),
            export_filename(partition),
        )
