"""Decoding generated tokens on the real default tokenizer: never half a character."""

import pytest

from model_worker.backends.decoding import StreamingText, text_from_tokens

pytestmark = pytest.mark.model

REPLACEMENT = "\ufffd"
# Byte-level BPE splits each of these characters over several tokens.
SPLIT_TEXT = "日本語"


@pytest.fixture(scope="module")
def tokenizer(default_backend):
    return default_backend.tokenizer


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False)


def test_the_test_text_really_splits_a_character_over_tokens(tokenizer):
    ids = _ids(tokenizer, SPLIT_TEXT)
    assert tokenizer.decode(ids[:-1]).endswith(REPLACEMENT)


def test_a_character_cut_at_the_last_tokens_is_left_out(tokenizer):
    ids = _ids(tokenizer, SPLIT_TEXT)
    texts = [text_from_tokens(tokenizer, ids[:cut]) for cut in range(1, len(ids) + 1)]

    assert all(REPLACEMENT not in text for text in texts), texts
    assert all(SPLIT_TEXT.startswith(text) for text in texts), texts
    assert texts[-2] == "日本"
    assert texts[-1] == SPLIT_TEXT


def test_a_replacement_character_the_model_produced_mid_text_is_kept(tokenizer):
    text = f"broken {REPLACEMENT} byte, then more"
    assert text_from_tokens(tokenizer, _ids(tokenizer, text)) == text


def test_streamed_partial_text_never_ends_in_half_a_character(tokenizer):
    ids = _ids(tokenizer, f"Hello {SPLIT_TEXT} 🙂 and مرحبا")
    stream = StreamingText(tokenizer)
    partial = [stream.text(ids[:cut]) for cut in range(1, len(ids) + 1)]

    assert all(REPLACEMENT not in text for text in partial), partial
    assert partial[-1] == f"Hello {SPLIT_TEXT} 🙂 and مرحبا"
    assert partial == [text_from_tokens(tokenizer, ids[:cut]) for cut in range(1, len(ids) + 1)]
