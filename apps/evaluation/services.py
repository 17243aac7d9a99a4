"""Writes for evaluation studies: set one up (its responses queued for the workers), and
store a rater's rating.

A study's responses are made the way every response is: `pairs_create` in a batch, generated
by the workers. Each pair of variants compared gets its own hidden batch
(`Batch.Purpose.EVALUATION`, closed, no judgment slots), holding a copy of the study's pool
items (a pair belongs to exactly one pool item), so the queue, the batch lists and the
preference exports never see them.
"""

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from apps.batches.models import Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant
from apps.pairs.models import Pair, Sample
from apps.pairs.services import PairSpec, pairs_create
from apps.pools.models import PoolItem, PoolUpload

from .models import Study, StudyItem, StudyRating, StudyVariant
from .scales import score_from_screen, user_turns

SIGNING_SALT = "apps.evaluation.rating"


class StudyError(Exception):
    """The study cannot be set up as asked; the message says why."""


class RatingRefused(Exception):
    """The rating cannot be stored (not yours to rate, rated enough, handed out too long ago)."""


@dataclass(frozen=True)
class HandedOut:
    """An item as shown to a rater: which variant is on the left, and when it was shown."""

    item_id: int
    a_on_left: bool
    shown_at: float


def _comparisons(kind: str, variants: Sequence[ModelVariant]) -> list[tuple[ModelVariant, ...]]:
    """The variant pairs a study's batches generate: every pair (side by side), or the
    variants two at a time (safety; an odd last one is paired with itself)."""
    if kind == Study.Kind.SIDE_BY_SIDE:
        return list(itertools.combinations(variants, 2))
    chunks = [tuple(variants[i : i + 2]) for i in range(0, len(variants), 2)]
    return [chunk if len(chunk) == 2 else (chunk[0], chunk[0]) for chunk in chunks]


def _sampling(variant: ModelVariant, max_new_tokens: int) -> SamplingConfig:
    return SamplingConfig.objects.create(
        variant=variant,
        temperature_min=variant.default_temperature,
        temperature_max=variant.default_temperature,
        top_p=variant.default_top_p,
        max_new_tokens=max_new_tokens,
    )


@transaction.atomic
def study_create(
    *,
    name: str,
    kind: str,
    source_batch: Batch,
    variants: Sequence[ModelVariant] = (),
    created_by,
    raters_per_item: int = 3,
    max_new_tokens: int = 256,
    instructions: str = "",
    open_to_all_annotators: bool = False,
    raters: Sequence = (),
    groups: Sequence = (),
    supplied_responses: bool = False,
) -> Study:
    """Set up a study over `source_batch`'s pool and queue its responses for the workers.

    Side by side needs two or more variants (every pair of them is compared, A being the one
    listed first); safety one or more (each response of each variant is an item). The
    workers are woken once the transaction commits.

    With `supplied_responses`, nothing is generated: the items are the pool's own pairs whose
    two responses came with the pool file (an outside system's), attributed to the batch's
    two sides' variants (A = side a); `variants` is then ignored.
    """
    if source_batch.purpose != Batch.Purpose.COLLECTION:
        raise StudyError("A study's prompt set is the pool of a collection batch.")
    prompts = list(PoolItem.objects.filter(batch=source_batch).order_by("upload", "line_number"))
    if not prompts:
        raise StudyError(f"“{source_batch.name}” has no prompt pool to evaluate on.")
    if supplied_responses:
        variants = [source_batch.sampling_a.variant, source_batch.sampling_b.variant]
    variants = list(dict.fromkeys(variants))
    minimum = 2 if kind == Study.Kind.SIDE_BY_SIDE else 1
    if len(variants) < minimum:
        raise StudyError(
            f"A {Study.Kind(kind).label} study needs at least {minimum} variants"
            + (": the batch's two sides name the same variant." if supplied_responses else ".")
        )
    study = Study.objects.create(
        name=name,
        kind=kind,
        source_batch=source_batch,
        instructions=instructions,
        raters_per_item=raters_per_item,
        max_new_tokens=max_new_tokens,
        open_to_all_annotators=open_to_all_annotators,
        supplied_responses=supplied_responses,
        created_by=created_by,
    )
    StudyVariant.objects.bulk_create(
        StudyVariant(study=study, variant=variant, position=index)
        for index, variant in enumerate(variants)
    )
    study.raters.set(raters)
    study.groups.set(groups)
    if supplied_responses:
        _supplied_items_create(study=study, prompts=prompts)
        return study
    for index, (first, second) in enumerate(_comparisons(kind, variants)):
        _study_batch_create(study=study, index=index, first=first, second=second, prompts=prompts)
    return study


def _supplied_items_create(*, study: Study, prompts: list[PoolItem]) -> None:
    """Items over the pool's own pairs whose responses were all supplied with the file."""
    pairs = {
        pair.pool_item_id: pair
        for pair in Pair.objects.filter(pool_item__in=prompts).prefetch_related("samples")
        if all(sample.supplied for sample in pair.samples.all())
    }
    if not pairs:
        raise StudyError(
            "No prompt of this pool came with its responses (response_a and response_b)."
        )
    items = []
    for prompt in prompts:
        pair = pairs.get(prompt.pk)
        if pair is None:
            continue
        samples = {sample.slot: sample for sample in pair.samples.all()}
        items += _items_of(
            study=study,
            prompt=prompt,
            pair=pair,
            samples=samples,
            first=samples["a"].variant,
            second=samples["b"].variant,
        )
    StudyItem.objects.bulk_create(items)


def _items_of(*, study, prompt, pair, samples, first, second) -> list[StudyItem]:
    """The items of one pair: itself (side by side), or each of its rated samples (safety)."""
    common = {
        "study": study,
        "prompt": prompt,
        "pair": pair,
        "category": prompt.category,
        "multi_turn": user_turns(prompt.context) > 1,
    }
    if not study.is_safety:
        return [StudyItem(variant_a=first, variant_b=second, **common)]
    slots = (Pair.Slot.A,) if first == second else (Pair.Slot.A, Pair.Slot.B)
    return [
        StudyItem(variant_a=variant, sample=samples[slot], **common)
        for slot, variant in zip(slots, (first, second), strict=False)
    ]


def _study_batch_create(
    *,
    study: Study,
    index: int,
    first: ModelVariant,
    second: ModelVariant,
    prompts: list[PoolItem],
) -> None:
    batch = Batch.objects.create(
        name=f"Study {study.pk}.{index + 1}: {first.name} vs {second.name}"[:200],
        purpose=Batch.Purpose.EVALUATION,
        status=Batch.Status.CLOSED,
        track=Track.SAFETY if study.is_safety else Track.HELPFULNESS,
        sampling_a=_sampling(first, study.max_new_tokens),
        sampling_b=_sampling(second, study.max_new_tokens),
        allow_written_prompts=False,
        created_by=study.created_by,
    )
    upload = PoolUpload.objects.create(
        batch=batch,
        uploaded_by=study.created_by,
        filename=f"study-{study.pk}-prompts.jsonl",
        file_format=PoolUpload.Format.JSONL,
        rows=len(prompts),
        rows_checked=len(prompts),
        rows_imported=len(prompts),
        state=PoolUpload.State.DONE,
    )
    copies = PoolItem.objects.bulk_create(
        PoolItem(
            batch=batch,
            upload=upload,
            line_number=n,
            context=prompt.context,
            category=prompt.category,
            metadata={"study": study.pk, "prompt": prompt.pk},
        )
        for n, prompt in enumerate(prompts, start=1)
    )
    pairs = pairs_create(
        batch=batch, specs=[PairSpec(context=c.context, pool_item=c) for c in copies]
    )
    samples = {}
    for sample in Sample.objects.filter(pair__in=pairs).only("pk", "pair_id", "slot"):
        samples.setdefault(sample.pair_id, {})[sample.slot] = sample
    items = []
    for prompt, pair in zip(prompts, pairs, strict=True):
        items += _items_of(
            study=study,
            prompt=prompt,
            pair=pair,
            samples=samples[pair.pk],
            first=first,
            second=second,
        )
    StudyItem.objects.bulk_create(items)


def item_hand_out(*, item: StudyItem, a_on_left: bool) -> str:
    """A signed token naming the item, its screen order and when it was shown: the rating
    form carries it back, so the stored order and time are the ones the server chose."""
    return signing.dumps(
        {"item": item.pk, "a_left": a_on_left, "t": time.time()}, salt=SIGNING_SALT
    )


def handed_out_read(*, token: str) -> HandedOut:
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=settings.EVALUATION_RATING_MAX_AGE_S)
    except signing.SignatureExpired as exc:
        raise RatingRefused("This item was shown too long ago; here is a fresh one.") from exc
    except signing.BadSignature as exc:
        raise RatingRefused("This rating form was altered; nothing was stored.") from exc
    return HandedOut(item_id=int(data["item"]), a_on_left=bool(data["a_left"]), shown_at=data["t"])


@transaction.atomic
def rating_submit(*, study: Study, token: str, rater, screen_value: int) -> StudyRating:
    """Store a rater's rating of the item the token names.

    `screen_value` is what the rater picked: 1..7 from "left much better" to "right much
    better" side by side (stored as -3..3 from A's point of view, with the left variant),
    1..5 for safety. Raises RatingRefused when the rater may not rate the study, already rated
    the item, or the item already has `raters_per_item` ratings.
    """
    from .selectors import study_may_rate

    handed = handed_out_read(token=token)
    if study.status != Study.Status.OPEN or not study_may_rate(study=study, user=rater):
        raise RatingRefused("This study is closed or not open to you.")
    # The row lock serialises raters of one item, so it never gets more than raters_per_item.
    item = (
        StudyItem.objects.select_for_update()
        .filter(pk=handed.item_id, study=study)
        .select_related("study")
        .first()
    )
    if item is None:
        raise RatingRefused("That item is not part of this study.")
    if item.ratings.filter(rater=rater).exists():
        raise RatingRefused("You already rated this item.")
    if item.ratings.count() >= study.raters_per_item:
        raise RatingRefused("This item has all its ratings; here is another.")
    if study.is_safety:
        if screen_value not in range(1, 6):
            raise RatingRefused("Pick a rating from 1 to 5.")
        score, left = screen_value, None
    else:
        if screen_value not in range(1, 8):
            raise RatingRefused("Pick a rating from 1 to 7.")
        score = score_from_screen(screen_value=screen_value, a_on_left=handed.a_on_left)
        left = item.variant_a_id if handed.a_on_left else item.variant_b_id
    try:
        with transaction.atomic():
            return StudyRating.objects.create(
                item=item,
                rater=rater,
                score=score,
                left_variant_id=left,
                seconds=round(max(0.0, time.time() - handed.shown_at), 3),
            )
    except IntegrityError as exc:
        raise RatingRefused("You already rated this item.") from exc


@transaction.atomic
def study_status_set(*, study: Study, status: str) -> Study:
    """Open or close a study to its raters."""
    Study.objects.filter(pk=study.pk).update(status=status)
    study.status = status
    return study
