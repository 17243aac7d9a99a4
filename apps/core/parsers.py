"""Request body parsers for the API."""

import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .json_depth import json_nests_deeper_than


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than `JSON_MAX_DEPTH` with a 400.

    The standard decoder recurses once per level, so a small body nested a thousand deep
    would end in a RecursionError (a 500) before any serializer saw it.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.JSON_MAX_DEPTH
        if json_nests_deeper_than(body.decode(encoding, errors="replace"), max_depth=limit):
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels.")
        return super().parse(io.BytesIO(body), media_type, parser_context)
