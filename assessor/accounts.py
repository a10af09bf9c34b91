"""Account pages the app changes from Django's own: the password change is throttled, and
the sign-in page offers single sign-on when it is configured."""

from django.conf import settings
from django.contrib.auth.views import LoginView, PasswordChangeView

from .forms import ThrottledPasswordChangeForm


class ThrottledPasswordChangeView(PasswordChangeView):
    """Wrong old passwords count towards the sign-in lockout (see the form)."""

    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


password_change = ThrottledPasswordChangeView.as_view()


class SignInView(LoginView):
    """Django's sign-in page; with SSO configured it leads with the provider, and keeps the
    password form for local (break-glass) accounts."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.ASSESSOR_OIDC_ENABLED:
            context["sso_provider_name"] = settings.ASSESSOR_OIDC_PROVIDER_NAME
        return context


sign_in = SignInView.as_view()
