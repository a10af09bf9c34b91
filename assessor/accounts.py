"""Account pages the app changes from Django's own: the password change is throttled."""

from django.contrib.auth.views import PasswordChangeView

from .forms import ThrottledPasswordChangeForm


class ThrottledPasswordChangeView(PasswordChangeView):
    """Wrong old passwords count towards the sign-in lockout (see the form)."""

    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


password_change = ThrottledPasswordChangeView.as_view()
