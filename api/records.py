"""`/api/v1/services/`, `contacts/`, `companies/`, `emails/`, `activities/`: a
contact center's queues and its clients' records, scoped as in the admin
(visible_to), written only through services.actions and contacts.actions."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from api.base import CheckedModelSerializer, ScopedViewSet, TextField, search_field
from ccadmin.models import Tenant
from ccadmin.tenancy import tenant_of
from contacts import actions as contact_actions
from contacts.models import Activity, Company, Contact, Email

# The agent desktop's contact search (names, address, a phone in any format): the
# one rule, called here rather than copied.
from contacts.views import _search as search_contacts
from partitions.models import ClientPartition
from services import actions as service_actions
from services.models import Service

# The largest primary key a reference may name (see api.base.ID_PATTERN).
MAX_ID = 10**18 - 1
# An id given as a string: ASCII digits only (str.isdigit takes "١" too).
ID_DIGITS = re.compile(r"[0-9]+")


class ScopedReference(serializers.PrimaryKeyRelatedField):
    """A reference to another row by id, among the rows the caller may see (the
    admin's select offers no other): an id out of range is "not found", never an
    overflow."""

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = request.user if request is not None else None
        return self.model.objects.visible_to(user)

    def to_internal_value(self, data):
        # An id is a whole number or its digits: 1.5 is not client 1, nor true
        # client 1 (int() would say both are).
        if isinstance(data, str) and ID_DIGITS.fullmatch(data):
            number = int(data) if len(data) <= 18 else MAX_ID + 1
        elif isinstance(data, int) and not isinstance(data, bool):
            number = data
        else:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < number <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(number)


class TenantReference(ScopedReference):
    """The contact center a new row is added to, by id (as `usage/?tenant=` and
    every row's `tenant`): any tenant for the service provider (an active
    superuser), only their own for a member, none for anyone else.

    Another tenant's id, named by a member, is refused with the very message of an
    id that does not exist: a member never learns which other tenants exist.
    """

    default_error_messages = {
        "does_not_exist": gettext_lazy("There is no such tenant."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", False)
        super().__init__(Tenant, **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = request.user if request is not None else None
        if not getattr(user, "is_active", False):
            return Tenant.objects.none()
        if user.is_superuser:
            return Tenant.objects.all()
        own = tenant_of(user)
        if own is None:
            return Tenant.objects.none()
        return Tenant.objects.filter(pk=own.pk)


def tenant_or_own(data: dict, user, *, message: str):
    """`data`'s tenant (TenantReference), or when none is given the caller's own
    contact center; a ValidationError on `tenant` for an account with none (the
    service provider's), which has to say which."""
    tenant = data.get("tenant") or tenant_of(user)
    if tenant is None:
        raise serializers.ValidationError({"tenant": [message]})
    return tenant


class ClientFilter(serializers.Serializer):
    """`client`: a client partition's id, or `none` for records of no client."""

    client = serializers.RegexField(
        r"^(none|[0-9]{1,18})$",
        required=False,
        help_text="A client partition's id, or none.",
    )


def filter_by_client(queryset, field: str, value: str | None):
    """Rows of one client, or (`none`) of no client."""
    if value is None:
        return queryset
    if value == "none":
        return queryset.filter(**{f"{field}__isnull": True})
    return queryset.filter(**{f"{field}_id": int(value)})


class ClientFilteredViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
    """A read-only list and detail of a client's records, filtered by client."""

    filters = ClientFilter
    client_field = "partition"

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return filter_by_client(
            queryset, self.client_field, self.validated_filters.get("client")
        )

    @extend_schema(parameters=[ClientFilter])
    def list(self, request, *args, **kwargs):
        """The records the caller may see, of one client or of none."""
        return super().list(request, *args, **kwargs)


# ----- services ---------------------------------------------------------------------


class ServiceSerializer(CheckedModelSerializer):
    """A service (queue) and the client partition it is assigned to."""

    client_partition = ScopedReference(
        ClientPartition, help_text="The client assigned; null to unassign."
    )
    # A string, not format "email": it is empty for every service but email ones.
    email_address = serializers.CharField(read_only=True)

    class Meta:
        model = Service
        fields = ["id", "tenant", "name", "type", "email_address", "client_partition"]
        read_only_fields = ["tenant", "name", "type", "email_address"]


@extend_schema(tags=["services"])
class ServiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Services, and their assignment to a client: `PATCH {"client_partition":
    id}` assigns, `null` unassigns (the service's Client Partition select)."""

    model = Service
    serializer_class = ServiceSerializer
    filters = ClientFilter

    def get_queryset(self):
        return super().get_queryset().select_related("client_partition")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return filter_by_client(
            queryset, "client_partition", self.validated_filters.get("client")
        )

    @extend_schema(parameters=[ClientFilter])
    def list(self, request, *args, **kwargs):
        """Services the caller may see."""
        return super().list(request, *args, **kwargs)

    def perform_update(self, serializer):
        service = serializer.instance
        if "client_partition" in serializer.validated_data:
            service.client_partition = serializer.validated_data["client_partition"]
        service_actions.change_service(service, actor=self.request.user)


# ----- contacts ---------------------------------------------------------------------


class ContactSerializer(CheckedModelSerializer):
    """A contact of a client (or of none)."""

    partition = ScopedReference(ClientPartition, help_text="The client; null: none.")
    company = ScopedReference(Company, help_text="The company they work for.")
    # A string, not format "email": many contacts have none (""); the model checks
    # a given address (the same rule as the admin's form).
    email = TextField(
        required=False, allow_blank=True, max_length=254, help_text="Email address."
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "tenant",
            "partition",
            *Contact.DETAIL_FIELDS,
            "created_at",
        ]
        read_only_fields = ["tenant", "created_at"]


class ContactCreateSerializer(ContactSerializer):
    """A new contact, and the contact center it is added to: its client's, or the
    one named (`tenant`, its id), or the member's own. The service provider names
    the client or, for a contact of no client, the tenant."""

    tenant = TenantReference(
        required=False,
        help_text=(
            "Tenant id: the client's when a client is given; for a contact of no "
            "client, required for the service provider's accounts."
        ),
    )

    class Meta(ContactSerializer.Meta):
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        partition = attrs.get("partition")
        if partition is None:
            attrs["tenant"] = tenant_or_own(
                attrs,
                self.context["request"].user,
                message=_(
                    "Give the contact's client partition, or the tenant's id: "
                    "this account belongs to no contact center."
                ),
            )
        elif attrs.get("tenant", partition.tenant) != partition.tenant:
            # Only the service provider sees two tenants to mix up.
            raise serializers.ValidationError(
                {"partition": [_("This client partition is not of that tenant.")]}
            )
        else:
            attrs["tenant"] = partition.tenant
        return attrs


class ContactFilters(ClientFilter):
    """The contact list's filters."""

    search = search_field("Words of a name, an address or a phone (any format).")


@extend_schema(tags=["contacts"])
class ContactViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, ClientFilteredViewSet
):
    """Contacts: list, retrieve, add, change."""

    model = Contact
    serializer_class = ContactSerializer
    filters = ContactFilters

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        search = self.action == "list" and self.validated_filters.get("search")
        if search:
            queryset = search_contacts(queryset, search, self._region())
        return queryset

    def _region(self) -> str | None:
        tenant = tenant_of(self.request.user)
        return tenant.default_phone_region if tenant is not None else None

    @extend_schema(parameters=[ContactFilters])
    def list(self, request, *args, **kwargs):
        """Contacts the caller may see."""
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        # Only a new contact names its tenant; a contact never moves to another.
        if getattr(self, "action", None) == "create":
            return ContactCreateSerializer
        return super().get_serializer_class()

    @extend_schema(request=ContactCreateSerializer, responses={201: ContactSerializer})
    def create(self, request, *args, **kwargs):
        """Add a contact to a client, or to none (the service provider's accounts
        name the tenant then)."""
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        # validated_data holds the tenant: the client's, the one named, or the
        # member's own.
        contact = Contact(**serializer.validated_data)
        contact_actions.add_contact(contact, actor=self.request.user)
        serializer.instance = contact

    def perform_update(self, serializer):
        contact = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(contact, name, value)
        contact_actions.change_contact(contact, actor=self.request.user)


# ----- companies, emails, activity history (read-only) ------------------------------


class CompanySerializer(CheckedModelSerializer):
    """A company the clients' contacts work for."""

    class Meta:
        model = Company
        fields = ["id", "tenant", "partition", "name"]


class EmailSerializer(CheckedModelSerializer):
    """An email received or sent, with its body."""

    class Meta:
        model = Email
        fields = [
            "id",
            "tenant",
            "partition",
            "direction",
            "sender",
            "recipients",
            "subject",
            "body",
            "message_id",
            "service",
            "contact",
            "sent_at",
        ]


class ActivitySerializer(CheckedModelSerializer):
    """One entry of activity history: a call, chat, email or message."""

    class Meta:
        model = Activity
        fields = [
            "id",
            "tenant",
            "partition",
            "channel",
            "direction",
            "service",
            "contact",
            "email",
            "occurred_at",
            "summary",
        ]


@extend_schema(tags=["companies"])
class CompanyViewSet(ClientFilteredViewSet):
    """Companies of the clients' contacts."""

    model = Company
    serializer_class = CompanySerializer


@extend_schema(tags=["emails"])
class EmailViewSet(ClientFilteredViewSet):
    """Emails received and sent."""

    model = Email
    serializer_class = EmailSerializer


@extend_schema(tags=["activities"])
class ActivityViewSet(ClientFilteredViewSet):
    """Activity history: calls, chats, emails, messages."""

    model = Activity
    serializer_class = ActivitySerializer
