"""An export as a stream of records or bytes: the one path that the streamed request, the
export job and the benchmark all use."""

from collections.abc import Iterator

import orjson
from django.conf import settings
from django.db.models import QuerySet

from apps.batches.models import Batch

from .cards import CardBuilder
from .formats import RowBuilder, safety_label_of, split_of
from .options import ExportOptions
from .parquet import parquet_bytes, schema_for
from .selectors import (
    annotator_weights,
    batch_names,
    columns_for,
    comparison_card_groups,
    comparison_row_chunks,
    comparisons_combined,
    export_batch_ids,
    export_selection_quality,
    variant_names,
)

CONTENT_TYPES = {"jsonl": "application/jsonl", "parquet": "application/vnd.apache.parquet"}


def export_count(*, options: ExportOptions, visible: QuerySet[Batch]) -> int:
    """How many rows the export selects (before a train/test split is applied)."""
    return comparisons_combined(options=options, visible=visible).count()


def export_records(
    *,
    options: ExportOptions,
    visible: QuerySet[Batch],
    card: CardBuilder | None = None,
    chunk_rows: int | None = None,
) -> Iterator[list[dict]]:
    """Yield the export's records chunk by chunk, in comparison-id order. With a card, its
    quality figures are computed once the last chunk has gone."""
    weights = None
    if options.weight:  # one lookup for the whole export, never per row
        weights = annotator_weights(batch_ids=export_batch_ids(options=options, visible=visible))
    builder = RowBuilder(
        options=options,
        batches=batch_names(),
        variants=variant_names(),
        for_json=options.file_type == "jsonl",
        weights=weights,
    )
    build = builder.build
    queryset = comparisons_combined(options=options, visible=visible)
    for rows in comparison_row_chunks(
        queryset=queryset, columns=columns_for(options=options), chunk_rows=chunk_rows
    ):
        records = [build(row) for row in rows]
        if card is not None:
            card.rows_read += len(rows)
        if options.split:
            records = [r for r in records if r["split"] == options.split]
        if card is not None:
            card.add(records)
        yield records
    if card is not None:
        card.quality = export_selection_quality(options=options, visible=visible)


def export_card(*, options: ExportOptions, visible: QuerySet[Batch]) -> CardBuilder:
    """The dataset card of an export without reading its rows: one aggregate query, grouped
    by dialogue or pool item as well only when a train/test split has to be decided."""
    card = CardBuilder(options=options)
    batches, variants = batch_names(), variant_names()
    by_split_key = options.test_fraction > 0
    queryset = comparisons_combined(options=options, visible=visible)
    for group in comparison_card_groups(queryset=queryset, by_split_key=by_split_key):
        strength, c_safe, r_safe, track, batch_id, c_variant, r_variant, category = group[:8]
        values = {
            "strength": strength,
            "safety_label": safety_label_of(c_safe, r_safe),
            "track": track,
            "batch": batches.get(batch_id, str(batch_id)),
            "chosen_variant": variants.get(c_variant, str(c_variant)),
            "rejected_variant": variants.get(r_variant, str(r_variant)),
            "category": category or None,
        }
        if by_split_key:
            values["split"] = split_of(
                dialogue_id=group[8],
                pool_item_id=group[9],
                seed=options.split_seed,
                test_fraction=options.test_fraction,
            )
            if options.split and values["split"] != options.split:
                continue
        card.add_group(values, group[-1])
    card.quality = export_selection_quality(options=options, visible=visible)
    return card


def export_bytes(
    *,
    options: ExportOptions,
    visible: QuerySet[Batch],
    card: CardBuilder | None = None,
    chunk_rows: int | None = None,
) -> Iterator[bytes]:
    """Yield the export file's bytes: JSONL per chunk, Parquet per row group."""
    chunks = export_records(options=options, visible=visible, card=card, chunk_rows=chunk_rows)
    if options.file_type == "jsonl":
        dumps, flags = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for records in chunks:
            yield b"".join([dumps(r, option=flags) for r in records])
        return
    yield from parquet_bytes(
        chunks=chunks,
        schema=schema_for(options=options),
        row_group_rows=settings.EXPORT_PARQUET_ROW_GROUP,
    )


def export_filename(*, options: ExportOptions, stem: str = "pairwise") -> str:
    split = f"-{options.split}" if options.split else ""
    return f"{stem}-{options.format}{split}.{options.file_type}"
