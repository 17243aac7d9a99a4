"""Reads for pairs: a pair's state as an annotator's page shows it, and its place in line."""

from django.db.models import Q
from django.utils import timezone

from apps.core.markdown import markdown_render

from .models import Pair, Sample
from .sample_leases import MAX_ATTEMPTS, claimable

AHEAD_COUNTED = 1000  # the count stops here: "1,000+ responses ahead"


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
        Sample.objects.filter(waiting_earlier | being_written, priority=Sample.Priority.LIVE)
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
