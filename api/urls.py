"""URLs of the administration API, under /api/v1/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api import audit, errors, interactions, partitions, records

app_name = "api_v1"

router = SimpleRouter()
router.register("client-partitions", partitions.ClientPartitionViewSet, "partition")
router.register("services", records.ServiceViewSet, "service")
router.register("contacts", records.ContactViewSet, "contact")
router.register("companies", records.CompanyViewSet, "company")
router.register("emails", records.EmailViewSet, "email")
router.register("activities", records.ActivityViewSet, "activity")
router.register("audit-entries", audit.AuditEntryViewSet, "auditentry")

urlpatterns = [
    path("", include(router.urls)),
    # The gateway endpoint (/api/interactions/) under v1 as well, with its gateway
    # tokens: the same view, so the same records; its errors as problems.
    path("interactions/", interactions.receive_interaction_v1, name="interactions"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_v1:schema"),
        name="docs",
    ),
    # Anything else under /api/v1/: a 404 problem, not the site's HTML page.
    re_path(r"^.*$", errors.not_found),
]
