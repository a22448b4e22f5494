"""Admin form fields and filters that offer client partitions, used by every app whose
records belong to a BPO client (services, contacts)."""

from django.contrib import admin
from django.forms import ModelChoiceField
from django.utils.translation import gettext_lazy as _

from ccadmin.tenancy import client_scope


class ClientPartitionChoiceField(ModelChoiceField):
    """A client partition select that marks disabled clients (and, for superusers,
    names the tenant), so an administrator sees what an assignment will do."""

    def __init__(self, *args, show_tenant: bool = False, **kwargs):
        self.show_tenant = show_tenant
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        label = str(obj)
        if self.show_tenant:
            label = f"{obj.tenant} / {label}"
        if not obj.enabled:
            label = _("%(name)s (disabled)") % {"name": label}
        return label


class TenantPartitionFilter(admin.RelatedFieldListFilter):
    """Filter by client partition, including "none", offering only the partitions
    the viewer sees (`visible_to`: their tenant's, their clients'; the stock filter
    would list every tenant's). "None" only for those who see rows of no client."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.every_client = client_scope(request.user) is None
        super().__init__(field, request, params, model, model_admin, field_path)
        # The empty choice means "belongs to no BPO client".
        self.empty_value_display = _("No client")

    @property
    def include_empty_choice(self) -> bool:
        return self.every_client and super().include_empty_choice

    def field_choices(self, field, request, model_admin):
        queryset = field.related_model._default_manager.visible_to(request.user)
        if request.user.is_superuser:
            queryset = queryset.select_related("tenant")
        return [
            (obj.pk, f"{obj.tenant} / {obj}" if request.user.is_superuser else str(obj))
            for obj in queryset
        ]
