"""Reads for dialogues, pairs and samples."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.markdown import markdown_render
from apps.pairs.models import Pair, Sample

from .models import Dialogue
from .sample_leases import LIVE, MAX_ATTEMPTS, claimable

AHEAD_COUNTED = 1000  # the count stops here: "1,000+ responses ahead"


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


def sample_shown(*, sample: Sample) -> dict:
    """One response as annotators see it: its text, that text as sanitised Markdown, and
    why it ended ("length": cut at max_new_tokens, "stop": the model ended it, "" not yet).

    A running sample carries its partial text, so the page can show it growing.
    """
    text = sample.text if sample.status != Sample.Status.FAILED else ""
    done = sample.status == Sample.Status.DONE
    return {
        "text": text,
        "html": markdown_render(text),
        "finish_reason": sample.finish_reason if done else "",
    }


def pair_state(*, pair: Pair) -> dict:
    """What the annotation page needs to show a pair, in screen order (no variant names)."""
    samples = {s.slot: s for s in pair.samples.all()}
    right_slot = "b" if pair.left_slot == "a" else "a"
    sides = {}
    for side, slot in (("left", pair.left_slot), ("right", right_slot)):
        sample = samples[slot]
        sides[side] = {
            "status": sample.status,
            **sample_shown(sample=sample),
            "error": sample.error if sample.status == Sample.Status.FAILED else "",
            "retrying": bool(sample.error) and sample.status == Sample.Status.PENDING,
        }
    statuses = {s["status"] for s in sides.values()}
    if statuses == {Sample.Status.DONE}:
        state = "ready"
    elif Sample.Status.FAILED in statuses and not statuses & {"pending", "running"}:
        state = "failed"
    else:
        state = "generating"
    phase, ahead = "", None
    if state == "generating" and Sample.Status.RUNNING in statuses:
        phase = "writing"
    elif state == "generating":
        phase = "queued"
        waiting = [s for s in samples.values() if s.status == Sample.Status.PENDING]
        ahead = samples_ahead_count(sample=min(waiting, key=lambda s: (s.created_at, s.pk)))
    return {
        "pair": pair.pk,
        "state": state,
        "phase": phase,
        "ahead": ahead,
        "status_text": _status_text(phase, ahead),
        **sides,
    }


def samples_ahead_count(*, sample: Sample) -> int:
    """How many responses of other written prompts a worker writes before this live sample:
    those being written now and those waiting that were asked for earlier (pool work yields,
    so it is never ahead). At most AHEAD_COUNTED."""
    now = timezone.now()
    earlier = Q(created_at__lt=sample.created_at) | Q(
        created_at=sample.created_at, pk__lt=sample.pk
    )
    waiting_earlier = Q(claimable(now), earlier, attempts__lt=MAX_ATTEMPTS)
    being_written = Q(status=Sample.Status.RUNNING, lease_expires_at__gte=now)
    ahead = (
        Sample.objects.filter(LIVE, waiting_earlier | being_written)
        .exclude(pair_id=sample.pair_id)
        .values("pk")[:AHEAD_COUNTED]
    )
    return ahead.count()


def _status_text(phase: str, ahead: int | None) -> str:
    if phase == "writing":
        return "Writing the two responses…"
    if phase != "queued":
        return ""
    if not ahead:
        return "Queued: waiting for a worker."
    if ahead >= AHEAD_COUNTED:
        return f"Queued: {AHEAD_COUNTED:,}+ responses ahead of yours."
    return f"Queued: {ahead:,} response{'s' if ahead > 1 else ''} ahead of yours."
