"""Signing in: Django's model backend, loading the user's tenant with the user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class TenantModelBackend(ModelBackend):
    """Django's username/password backend. The user of each request is loaded with
    its membership and tenant in the same query, so tenancy costs no extra query on
    any page (measured on the agent drop-down JSON: bench/RESULTS.md)."""

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("membership__tenant")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
