import io

import pytest
from rest_framework.exceptions import ParseError

from apps.core.parsers import DepthLimitedJSONParser


def parse(body: str):
    return DepthLimitedJSONParser().parse(io.BytesIO(body.encode()), "application/json", {})


def test_it_parses_a_body_nested_up_to_the_limit(settings):
    settings.JSON_MAX_DEPTH = 3
    assert parse('{"a": [{"b": "[[[["}]}') == {"a": [{"b": "[[[["}]}


def test_it_refuses_a_body_nested_deeper_than_the_limit(settings):
    settings.JSON_MAX_DEPTH = 3
    with pytest.raises(ParseError, match="nested deeper than 3 levels"):
        parse('{"a": [{"b": []}]}')


def test_it_still_refuses_what_drf_refuses():
    with pytest.raises(ParseError, match="JSON parse error"):
        parse('{"n": NaN}')
