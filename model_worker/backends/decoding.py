"""Generated token ids to text that never ends in half a character.

A byte-level tokenizer can split one multi-byte character over several tokens. Decoding the
tokens generated so far (a partial text while streaming, or a response cut at its token
limit) would then end in U+FFFD. The tokenizers library's stream decoder holds such a tail
back until the tokens that complete it arrive, so it never reaches the database; a U+FFFD
followed by more text (one the model really produced) is kept.
"""

from tokenizers.decoders import DecodeStream


class StreamingText:
    """One row's text as its tokens grow, decoding only the tokens added since last time."""

    def __init__(self, tokenizer) -> None:
        self._backend = tokenizer.backend_tokenizer
        self._stream = DecodeStream(skip_special_tokens=True)
        self._pieces: list[str] = []
        self._fed = 0

    def text(self, tokens: list[int]) -> str:
        for token in tokens[self._fed :]:
            piece = self._stream.step(self._backend, token)
            if piece:
                self._pieces.append(piece)
        self._fed = len(tokens)
        return "".join(self._pieces).strip()


def text_from_tokens(tokenizer, tokens: list[int]) -> str:
    """The text of generated tokens, without a character the last tokens only began."""
    return StreamingText(tokenizer).text(tokens)
