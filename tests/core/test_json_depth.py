import pytest

from apps.core.json_depth import json_nests_deeper_than


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"[[[["', 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('[[1], [2], {"c": [3]}]', 3),
        ('["\\"[[[", ["\\\\", "]]]"]]', 2),  # escaped quotes and brackets inside strings
        ("[" * 2000 + "]" * 2000, 2000),
    ],
)
def test_it_counts_only_the_brackets_outside_strings(text, depth):
    assert not json_nests_deeper_than(text, max_depth=depth)
    if depth:
        assert json_nests_deeper_than(text, max_depth=depth - 1)
