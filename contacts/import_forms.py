"""Form of the "Import contacts" admin page."""

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from ccadmin.models import Tenant
from ccadmin.tenancy import chosen_clients
from partitions.admin_fields import ClientPartitionChoiceField
from partitions.models import ClientPartition

ENCODINGS = [
    ("utf-8-sig", _("UTF-8 (with or without BOM)")),
    ("cp932", _("Shift_JIS (Japanese Excel, cp932)")),
]


class ContactImportForm(forms.Form):
    """Which CSV file to import, into which tenant (superusers) and client."""

    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all(), label=_("tenant"))
    partition = ClientPartitionChoiceField(
        queryset=ClientPartition.objects.none(),
        required=False,
        label=_("client partition"),
        empty_label=_("No client"),
        help_text=_("The BPO client the contacts belong to; empty for none."),
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A header line naming the columns: first name, last name, email, phone, "
            "company, title."
        ),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"), choices=ENCODINGS, initial="utf-8-sig"
    )
    atomic = forms.BooleanField(
        required=False,
        label=_("All or nothing"),
        help_text=_("Import no row if any row is refused."),
    )

    def __init__(self, *args, tenant: Tenant | None, user: User, **kwargs):
        """`tenant`: the administrator's tenant; None for a superuser, who picks.
        `user`: who imports; only the client partitions they see are offered."""
        super().__init__(*args, **kwargs)
        self.fixed_tenant = tenant
        partitions = ClientPartition.objects.visible_to(user).select_related("tenant")
        if tenant is not None:
            del self.fields["tenant"]
        else:
            self.fields["partition"].show_tenant = True
        self.fields["partition"].queryset = partitions
        if chosen_clients(user) is not None:
            # A member of chosen clients imports into one of them, never into none.
            self.fields["partition"].required = True
            self.fields["partition"].empty_label = None
        self.fields["file"].help_text = (
            str(self.fields["file"].help_text)
            + " "
            + str(
                _("At most %(size)s; use `manage.py import_contacts` for larger files.")
                % {"size": filesizeformat(settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE)}
            )
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE),
                }
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        tenant = self.fixed_tenant or cleaned.get("tenant")
        partition = cleaned.get("partition")
        if tenant is not None and partition is not None:
            if partition.tenant_id != tenant.pk:
                self.add_error(
                    "partition", _("Choose a client partition of this tenant.")
                )
        cleaned["tenant"] = tenant
        return cleaned
