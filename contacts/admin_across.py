"""The contact list's pages for contacts across clients: "Move to another client…",
"Merge…" and "Possible duplicates". Each writes through contacts.actions
(move_contacts, merge_contacts) and shows only what the viewer may see."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.tenancy import client_scope
from contacts import actions
from contacts.models import Activity, Contact, Email
from partitions.models import ClientPartition

NO_CLIENT = "none"
# A merge compares a handful of records side by side, not a list.
MERGE_MAX = 10
# What two contacts of one client may share that makes them possibly one person.
DUPLICATE_KINDS = ("email", "phone", "mobile")
# Groups of possible duplicates per page, for each of DUPLICATE_KINDS.
DUPLICATES_PAGE = 50


def _contact_id(value: str) -> int | None:
    """A contact's id as posted, or None: not a number, or out of the column's
    range (which PostgreSQL would refuse with an error)."""
    try:
        return Contact._meta.pk.clean(value.strip(), None)
    except ValidationError:
        return None


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class MoveForm(forms.Form):
    """The target of a move: one of the viewer's enabled clients of the contacts'
    tenant, or "No client" for a member of every client."""

    target = forms.ChoiceField(label=gettext_lazy("Move to"))

    def __init__(self, *args, partitions, no_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.partitions = {str(p.pk): p for p in partitions}
        choices = [(key, str(p)) for key, p in self.partitions.items()]
        if no_client:
            choices.insert(0, (NO_CLIENT, _("No client")))
        self.fields["target"].choices = choices

    def target_partition(self) -> ClientPartition | None:
        """The client chosen, None for "No client"."""
        value = self.cleaned_data["target"]
        return None if value == NO_CLIENT else self.partitions[value]


class ContactsAcrossClientsAdmin:
    """What the contact list adds for moving and merging contacts: a mixin of
    ContactAdmin (a TenantScopedAdmin)."""

    actions = ["move_to_client", "merge_selected"]

    def across_urls(self) -> list:
        """The merge and duplicates pages, behind the admin's sign-in."""
        return [
            *self.extra_page("merge/", self.merge_view),
            *self.extra_page("duplicates/", self.duplicates_view),
        ]

    def _render(self, request, template: str, title: str, **context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            f"admin/contacts/contact/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                **context,
            },
        )

    # ----- move ------------------------------------------------------------------

    def _targets(self, request, tenant_ids: set[int]):
        return (
            ClientPartition.objects.visible_to(request.user)
            .filter(
                tenant_id__in=tenant_ids,
                enabled=True,
                deletion_requested_at__isnull=True,
            )
            .order_by("name")
        )

    @admin.action(
        description=gettext_lazy("Move to another client…"), permissions=["change"]
    )
    def move_to_client(self, request, queryset):
        """The intermediate page of a move: how many emails and activity entries
        follow the contacts, and the choice of target; its POST moves them."""
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        tenant_ids = set(queryset.order_by().values_list("tenant_id", flat=True))
        form = MoveForm(
            request.POST if "target" in request.POST else None,
            partitions=self._targets(request, tenant_ids),
            no_client=client_scope(request.user) is None,
        )
        if form.is_bound and form.is_valid():
            try:
                result = actions.move_contacts(
                    ids, form.target_partition(), actor=request.user
                )
            except ValidationError as exc:
                self.message_user(request, _errors(exc), messages.ERROR)
            else:
                self.message_user(request, result.describe(), messages.SUCCESS)
                return None
        return self._render(
            request,
            "move.html",
            _("Move to another client"),
            form=form,
            ids=ids,
            contacts=len(ids),
            emails=Email.objects.filter(contact_id__in=ids).count(),
            activities=Activity.objects.filter(
                Q(contact_id__in=ids) | Q(email__contact_id__in=ids)
            ).count(),
            action_checkbox_name=ACTION_CHECKBOX_NAME,
        )

    # ----- merge -----------------------------------------------------------------

    @admin.action(description=gettext_lazy("Merge…"), permissions=["change", "delete"])
    def merge_selected(self, request, queryset):
        """Open the side-by-side merge page for the selected contacts."""
        ids = list(
            queryset.order_by("pk").values_list("pk", flat=True)[: MERGE_MAX + 1]
        )
        if not 2 <= len(ids) <= MERGE_MAX:
            self.message_user(
                request,
                _("Select between 2 and %(max)s contacts to merge.")
                % {"max": MERGE_MAX},
                messages.WARNING,
            )
            return None
        url = reverse(f"{self.admin_site.name}:contacts_contact_merge")
        return HttpResponseRedirect(
            f"{url}?{urlencode({'ids': ','.join(map(str, ids))})}"
        )

    def merge_view(self, request):
        """ "Merge…": the selected contacts side by side, a radio per field for the
        value to keep and one for the record to keep; its POST merges them."""
        if not (
            self.has_change_permission(request) and self.has_delete_permission(request)
        ):
            raise PermissionDenied
        changelist = reverse(f"{self.admin_site.name}:contacts_contact_changelist")
        raw = (request.POST.get("ids") or request.GET.get("ids") or "").split(",")
        wanted = [pk for part in raw[:MERGE_MAX] if (pk := _contact_id(part))]
        contacts = list(self.get_queryset(request).filter(pk__in=wanted).order_by("pk"))
        if len(contacts) < 2:
            self.message_user(
                request,
                _("Select between 2 and %(max)s contacts to merge.")
                % {"max": MERGE_MAX},
                messages.WARNING,
            )
            return HttpResponseRedirect(changelist)
        by_id = {contact.pk: contact for contact in contacts}
        if request.method == "POST":
            response = self._merge(request, by_id)
            if response is not None:
                return response
        return self._render(
            request,
            "merge.html",
            _("Merge contacts"),
            contacts=contacts,
            ids=",".join(str(pk) for pk in by_id),
            rows=self._merge_rows(contacts),
        )

    def _merge(self, request, by_id: dict):
        def chosen_id(name: str) -> int | None:
            pk = _contact_id(request.POST.get(name, ""))
            return pk if pk in by_id else None

        keep = by_id.get(chosen_id("keep"))
        if keep is None:
            self.message_user(request, _("Choose the contact to keep."), messages.ERROR)
            return None
        chosen = {
            name: pk
            for name in actions.MERGED_FIELDS
            if (pk := chosen_id(f"field_{name}")) is not None
        }
        others = [pk for pk in by_id if pk != keep.pk]
        try:
            result = actions.merge_contacts(
                keep, others, actor=request.user, chosen=chosen
            )
        except ValidationError as exc:
            self.message_user(request, _errors(exc), messages.ERROR)
            return None
        self.message_user(request, result.describe(), messages.SUCCESS)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:contacts_contact_change", args=[keep.pk])
        )

    @staticmethod
    def _merge_rows(contacts: list[Contact]) -> list[dict]:
        """Per field: its label and each contact's value, the first non-empty one
        (in the order shown) checked."""
        rows = []
        for name in actions.MERGED_FIELDS:
            field = Contact._meta.get_field(name)
            values = [
                (contact.pk, getattr(contact, name) or "") for contact in contacts
            ]
            checked = next((pk for pk, value in values if value), values[0][0])
            rows.append(
                {
                    "name": name,
                    "label": field.verbose_name,
                    "cells": [
                        {"pk": pk, "value": value, "checked": pk == checked}
                        for pk, value in values
                    ],
                }
            )
        return rows

    # ----- possible duplicates ---------------------------------------------------

    def duplicates_view(self, request):
        """ "Possible duplicates": contacts of one client (or of no client) sharing
        a normalised email address, phone or mobile, in groups, a bounded page of
        each."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = request.GET.get("page", "")
        page = int(page) if page.isdigit() and int(page) < 10_000 else 0
        contacts = self.get_queryset(request).filter(placeholder="")
        groups = []
        for kind in DUPLICATE_KINDS:
            keys = list(
                contacts.exclude(**{kind: ""})
                .values("tenant_id", "partition_id", kind)
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
                .order_by("tenant_id", "partition_id", kind)[
                    page * DUPLICATES_PAGE : (page + 1) * DUPLICATES_PAGE + 1
                ]
            )
            groups.append((kind, keys[:DUPLICATES_PAGE], len(keys) > DUPLICATES_PAGE))
        members = self._members(contacts, groups)
        shown = []
        for kind, keys, _more in groups:
            for key in keys:
                found = members.get(
                    (kind, key["tenant_id"], key["partition_id"], key[kind]), []
                )
                shown.append(
                    {
                        "kind": Contact._meta.get_field(kind).verbose_name,
                        "value": key[kind],
                        "partition": found[0].partition if found else None,
                        "contacts": found,
                        "ids": ",".join(str(c.pk) for c in found[:MERGE_MAX]),
                    }
                )
        return self._render(
            request,
            "duplicates.html",
            _("Possible duplicates"),
            groups=shown,
            page=page,
            more=any(more for _kind, _keys, more in groups),
        )

    @staticmethod
    def _members(contacts, groups) -> dict:
        """The contacts of every group shown, in one query."""
        match = Q(pk__in=[])
        for kind, keys, _more in groups:
            for key in keys:
                match |= Q(
                    tenant_id=key["tenant_id"],
                    partition_id=key["partition_id"],
                    **{kind: key[kind]},
                )
        members: dict = {}
        for contact in (
            contacts.filter(match).select_related("partition").order_by("pk")
        ):
            for kind in DUPLICATE_KINDS:
                members.setdefault(
                    (
                        kind,
                        contact.tenant_id,
                        contact.partition_id,
                        getattr(contact, kind),
                    ),
                    [],
                ).append(contact)
        return members
