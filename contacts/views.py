"""The agent desktop: pick a BPO client, find and add its contacts, read their
activity history and emails.

Plain server-rendered pages, usable without JavaScript. Every query is scoped to the
signed-in agent's tenant and clients (`visible_to`); the clients offered come from
partitions.selectors.client_partitions_offered_to, and writes go through
contacts.actions.
"""

from collections.abc import Callable
from functools import partial, wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ccadmin.paginators import CappedCountPaginator
from ccadmin.tenancy import client_scope, tenant_of
from contacts import actions
from contacts.forms import DesktopForm, NewContactForm
from contacts.models import Activity, Contact, Email
from contacts.phones import search_forms
from partitions.selectors import client_partitions_offered_to

CONTACTS_PER_PAGE = 25
HISTORY_SHOWN = 100
SEARCH_FIELDS = ("first_name", "last_name", "email", "phone", "mobile")


def agent_view(view: Callable | None = None, *, answer_json: bool = False) -> Callable:
    """The one access check of the agent desktop, for every agent page and its JSON.

    Let in signed-in, active members of a tenant (agents, and administrators who have
    a membership) and set `request.tenant`; send signed-out visitors to the login
    page; answer 403 to users with no tenant (the service provider's superusers), who
    have no clients to serve. With `answer_json=True` the refusals are JSON (401 and
    403) for scripts, which cannot follow a login redirect.
    """
    if view is None:
        return partial(agent_view, answer_json=answer_json)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if answer_json:
                return JsonResponse({"error": _("Sign in first.")}, status=401)
            return redirect_to_login(request.get_full_path())
        tenant = tenant_of(request.user)
        if tenant is None or not request.user.is_active:
            if answer_json:
                return JsonResponse(
                    {"error": _("Only members of a contact center have BPO clients.")},
                    status=403,
                )
            return render(request, "agent/forbidden.html", status=403)
        request.tenant = tenant
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@agent_view
def desktop(request: HttpRequest) -> HttpResponse:
    """The desktop: the "BPO client" drop-down, and the chosen client's contacts,
    searchable by name, email address and phone, a page at a time."""
    partitions = client_partitions_offered_to(request.user)
    # Contacts of no client are shown to members of every client only.
    every_client = client_scope(request.user) is None
    form = DesktopForm(
        request.GET or None, partitions=partitions, no_client=every_client
    )
    page = None
    chosen = None
    if not form.is_bound or form.is_valid():
        if form.is_bound:
            chosen_id = form.chosen_partition_id()
        else:
            # What the drop-down shows first: "No client", or their first client.
            chosen_id = None if every_client or not partitions else partitions[0].pk
        chosen = next((p for p in partitions if p.pk == chosen_id), None)
        # A member of chosen clients has no list of contacts of no client.
        if chosen is not None or every_client:
            contacts = _search(
                Contact.objects.visible_to(request.user).filter(partition=chosen),
                form.cleaned_data.get("q", "") if form.is_bound else "",
                request.tenant.default_phone_region,
            ).select_related("company")
            # A client may hold hundreds of thousands of contacts: count only up to
            # the admin's cap (docs/design.md, "Capped counts") instead of a full
            # COUNT on every page.
            page = CappedCountPaginator(contacts, CONTACTS_PER_PAGE).get_page(
                request.GET.get("page")
            )
    return render(
        request,
        "agent/desktop.html",
        {
            "form": form,
            "chosen": chosen,
            "page": page,
            "no_clients": not every_client and not partitions,
            "query": _query_without_page(request),
        },
    )


@require_http_methods(["GET", "POST"])
@agent_view
def new_contact(request: HttpRequest) -> HttpResponse:
    """A new contact, in the BPO client chosen in the form's own drop-down or in
    none. contacts.actions.create_contact checks the client is still available."""
    partitions = client_partitions_offered_to(request.user)
    every_client = client_scope(request.user) is None
    if request.method == "POST":
        if not request.user.has_perm("contacts.add_contact"):
            raise PermissionDenied
        form = NewContactForm(
            request.POST, partitions=partitions, no_client=every_client
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                contact = actions.create_contact(
                    request.tenant,
                    actor=request.user,
                    partition_id=form.chosen_partition_id(),
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    title=data["title"],
                    email=data["email"],
                    phone=data["phone"],
                )
            except ValidationError as exc:
                form.add_model_errors(exc)
            else:
                messages.success(
                    request, _("Contact %(name)s added.") % {"name": contact}
                )
                return redirect("agent:contact", pk=contact.pk)
    else:
        form = NewContactForm(
            initial={"client_partition": request.GET.get("client_partition", "")},
            partitions=partitions,
            no_client=every_client,
        )
    return render(request, "agent/contact_form.html", {"form": form})


@require_GET
@agent_view
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact's activity history and emails, newest first, each email with its
    attachments listed (name, type, size). A placeholder contact ("Withheld number",
    "Unknown sender") is shown by its label.

    Contacts of a disabled client are not shown to agents, like the client itself.
    """
    contact = get_object_or_404(
        Contact.objects.visible_to(request.user)
        .filter(Q(partition__isnull=True) | Q(partition__enabled=True))
        .select_related("partition", "company"),
        pk=pk,
    )
    # Through visible_to too: an entry of another client (or of none) recorded
    # against this contact is not the agent's to read.
    activities = (
        Activity.objects.visible_to(request.user)
        .filter(contact=contact)
        .select_related("service")
        .order_by("-occurred_at", "-pk")[:HISTORY_SHOWN]
    )
    # Attachments are listed from the email's own row (a JSON list): no query per
    # email. The HTML body is not shown here, so not read.
    emails = (
        Email.objects.visible_to(request.user)
        .filter(contact=contact)
        .defer("body_html")
        .order_by("-sent_at", "-pk")[:HISTORY_SHOWN]
    )
    return render(
        request,
        "agent/contact_detail.html",
        {
            "contact": contact,
            "activities": activities,
            "emails": emails,
            "shown": HISTORY_SHOWN,
        },
    )


@require_GET
@agent_view(answer_json=True)
def client_partitions_json(request: HttpRequest) -> JsonResponse:
    """The desktop's "BPO client" list as JSON: id, name and description of each
    enabled client of the agent's tenant they work for, sorted by name. 401 when not
    signed in, 403 for a user with no tenant. One query for the tenant, one for the
    list (cached per tenant), one for the clients of a member of chosen clients."""
    return JsonResponse(
        {
            "client_partitions": [
                {"id": p.pk, "name": p.name, "description": p.description}
                for p in client_partitions_offered_to(request.user)
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _search(contacts, query: str, region: str | None = None):
    """Contacts matching every word of the query in a name, address or phone.

    A phone may be typed in any format: "090-3141-5926", "09031415926" and
    "+81 90 3141 5926" all find the contact stored as +819031415926, and the start of
    a national number ("090-3141") finds it too (contacts.phones.search_forms, in the
    tenant's phone region)."""
    for word in query.split():
        match = Q()
        for field in SEARCH_FIELDS:
            match |= Q(**{f"{field}__icontains": word})
        for form in search_forms(word, region):
            match |= Q(phone__icontains=form) | Q(mobile__icontains=form)
        contacts = contacts.filter(match)
    return contacts


def _query_without_page(request: HttpRequest) -> str:
    """The current query string minus `page`, for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
