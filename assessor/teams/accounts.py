"""Account pages the app changes from Django's own: the password change is throttled, the
sign-in page offers single sign-on when it is configured, and each person's settings (review
emails on or off) have a page of their own."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from assessor.teams import access, selectors
from assessor.wizard.forms import NotificationPreferenceForm, ThrottledPasswordChangeForm


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


@require_http_methods(["GET", "POST"])
def account_settings(request):
    """The signed-in person's own settings; nobody else's can be reached from here."""
    preference = selectors.preference_get(request.user)
    # An unticked box posts nothing at all: bind on the method, not on the data.
    data = request.POST if request.method == "POST" else None
    form = NotificationPreferenceForm(data, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        state = "on" if form.cleaned_data["review_emails"] else "off"
        reminders = "on" if form.cleaned_data["reminder_emails"] else "off"
        messages.success(
            request, f"Saved: review emails are {state}. Reminders and digests are {reminders}."
        )
        return redirect("account_settings")
    managed = access.teams_for(request.user, access.MANAGE).distinct().order_by("name")
    return render(
        request, "registration/account_settings.html", {"form": form, "managed_teams": managed}
    )
