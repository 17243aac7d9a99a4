"""Shared builders for the batch staff tests."""

from apps.pools.models import PoolItem, PoolUpload
from tests.factories import ModelVariantFactory


def sampling_values(**overrides) -> dict:
    values = {
        "variant": ModelVariantFactory(),
        "temperature_min": 0.3,
        "temperature_max": 0.6,
        "top_p": 0.9,
        "max_new_tokens": 64,
    }
    return values | overrides


def batch_settings(**overrides) -> dict:
    values = {
        "name": "Week 1",
        "track": "helpfulness",
        "guidelines": "Pick the **more helpful** one.",
        "max_turns": 4,
        "target_comparisons": 500,
        "overlap": 1,
        "allow_written_prompts": True,
        "lease_minutes": 30,
        "max_open_leases": 3,
        "open_to_all_annotators": True,
    }
    return values | overrides


def form_data(*, variant_a=None, variant_b=None, **overrides) -> dict:
    """A valid POST body for the create, edit and clone pages."""
    variant = ModelVariantFactory()
    data = {
        "name": "Week 1",
        "track": "helpfulness",
        "guidelines": "Pick the **more helpful** one.",
        "max_turns": "4",
        "target_comparisons": "500",
        "overlap": "1",
        "allow_written_prompts": "on",
        "lease_minutes": "30",
        "max_open_leases": "3",
        "open_to_all_annotators": "on",
        "sampling_a-variant": str((variant_a or variant).pk),
        "sampling_a-temperature_min": "0.3",
        "sampling_a-temperature_max": "0.6",
        "sampling_a-top_p": "0.9",
        "sampling_a-max_new_tokens": "64",
        "sampling_b-variant": str((variant_b or variant).pk),
        "sampling_b-temperature_min": "0.8",
        "sampling_b-temperature_max": "1.0",
        "sampling_b-top_p": "0.95",
        "sampling_b-max_new_tokens": "64",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def pool_item_add(batch, *, line_number: int = 1) -> PoolItem:
    upload = PoolUpload.objects.create(
        batch=batch, filename="pool.jsonl", file_format="jsonl", rows=1
    )
    return PoolItem.objects.create(
        batch=batch,
        upload=upload,
        line_number=line_number,
        context=[{"role": "user", "content": "Hi"}],
    )
