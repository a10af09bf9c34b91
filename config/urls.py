from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("assessor.urls")),
]

# A database that is unavailable (restarting, connection dropped) answers 503 "not saved, try
# again" instead of a bare 500; any other error keeps Django's 500 page.
handler500 = "assessor.errors.server_error"
