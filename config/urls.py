from django.contrib import admin
from django.urls import include, path

from postmortems.views import healthz

urlpatterns = [
    path("", include("postmortems.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler400 = "postmortems.views.errors.bad_request"
handler403 = "accounts.audit.permission_denied"
handler500 = "postmortems.views.errors.server_error"
