"""Reads for comparisons."""

from datetime import datetime, timedelta

from apps.batches.models import Batch
from apps.pairs.models import Pair


def pair_judging_closes_at(*, pair: Pair) -> datetime | None:
    """When a closed batch stops taking the judgment of a written prompt's pair: the batch's
    lease length after the pair's responses were ready, as if they had been leased then.

    None while the batch is open (no limit), or while the responses are not ready yet.
    """
    if pair.batch.status == Batch.Status.OPEN or pair.ready_at is None:
        return None
    return pair.ready_at + timedelta(minutes=pair.batch.lease_minutes)
