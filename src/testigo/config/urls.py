"""URL map. Staff pages require a login; the Django admin is for superusers."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("testigo.core.urls")),
    path("accounts/", include("testigo.accounts.urls")),
    path("review/", include("testigo.matching.urls")),
    path("estimates/", include("testigo.estimates.urls")),
    path("evidence/", include("testigo.evidence.urls")),
    path("imports/", include("testigo.imports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
