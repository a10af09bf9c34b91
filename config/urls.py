from django.conf import settings
from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.urls import include, path

from assessor.grants import views as grants
from assessor.teams import sso_views
from assessor.teams.accounts import account_settings, password_change, sign_in
from assessor.teams.token_pages import token_list, token_revoke

# Password reset mails a link: without a mail server its pages would only pretend to work, so
# they exist only when DJANGO_EMAIL_HOST is set.
RESET_NAMES = {
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
account_urls = [
    path("login/", sign_in, name="login"),
    path("password_change/", password_change, name="password_change"),
    path("settings/", account_settings, name="account_settings"),
    path("tokens/", token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_revoke, name="token_revoke"),
    *(
        pattern
        for pattern in auth_urls.urlpatterns
        if pattern.name not in {"login", "password_change"}
        and (settings.EMAIL_HOST or pattern.name not in RESET_NAMES)
    ),
]

# Single sign-on (OpenID Connect): both pages answer 404 unless it is configured. The names
# are mozilla-django-oidc's; the callback is the redirect URI registered at the provider.
sso_urls = [
    path("authenticate/", sso_views.start, name="oidc_authentication_init"),
    path("callback/", sso_views.callback, name="oidc_authentication_callback"),
]

urlpatterns = [
    path("accounts/", include(account_urls)),
    # public, for runtimes that check grants (assessor/grants/)
    path(".well-known/jwks.json", grants.jwks, name="jwks"),
    path(".well-known/autonomy-grants/revoked.json", grants.revoked, name="grants_revoked"),
    path("oidc/", include(sso_urls)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("assessor.api.urls")),
    path("questionnaires/", include("assessor.studio.urls")),
    path("", include("assessor.register.urls")),
    path("", include("assessor.portfolio.urls")),
    # a team's members and webhooks, for its managers (team boundary: tests/test_cross_team.py)
    path("teams/", include("assessor.teams.member_urls")),
    path("teams/", include("assessor.notify.urls")),
    path("", include("assessor.evidence.urls")),
    path("board-packs/", include("assessor.boardpacks.urls")),
    path("", include("assessor.urls")),
]

# A database that is unavailable (restarting, connection dropped) answers 503 "not saved, try
# again" instead of a bare 500; any other error keeps Django's 500 page.
handler500 = "assessor.web.errors.server_error"
