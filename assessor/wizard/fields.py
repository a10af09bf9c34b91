"""The names of a wizard step's form fields besides the radio group (named by question key).

Shared by the step form, its cached markup, the API and the wizard's initial data, so none of
them imports another for two names.
"""


def note_field(key: str) -> str:
    return f"{key}-note"


def evidence_field(key: str) -> str:
    return f"{key}-evidence"
