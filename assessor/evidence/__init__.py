"""File evidence on an answer or on a whole record: upload (checked by content), storage
through Django's STORAGES ("evidence"), downloads through the app, expiry that asks for a
re-review."""
