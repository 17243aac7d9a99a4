"""Load the models of open batches when a worker process starts, not on its first request."""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def models_preload() -> list[str]:
    from apps.batches.models import Batch
    from apps.catalog.models import ModelVariant

    from .backends import backend_for

    if not settings.WORKER_PRELOAD_MODELS:
        return []
    open_batches = Batch.objects.filter(status=Batch.Status.OPEN)
    variants = ModelVariant.objects.filter(
        is_active=True, samplingconfig__in=_open_configs(open_batches)
    ).distinct()
    loaded = []
    for variant in variants:
        try:
            backend_for(variant)
            loaded.append(variant.name)
        except Exception:  # a broken variant must not stop the worker serving the others
            logger.exception("Could not preload %s", variant.name)
    return loaded


def _open_configs(open_batches):
    ids = set(open_batches.values_list("sampling_a_id", flat=True))
    ids |= set(open_batches.values_list("sampling_b_id", flat=True))
    return list(ids)
