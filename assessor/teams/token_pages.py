"""The user's API tokens page (/accounts/tokens/): list with last use, create (shown once),
revoke. The rules live in `tokens.py`; these views only show and collect."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from assessor.teams import selectors, tokens

private = cache_control(private=True, no_store=True)  # the new token is on the page once


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=tokens.NAME_MAX_LENGTH,
        help_text="What uses it, e.g. 'GRC sync' or 'CI pipeline'.",
    )
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=tokens.MAX_DAYS,
        initial=tokens.DEFAULT_DAYS,
    )

    def clean_name(self):
        return tokens.check_name(self.cleaned_data["name"])


@private
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = tokens.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            created = {"token": token, "raw": raw}
            form = TokenForm()
    now = timezone.now()
    rows = [(token, token.state(now)) for token in selectors.tokens_list(request.user)]
    return render(
        request, "assessor/teams/tokens.html", {"form": form, "created": created, "rows": rows}
    )


@require_POST
def token_revoke(request, pk: int):
    token = selectors.token_get(request.user, pk)
    tokens.token_revoke(user=request.user, pk=token.pk)
    messages.success(request, f"Token '{token.name}' ({token.prefix}) is revoked.")
    return redirect("tokens")
