"""The console's URLs plus the stock admin at /django-admin/ (bench settings only)."""

from django.contrib import admin
from django.urls import path

from console.site_urls import handler400, handler403, handler404, handler500  # noqa: F401
from console.site_urls import urlpatterns as console_urlpatterns

urlpatterns = [path("django-admin/", admin.site.urls), *console_urlpatterns]
