"""URL map. Staff pages require a login; the admin is for superusers."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
