"""Turn comparison rows (tuples in `selectors.COLUMNS` order) into each format's records."""

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from django.conf import settings

from .options import MARGINS, ExportOptions


def annotator_pseudonym(user_id: int) -> str:
    """A stable id that cannot be turned back into the user without the SECRET_KEY."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"annotator:{user_id}".encode(), "sha256")
    return "ann_" + digest.hexdigest()[:16]


def split_of(
    *, dialogue_id: int | None, seed: int, test_fraction: float, pool_item_id: int | None = None
) -> str:
    """train or test, decided by the dialogue alone (or, for a pool pair, by its pool item: one
    context judged by several annotators), so neither ever spans both splits.

    Dialogue pairs keep the key they always had; pool items get their own key space."""
    key = f"{seed}:{dialogue_id}" if pool_item_id is None else f"{seed}:pool:{pool_item_id}"
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return "test" if int.from_bytes(digest, "big") / 2**64 < test_fraction else "train"


def safety_label_of(chosen_is_safe: bool | None, rejected_is_safe: bool | None) -> str | None:
    if chosen_is_safe is None:
        return None
    if chosen_is_safe:
        return "both_safe" if rejected_is_safe else "chosen_safe_other_unsafe"
    return "both_unsafe"


def utc_aware(value: datetime | None) -> datetime | None:
    """A timestamp from the raw cursor, with its offset: SQLite's driver gives naive UTC ones
    (the raw cursor skips Django's converters), PostgreSQL's aware ones."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def transcript(messages: list[dict]) -> str:
    """Anthropic HH-RLHF style: "\\n\\nHuman: ...\\n\\nAssistant: ..."."""
    names = {"user": "Human", "assistant": "Assistant"}
    return "".join(f"\n\n{names.get(m['role'], m['role'])}: {m['content']}" for m in messages)


class _Names(dict):
    """id -> name; an id missing from the table shows as its number, as text."""

    def __missing__(self, key):
        value = self[key] = str(key)
        return value


class RowBuilder:
    """Build one format's record per row. `for_json` keeps the context as the stored JSON text
    (spliced in by orjson without parsing), otherwise it is parsed into Python lists."""

    def __init__(
        self,
        *,
        options: ExportOptions,
        batches: dict[int, str],
        variants: dict[int, str],
        for_json: bool,
        weights: dict[int, float] | None = None,
    ) -> None:
        self.options = options
        # annotator id -> reliability weight; None: no `weight` column (not asked for).
        self.weights = weights
        self.batches = _Names(batches)
        self.variants = _Names(variants)
        self.margins = MARGINS[options.margin]
        self.for_json = for_json
        self.pseudonyms: dict[int, str | int] = {}
        self.build: Callable[[tuple], dict] = {
            "trl": self._trl,
            "trl-text": self._trl_text,
            "hh": self._hh,
            "raw": self._raw,
        }[options.format]

    def _annotator(self, user_id: int) -> str | int:
        if user_id not in self.pseudonyms:
            raw = self.options.annotator_ids == "raw"
            self.pseudonyms[user_id] = user_id if raw else annotator_pseudonym(user_id)
        return self.pseudonyms[user_id]

    def _context(self, text: str):
        return orjson.Fragment(text) if self.for_json else orjson.loads(text)

    def _metadata(self, row: tuple) -> dict:
        (
            pk,
            dialogue_id,
            batch_id,
            track,
            annotator_id,
            turn_index,
            _context,
            _c,
            _r,
            chosen_variant,
            rejected_variant,
            strength,
            chosen_safe,
            rejected_safe,
            created_at,
            pool_item_id,
            category,
        ) = row[:17]
        record = {
            "id": pk,
            "dialogue_id": dialogue_id,
            "pool_item_id": pool_item_id,
            "category": category or None,
            "batch": self.batches[batch_id],
            "track": track,
            "turn_index": turn_index,
            "strength": strength,
            "safety_label": safety_label_of(chosen_safe, rejected_safe),
            "chosen_variant": self.variants[chosen_variant],
            "rejected_variant": self.variants[rejected_variant],
            "annotator": self.pseudonyms.get(annotator_id) or self._annotator(annotator_id),
            "created_at": utc_aware(created_at),
        }
        if self.margins is not None:
            record["margin"] = self.margins[strength]
        if self.options.test_fraction > 0:
            record["split"] = split_of(
                dialogue_id=dialogue_id,
                pool_item_id=pool_item_id,
                seed=self.options.split_seed,
                test_fraction=self.options.test_fraction,
            )
        if self.weights is not None:
            record["weight"] = self.weights.get(annotator_id, 1.0)
        return record

    def _trl(self, row: tuple) -> dict:
        return {
            "prompt": self._context(row[6]),
            "chosen": [{"role": "assistant", "content": row[7]}],
            "rejected": [{"role": "assistant", "content": row[8]}],
            **self._metadata(row),
        }

    def _trl_text(self, row: tuple) -> dict:
        return {
            "prompt": transcript(orjson.loads(row[6])) + "\n\nAssistant:",
            "chosen": " " + row[7],
            "rejected": " " + row[8],
            **self._metadata(row),
        }

    def _hh(self, row: tuple) -> dict:
        context = transcript(orjson.loads(row[6]))
        return {
            "chosen": f"{context}\n\nAssistant: {row[7]}",
            "rejected": f"{context}\n\nAssistant: {row[8]}",
            **self._metadata(row),
        }

    def _raw(self, row: tuple) -> dict:
        (
            pair_id,
            pair_created_at,
            left_id,
            time_spent_ms,
            chosen_id,
            c_slot,
            c_temp,
            c_top_p,
            c_max,
            c_seed,
            rejected_id,
            r_slot,
            r_temp,
            r_top_p,
            r_max,
            r_seed,
            pool_metadata,
        ) = row[17:34]
        record = {
            **self._metadata(row),
            "pair_id": pair_id,
            "batch_id": row[2],
            "context": self._context(row[6]),
            "chosen_text": row[7],
            "rejected_text": row[8],
            "chosen_sample_id": chosen_id,
            "chosen_slot": c_slot,
            "chosen_temperature": c_temp,
            "chosen_top_p": c_top_p,
            "chosen_max_new_tokens": c_max,
            "chosen_seed": c_seed,
            "rejected_sample_id": rejected_id,
            "rejected_slot": r_slot,
            "rejected_temperature": r_temp,
            "rejected_top_p": r_top_p,
            "rejected_max_new_tokens": r_max,
            "rejected_seed": r_seed,
            "left": "chosen" if left_id == chosen_id else "rejected",
            "chosen_is_safe": row[12],
            "rejected_is_safe": row[13],
            "time_spent_ms": time_spent_ms,
            "pair_created_at": utc_aware(pair_created_at),
            # Kept as uploaded, as JSON text: its keys differ between uploads.
            "pool_metadata": pool_metadata,
        }
        if len(row) > 34:
            record["votes"], record["annotations"] = row[34], row[35]
        return record
