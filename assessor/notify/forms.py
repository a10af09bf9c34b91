from django import forms

from ..events import EVENT_TYPES
from .addresses import UnsafeTarget, target_check
from .formats import HEADLINES
from .models import WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[
            (event_type, f"{HEADLINES[event_type]} ({event_type})") for event_type in EVENT_TYPES
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event to send."},
    )

    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "format", "event_types", "active"]
        help_texts = {
            "url": "Where events are posted (https). Addresses of this server or of an internal "
            "network are refused unless the operator allows them.",
            "format": "Slack and Microsoft Teams presets post a message those services show "
            "in a channel; Standard Webhooks posts the event as signed JSON.",
            "active": "Untick to pause deliveries without deleting the endpoint.",
        }

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            target_check(url)
        except UnsafeTarget as error:
            raise forms.ValidationError(str(error)) from None
        return url
