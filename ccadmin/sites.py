"""The Contact Center Administrator: Django's admin site, grouped as the product."""

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ccadmin.admin_base import refusing_unsafe_queries

# The product's menu groups (e.g. contacts and their history beside client partitions,
# under "Case & Contact Management"): head app label -> the apps shown in the group,
# in order. Each feature app places itself from its AppConfig.ready() (menu_group), so
# this core module names none of them.
_MENU_GROUPS: dict[str, list[str]] = {}


def menu_group(app_label: str, *, under: str | None = None) -> None:
    """Show the app's screens in the admin's menu as a group of their own, or inside
    the group headed by the app `under`; groups come in the order they are made."""
    _MENU_GROUPS.setdefault(under or app_label, [])
    if app_label not in _MENU_GROUPS[under or app_label]:
        _MENU_GROUPS[under or app_label].append(app_label)


class ContactCenterAdminSite(admin.AdminSite):
    """The administrator application of a contact center."""

    site_header = _("Contact Center Administrator")
    site_title = _("Contact Center Administrator")
    index_title = _("Administration")

    def admin_view(self, view, cacheable=False):
        """Every admin view, after the sign-in check, refuses a query string with
        control characters or an overlong search with a clear 400 (never a 500)."""
        return super().admin_view(refusing_unsafe_queries(self, view), cacheable)

    def get_app_list(self, request, app_label=None):
        """Group the menu as the product does; other apps follow in Django's order."""
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        by_label = {app["app_label"]: app for app in app_list}
        grouped = []
        for head, members in _MENU_GROUPS.items():
            present = [by_label.pop(label) for label in members if label in by_label]
            if not present:
                continue
            group = dict(present[0])
            if present[0]["app_label"] != head:
                # Only the later members are visible to this user: keep the group name.
                group["name"] = apps.get_app_config(head).verbose_name
            group["models"] = [model for app in present for model in app["models"]]
            grouped.append(group)
        return grouped + list(by_label.values())
