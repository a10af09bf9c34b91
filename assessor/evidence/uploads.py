"""The size limit, applied while the request body arrives rather than after it was stored.

A declared Content-Length over the limit is refused before a byte of the body is read; a body
that grows past it (no length given, or a wrong one) is cut off by `LimitedUpload`, the first
upload handler, before Django's own handlers write more of it to memory or disk.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD = 64 * 1024


def declared_too_large(meta) -> bool:
    """Whether the request says its body is longer than any allowed upload."""
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.ASSESSOR_EVIDENCE_MAX_BYTES + FORM_OVERHEAD


class LimitedUpload(FileUploadHandler):
    """Counts the bytes of uploaded files; past the limit it stops the upload (and says so)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.ASSESSOR_EVIDENCE_MAX_BYTES
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers build the file
