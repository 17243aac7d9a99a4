"""The database is the source of truth: re-send wake-up calls for work nobody is doing."""

import logging

from django.conf import settings

from apps.dialogues.sample_leases import samples_give_up, samples_stranded

logger = logging.getLogger(__name__)


def generation_reconcile() -> int:
    """Enqueue one task per pair that has samples pending too long or past their lease."""
    from .tasks import generate_pair

    samples_give_up()
    pair_ids = samples_stranded(older_than_s=settings.RECONCILE_PENDING_AFTER_S)
    for pair_id in pair_ids:
        generate_pair.delay(pair_id)
    if pair_ids:
        logger.info("Reconciler re-enqueued %d pairs", len(pair_ids))
    return len(pair_ids)
