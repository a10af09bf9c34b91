"""The API's JSON reader: the same safe parser as the import (`validators.json_loads`).

DRF's own JSONParser calls `json.load`, which recurses: a body nested ~1,000 levels deep
raised RecursionError (a 500), and a lone surrogate it accepted as a key crashed the error
response that echoed it. Here both are a 400 naming what is wrong and where (the name is
printed with the surrogate escaped).
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from assessor.records.validators import JsonRefused, json_loads, unencodable_problem


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            # NUL and other characters no field stores are left to the fields, which name them
            return json_loads(body, check=unencodable_problem)
        except JsonRefused as refused:
            if refused.malformed:
                raise ParseError(f"JSON parse error - {refused}.") from None
            raise ParseError(f"The body cannot be read: {refused}.") from None
