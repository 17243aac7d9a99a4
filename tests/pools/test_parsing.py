"""Reading pool files: every bad row reported with its line, good rows kept verbatim."""

import io
import json

import pytest

from apps.pools.parsing import (
    REPORTED_ERRORS,
    PoolFileError,
    file_format_detect,
    pool_file_parse,
)

MAX_MESSAGES = 5  # a batch with max_turns=3


def parse(data: bytes, file_format: str = "jsonl", **kwargs):
    return pool_file_parse(
        io.BytesIO(data), file_format=file_format, max_messages=MAX_MESSAGES, **kwargs
    )


def refused(data: bytes, file_format: str = "jsonl", **kwargs) -> PoolFileError:
    with pytest.raises(PoolFileError) as caught:
        parse(data, file_format, **kwargs)
    return caught.value


def jsonl(*objects) -> bytes:
    return b"".join(
        (o if isinstance(o, bytes) else json.dumps(o).encode()) + b"\n" for o in objects
    )


def test_it_reads_prompts_messages_category_and_metadata_from_jsonl():
    rows = parse(
        jsonl(
            {"prompt": "Hi there", "category": "greeting", "metadata": {"id": 7}, "src": [1]},
            {
                "messages": [
                    {"role": "user", "content": "A"},
                    {"role": "assistant", "content": "B"},
                    {"role": "user", "content": "C"},
                ]
            },
        )
    )
    assert [r.line_number for r in rows] == [1, 2]
    assert rows[0].context == [{"role": "user", "content": "Hi there"}]
    assert rows[0].category == "greeting"
    assert rows[0].metadata == {"id": 7, "src": [1]}
    assert [m["content"] for m in rows[1].context] == ["A", "B", "C"]
    assert rows[1].category == "" and rows[1].metadata == {}


def test_it_skips_blank_lines_without_counting_them_but_keeps_line_numbers():
    rows = parse(b'\n  \n{"prompt": "one"}\r\n\n{"prompt": "two"}')
    assert [(r.line_number, r.context[0]["content"]) for r in rows] == [(3, "one"), (5, "two")]


def test_it_accepts_duplicate_rows():
    assert len(parse(jsonl({"prompt": "same"}, {"prompt": "same"}))) == 2


def test_it_keeps_non_ascii_and_hostile_text_verbatim():
    text = "  <script>alert('x')</script> Ünïcödé 中文 🙂 \u202e\t\n "
    rows = parse(jsonl({"prompt": text, "note": "<img src=x onerror=alert(1)>"}))
    assert rows[0].context[0]["content"] == text
    assert rows[0].metadata == {"note": "<img src=x onerror=alert(1)>"}


def test_it_ignores_a_utf8_byte_order_mark():
    assert parse(b'\xef\xbb\xbf{"prompt": "x"}\n')[0].context[0]["content"] == "x"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"\xff\xfe not utf-8", "is not valid UTF-8"),
        (b'{"prompt": "a\x00b"}', "contains a NUL byte"),
        (b'{"prompt": "a\\u0000b"}', "NUL character"),
        (b'{"prompt": "\\ud800"}', "unpaired surrogate"),
        (b'{"prompt": "x",}', "malformed JSON in line: Expecting property name"),
        (b'{"prompt": "x", "n": NaN}', "NaN is not valid JSON"),
        (b'{"prompt": "x", "n": 1e999}', "out of range"),
        (b"[" * 100_000, "line nests deeper than 32 levels"),
        (b'["prompt"]', "expected a JSON object, got a list"),
        (b'{"prompt": 3}', '"prompt" must be a string, got a number'),
        (b'{"prompt": ""}', '"prompt" is empty'),
        (b'{"prompt": " \\n\\t"}', '"prompt" is empty'),
        (b'{"category": "c"}', 'needs a "prompt" or a "messages" value'),
        (b'{"prompt": "x", "messages": []}', 'either "prompt" or "messages"'),
        (b'{"messages": "hi"}', '"messages" must be a list, got a string'),
        (b'{"messages": []}', '"messages" is empty'),
        (b'{"messages": ["hi"]}', "message 1 must be an object"),
        (b'{"messages": [{"role": "system", "content": "x"}]}', "unknown role"),
        (b'{"messages": [{"role": "user", "content": 1}]}', "message 1 must be a string"),
        (b'{"messages": [{"role": "user"}]}', "message 1 must be a string, got null"),
        (b'{"messages": [{"role": "user", "content": "x", "name": "n"}]}', 'unexpected key "name"'),
        (b'{"messages": [{"role": "assistant", "content": "x"}]}', 'message 1 should be "user"'),
        (
            b'{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}',
            'message 2 should be "assistant"',
        ),
        (
            b'{"messages": [{"role": "user", "content": "a"}, '
            b'{"role": "assistant", "content": "b"}]}',
            'must end with a "user" message',
        ),
        (b'{"prompt": "x", "category": 5}', '"category" must be a string'),
        (b'{"prompt": "x", "metadata": [1]}', '"metadata" must be an object, got a list'),
        (b'{"prompt": "x", "k": 1, "metadata": {"k": 2}}', 'key "k" is both'),
    ],
)
def test_it_reports_each_kind_of_bad_jsonl_line_with_its_number(line, message):
    error = refused(jsonl({"prompt": "good"}, b"", line, {"prompt": "good"}))
    assert [(e.line, message in e.message) for e in error.lines] == [(3, True)], error.lines
    assert "nothing was imported" in error.message


def test_it_reports_a_line_nested_deeper_than_the_limit(settings):
    """Deep metadata was accepted once, then broke the pool item's admin page."""
    deep = '{"prompt": "x", "metadata": {"tree": ' + "[" * 900 + "]" * 900 + "}}"
    settings.JSON_MAX_DEPTH = 4
    at_limit = {"prompt": "x", "metadata": {"a": {"b": [1]}}}  # 4 levels
    error = refused(
        jsonl(at_limit, {"prompt": "x", "metadata": {"a": {"b": [[1]]}}}, deep.encode())
    )
    assert [(e.line, e.message) for e in error.lines] == [
        (2, "line nests deeper than 4 levels"),
        (3, "line nests deeper than 4 levels"),
    ]


def test_it_reports_a_csv_messages_cell_nested_deeper_than_the_limit(settings):
    settings.JSON_MAX_DEPTH = 3
    cell = '[{""role"": ""user"", ""content"": ""x"", ""extra"": [[1]]}]'
    error = refused(f'messages\n"{cell}"\n'.encode(), "csv")
    assert [(e.line, e.message) for e in error.lines] == [
        (2, '"messages" nests deeper than 3 levels')
    ]


def test_it_refuses_a_prompt_over_the_character_limit(settings):
    settings.MAX_PROMPT_CHARS = 10
    error = refused(jsonl({"prompt": "x" * 10}, {"prompt": "x" * 11}))
    assert [(e.line, e.message) for e in error.lines] == [
        (2, '"prompt" has 11 characters; the limit is 10')
    ]


def test_it_refuses_more_turns_than_the_batch_allows():
    turns = [{"role": ("user", "assistant")[i % 2], "content": str(i)} for i in range(7)]
    error = refused(jsonl({"messages": turns[:5]}, {"messages": turns}))
    assert [(e.line, e.message) for e in error.lines] == [
        (2, "too many turns: 7 messages, this batch allows at most 5")
    ]


def test_it_reports_every_bad_line_not_only_the_first():
    error = refused(jsonl({"prompt": ""}, {"prompt": "ok"}, b"{oops", {"prompt": None}))
    assert [e.line for e in error.lines] == [1, 3, 4]
    assert error.error_count == 3 and error.more_count == 0
    assert error.message == "3 lines have errors; nothing was imported."


def test_it_names_the_first_bad_lines_and_counts_the_rest():
    error = refused(jsonl(*[{"prompt": ""}] * (REPORTED_ERRORS + 50)))
    assert len(error.lines) == REPORTED_ERRORS
    assert error.lines[-1].line == REPORTED_ERRORS
    assert error.error_count == REPORTED_ERRORS + 50
    assert error.more_count == 50


def test_it_refuses_more_rows_than_the_limit_and_ignores_blank_lines_in_the_count():
    assert len(parse(jsonl(*[{"prompt": "p"}] * 3) + b"\n\n", max_rows=3)) == 3
    error = refused(jsonl(*[{"prompt": "p"}] * 4), max_rows=3)
    assert error.message == "The file has more than 3 rows; split it into smaller files."


def test_it_refuses_a_file_without_rows():
    assert refused(b"\n \n").message == "The file has no rows."
    assert "needs a header row" in refused(b"", "csv").message


# --- CSV ----------------------------------------------------------------------------------


def test_it_reads_csv_with_quoted_newlines_and_keeps_other_columns_as_text():
    data = (
        "prompt,category,source,id\r\n"
        "Hello,greet,forum,1\r\n"
        '"Two\r\nlines, and ""quotes""",,web,2\r\n'
        "\r\n"
        "Ünïcödé 🙂 <b>x</b>,c,,3\r\n"
    ).encode()
    rows = parse(data, "csv")
    assert [r.line_number for r in rows] == [2, 3, 6]
    assert rows[1].context == [{"role": "user", "content": 'Two\r\nlines, and "quotes"'}]
    assert rows[0].metadata == {"source": "forum", "id": "1"}
    assert rows[2].context[0]["content"] == "Ünïcödé 🙂 <b>x</b>"
    assert rows[2].category == "c" and rows[2].metadata == {"source": "", "id": "3"}


def test_it_reads_a_messages_column_as_json_text():
    messages = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c"},
    ]
    cell = json.dumps(messages).replace('"', '""')
    rows = parse(f'messages,category\n"{cell}",x\n'.encode(), "csv")
    assert rows[0].context == messages


def test_it_takes_whichever_of_prompt_and_messages_a_csv_row_fills():
    cell = json.dumps([{"role": "user", "content": "m"}]).replace('"', '""')
    rows = parse(f'prompt,messages\np,\n,"{cell}"\n'.encode(), "csv")
    assert [r.context[0]["content"] for r in rows] == ["p", "m"]
    error = refused(f'prompt,messages\np,"{cell}"\n,\n'.encode(), "csv")
    assert [(e.line, e.message) for e in error.lines] == [
        (2, 'give either "prompt" or "messages", not both'),
        (3, '"prompt" is empty'),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"\xff\xfe,c", "is not valid UTF-8"),
        (b"a\x00b,c", "contains a NUL byte"),
        (b'"bad"quote,c', "malformed CSV"),
        (b"only-one-field", "has 1 fields; the header has 2"),
        (b"a,b,c", "has 3 fields; the header has 2"),
        (b",c", '"prompt" is empty'),
    ],
)
def test_it_reports_each_kind_of_bad_csv_line_with_its_number(line, message):
    error = refused(b"prompt,category\ngood,c\n" + line + b"\ngood,c\n", "csv")
    assert [(e.line, message in e.message) for e in error.lines] == [(3, True)], error.lines


def test_it_reports_bad_json_in_a_csv_messages_cell():
    error = refused(b'messages\n"[{""role"": ""user"", ""content"": ""x""}"\n', "csv")
    assert error.lines[0].line == 2
    assert error.lines[0].message.startswith('malformed JSON in "messages"')


def test_it_reports_an_unterminated_quote_at_the_line_it_starts():
    error = refused(b'prompt\nok\n"never closed\nmore\n', "csv")
    assert [(e.line, e.message) for e in error.lines] == [
        (3, "malformed CSV: unexpected end of data")
    ]


def test_it_refuses_a_csv_header_without_a_prompt_or_messages_column():
    error = refused(b"question,category\nhi,c\n", "csv")
    assert 'needs a "prompt" or a "messages" column' in error.message
    assert "question" in error.message
    assert "twice" in refused(b"prompt,x,x\nhi,1,2\n", "csv").message


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        ("pool.jsonl", b"prompt\n", "jsonl"),
        ("POOL.CSV", b'{"prompt": 1}', "csv"),
        ("pool.txt", b'\xef\xbb\xbf  {"prompt": 1}', "jsonl"),
        ("pool", b"prompt,category\n", "csv"),
    ],
)
def test_it_detects_the_format_by_extension_then_by_content(filename, head, expected):
    assert file_format_detect(filename=filename, head=head) == expected
