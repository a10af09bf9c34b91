from django.conf import settings
from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.urls import include, path

from assessor.accounts import password_change

# Password reset mails a link: without a mail server its pages would only pretend to work, so
# they exist only when DJANGO_EMAIL_HOST is set.
RESET_NAMES = {
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
account_urls = [
    path("password_change/", password_change, name="password_change"),
    *(
        pattern
        for pattern in auth_urls.urlpatterns
        if pattern.name != "password_change"
        and (settings.EMAIL_HOST or pattern.name not in RESET_NAMES)
    ),
]

urlpatterns = [
    path("accounts/", include(account_urls)),
    path("admin/", admin.site.urls),
    path("questionnaires/", include("assessor.studio_urls")),
    path("", include("assessor.urls")),
]

# A database that is unavailable (restarting, connection dropped) answers 503 "not saved, try
# again" instead of a bare 500; any other error keeps Django's 500 page.
handler500 = "assessor.errors.server_error"
