"""Reads for evaluation studies: who may rate, the next item for a rater, the raw ratings,
and the side-by-side ratings as comparisons for the leaderboard."""

from collections.abc import Iterator, Sequence

import numpy as np
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length

from apps.pairs.models import Sample

from .models import Study, StudyItem, StudyRating


def studies_for_management() -> QuerySet[Study]:
    """Every study, newest first, with its item and rating counts."""
    return Study.objects.select_related("source_batch", "created_by").annotate(
        item_count=Count("items", distinct=True), rating_count=Count("items__ratings")
    )


def study_variant_list(*, study: Study) -> list:
    """The study's variants in its fixed order (A before B)."""
    return [sv.variant for sv in study.study_variants.select_related("variant")]


def _may_rate_filter(user):
    if user.is_staff:
        return Q()
    listed = Study.raters.through.objects.filter(study=OuterRef("pk"), user=user)
    via_group = Study.groups.through.objects.filter(study=OuterRef("pk"), group__user=user)
    return Q(open_to_all_annotators=True) | Exists(listed) | Exists(via_group)


def studies_open_for(*, user) -> QuerySet[Study]:
    """Open studies the user may rate: staff all of them, others those open to every
    annotator or listing them or one of their groups."""
    if not user.is_authenticated:
        return Study.objects.none()
    return Study.objects.filter(_may_rate_filter(user), status=Study.Status.OPEN)


def study_may_rate(*, study: Study, user) -> bool:
    return studies_open_for(user=user).filter(pk=study.pk).exists()


def _ready(items: QuerySet[StudyItem]) -> QuerySet[StudyItem]:
    """Items whose responses are generated: the pair (side by side) or the one sample."""
    return items.filter(
        Q(sample__isnull=True, pair__ready_at__isnull=False)
        | Q(sample__isnull=False, sample__status=Sample.Status.DONE)
    )


def study_item_next(*, study: Study, rater) -> StudyItem | None:
    """An item the rater has not rated that still lacks ratings, generated; the items with
    the most ratings first, so items are completed rather than all started."""
    mine = StudyRating.objects.filter(item=OuterRef("pk"), rater=rater)
    return (
        _ready(StudyItem.objects.filter(study=study))
        .annotate(n=Count("ratings"))
        .filter(n__lt=study.raters_per_item)
        .exclude(Exists(mine))
        .select_related("pair", "sample", "variant_a", "variant_b")
        .order_by("-n", "pk")
        .first()
    )


def study_progress(*, study: Study) -> dict[str, int]:
    """Items, items generated, ratings stored and ratings the study asks for."""
    items = StudyItem.objects.filter(study=study)
    total = items.count()
    return {
        "items": total,
        "ready": _ready(items).count(),
        "ratings": StudyRating.objects.filter(item__study=study).count(),
        "ratings_wanted": total * study.raters_per_item,
    }


def _sample_text_length(slot: str):
    """Characters of the pair's sample in `slot` (a subquery)."""

    return Subquery(
        Sample.objects.filter(pair=OuterRef("item__pair"), slot=slot)
        .annotate(chars=Length("text"))
        .values("chars")[:1]
    )


RATING_FIELDS = (
    "rating_id",
    "study_id",
    "kind",
    "item_id",
    "prompt_id",
    "category",
    "multi_turn",
    "variant_a",
    "variant_b",
    "score",
    "left_variant",
    "rater_id",
    "seconds",
    "length_a",
    "length_b",
    "created_at",
)


def study_rating_rows(*, study: Study) -> Iterator[dict]:
    """The raw ratings, one dict per rating in id order (what the JSONL and Parquet exports
    write, and what the results are computed from).

    Side by side: `variant_a`/`variant_b` are the study's fixed order, `score` is -3..3 from
    A's point of view and `left_variant` the one shown left. Safety: `variant_a` is the rated
    response's variant, `variant_b` and `left_variant` are null, `score` is 1..5 and
    `length_a` the response's length.
    """
    ratings = (
        StudyRating.objects.filter(item__study=study)
        .annotate(
            rated_length=Length("item__sample__text"),
            length_a_=_sample_text_length("a"),
            length_b_=_sample_text_length("b"),
        )
        .values(
            "pk",
            "item_id",
            "item__prompt_id",
            "item__category",
            "item__multi_turn",
            "item__variant_a_id",
            "item__variant_b_id",
            "score",
            "left_variant_id",
            "rater_id",
            "seconds",
            "rated_length",
            "length_a_",
            "length_b_",
            "created_at",
        )
        .order_by("pk")
    )
    for row in ratings.iterator(chunk_size=2000):
        yield {
            "rating_id": row["pk"],
            "study_id": study.pk,
            "kind": study.kind,
            "item_id": row["item_id"],
            "prompt_id": row["item__prompt_id"],
            "category": row["item__category"],
            "multi_turn": row["item__multi_turn"],
            "variant_a": row["item__variant_a_id"],
            "variant_b": row["item__variant_b_id"],
            "score": row["score"],
            "left_variant": row["left_variant_id"],
            "rater_id": row["rater_id"],
            "seconds": row["seconds"],
            "length_a": row["rated_length"] if study.is_safety else row["length_a_"],
            "length_b": None if study.is_safety else row["length_b_"],
            "created_at": row["created_at"].isoformat(),
        }


def study_comparisons_for_ranking(*, study_ids: Sequence[int]) -> dict[str, np.ndarray]:
    """One row per side-by-side rating in the given studies (safety studies give no rows).
    Keys: variant_a, variant_b (catalog ModelVariant ids, int64; A/B are the study's fixed
    variant order for that item, not screen order), outcome (int8: +1 A better, 0 tie, -1 B
    better), level (int8: 0 tie, 1 slightly, 2 better, 3 much better), a_on_left (bool),
    length_a, length_b (int64 characters of the two responses), iteration (int64: the weekly
    iteration of the batch whose prompts the study used, so a leaderboard's movement chart puts
    a study with that week's preference data).
    """
    rows = list(
        StudyRating.objects.filter(
            item__study_id__in=list(study_ids), item__study__kind=Study.Kind.SIDE_BY_SIDE
        )
        .annotate(length_a=_sample_text_length("a"), length_b=_sample_text_length("b"))
        .order_by("pk")
        .values_list(
            "item__variant_a_id",
            "item__variant_b_id",
            "score",
            "left_variant_id",
            "length_a",
            "length_b",
            "item__study__source_batch__iteration",
        )
        .iterator(chunk_size=5000)
    )
    table = np.array(
        [
            (a, b, score, left == a, len_a or 0, len_b or 0, iteration)
            for a, b, score, left, len_a, len_b, iteration in rows
        ],
        dtype=np.int64,
    ).reshape(-1, 7)
    score = table[:, 2]
    return {
        "variant_a": table[:, 0].copy(),
        "variant_b": table[:, 1].copy(),
        "outcome": np.sign(score).astype(np.int8),
        "level": np.abs(score).astype(np.int8),
        "a_on_left": table[:, 3].astype(bool),
        "length_a": table[:, 4].copy(),
        "length_b": table[:, 5].copy(),
        "iteration": table[:, 6].copy(),
    }


def study_item_responses(*, item: StudyItem) -> dict[str, Sample]:
    """The item's samples by slot."""
    return {s.slot: s for s in item.pair.samples.all()}


def study_results_for(*, study: Study) -> dict:
    """The study's figures (`figures.study_results`) over its stored ratings, with the
    study's id and its variants' names."""
    from django.conf import settings

    from .figures import study_results  # scipy and krippendorff: loaded on first use

    names = {v.pk: v.name for v in study_variant_list(study=study)}
    results = study_results(
        kind=study.kind,
        rows=study_rating_rows(study=study),
        names=names,
        n_boot=settings.EVALUATION_BOOTSTRAP_ROUNDS,
    )
    return {"study": study.pk, "name": study.name} | results
