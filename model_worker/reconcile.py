"""The database is the source of truth: re-send wake-up calls for work nobody is doing."""

import logging

from django.conf import settings

from apps.pairs.sample_leases import samples_give_up, samples_stranded
from apps.pairs.services import generation_enqueue

logger = logging.getLogger(__name__)


def generation_reconcile() -> int:
    """Fail samples out of attempts, and wake the workers for pairs with samples pending too
    long or past their lease; return how many pairs were stranded."""
    samples_give_up()
    pair_ids = samples_stranded(
        older_than_s=settings.RECONCILE_PENDING_AFTER_S, limit=settings.RECONCILE_MAX_PAIRS
    )
    if pair_ids:
        generation_enqueue(pair_ids=pair_ids, one_per_pair=True)
        logger.info("Reconciler woke the workers for %d stranded pairs", len(pair_ids))
    return len(pair_ids)
