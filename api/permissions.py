"""What a caller of the API may do: their Django model permissions, as the admin
checks them (view to read, add, change, delete), on the model the view serves,
and only for those the admin lets in at all (active staff)."""

from django.contrib import admin
from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """DRF's model permissions, with "view" needed to read (DRF's default lets anyone
    authenticated read). A view names other permissions for one of its actions in
    `action_permissions` ({"export": ["view"], "deletion_preview": ["delete"]}).
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view):
        # The admin's own gate (AdminSite.has_permission: active staff), called, not
        # copied: an agent's permissions (view partitions, add contacts) are for the
        # agent desktop, and give them no API, with a token or with their session.
        if not admin.site.has_permission(request):
            return False
        verbs = getattr(view, "action_permissions", {}).get(getattr(view, "action", ""))
        if verbs is None:
            return super().has_permission(request, view)
        user = request.user
        if not user or not user.is_authenticated:
            return False
        opts = self._queryset(view).model._meta
        return user.has_perms(
            [f"{opts.app_label}.{verb}_{opts.model_name}" for verb in verbs]
        )

    def _queryset(self, view):
        # Only the model is read from it: not the caller's rows, whose visible_to()
        # builds a query (a twentieth of an API request, bench/RESULTS.md issue 15).
        model = getattr(view, "model", None)
        if model is not None:
            return model._default_manager.get_queryset()
        return super()._queryset(view)
