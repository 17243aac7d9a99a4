"""Reads for dialogues and the pairs an annotator writes in them."""

from datetime import datetime, timedelta

from django.db.models import QuerySet

from apps.batches.models import Batch
from apps.pairs.models import Pair

from .models import Dialogue


def dialogues_recent_for(*, user, batch, limit: int = 20) -> QuerySet[Dialogue]:
    return Dialogue.objects.filter(annotator=user, batch=batch).prefetch_related("turns")[:limit]


def dialogue_get_for(*, user, dialogue_id: int) -> Dialogue:
    """The user's own dialogue; another annotator's raises DoesNotExist (so a 404, not a 403)."""
    return Dialogue.objects.select_related(
        "batch__sampling_a__variant", "batch__sampling_b__variant"
    ).get(pk=dialogue_id, annotator=user)


def pair_get_for(*, user, pair_id: int) -> Pair:
    return Pair.objects.select_related("dialogue__batch", "user_turn").get(
        pk=pair_id, dialogue__annotator=user
    )


def pair_open(*, dialogue: Dialogue) -> Pair | None:
    """The latest pair of the dialogue that the annotator has not judged yet."""
    pair = dialogue.pairs.order_by("-user_turn__index").select_related("user_turn").first()
    if pair is None or pair.comparisons.filter(annotator=dialogue.annotator_id).exists():
        return None
    return pair


def pair_judging_closes_at(*, pair: Pair) -> datetime | None:
    """When a closed batch stops taking the judgment of a written prompt's pair: the batch's
    lease length after the pair's responses were ready, as if they had been leased then.

    None while the batch is open (no limit), or while the responses are not ready yet.
    """
    if pair.batch.status == Batch.Status.OPEN or pair.ready_at is None:
        return None
    return pair.ready_at + timedelta(minutes=pair.batch.lease_minutes)
