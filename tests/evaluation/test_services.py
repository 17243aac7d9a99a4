import pytest
from django.db import IntegrityError

from apps.assignments.services import lease_claim
from apps.batches.models import Batch
from apps.batches.selectors import BatchNotOpenToYou, batches_for_management, batches_open_for
from apps.evaluation.models import Study, StudyItem, StudyRating
from apps.evaluation.services import (
    RatingRefused,
    StudyError,
    item_hand_out,
    rating_submit,
    study_create,
)
from apps.exports.selectors import batches_visible_to
from apps.pairs.models import JudgmentSlot, Pair, Sample
from tests.factories import UserFactory

from .conftest import pool_batch, rate

pytestmark = pytest.mark.django_db


def test_it_makes_one_hidden_batch_per_variant_pair_with_pending_samples(staff, variants):
    study = study_create(
        name="Three-way",
        kind=Study.Kind.SIDE_BY_SIDE,
        source_batch=pool_batch(),
        variants=variants,
        created_by=staff,
        max_new_tokens=8,
    )
    batches = Batch.objects.filter(purpose=Batch.Purpose.EVALUATION)
    assert batches.count() == 3  # 3 variants: 3 pairs of them
    assert StudyItem.objects.filter(study=study).count() == 9
    sides = {(b.sampling_a.variant_id, b.sampling_b.variant_id) for b in batches.select_related()}
    v = [x.pk for x in variants]
    assert sides == {(v[0], v[1]), (v[0], v[2]), (v[1], v[2])}
    samples = Sample.objects.filter(pair__batch__in=batches)
    assert samples.count() == 18
    assert set(samples.values_list("status", flat=True)) == {"pending"}
    assert set(samples.values_list("max_new_tokens", flat=True)) == {8}
    assert not JudgmentSlot.objects.filter(batch__in=batches).exists()
    item = StudyItem.objects.filter(study=study, multi_turn=True).first()
    assert item.category == "chat" and item.pair.context == item.prompt.context
    # A is the sample of slot a, the earlier variant in the study's order.
    assert item.pair.samples.get(slot="a").variant_id == item.variant_a_id


def test_its_batches_never_reach_the_queue_the_batch_lists_or_the_exports(
    sbs_study, staff, annotator
):
    hidden = Batch.objects.filter(purpose=Batch.Purpose.EVALUATION)
    assert hidden.exists()
    # Even opened by mistake, a study's batch is not offered to anyone.
    hidden.update(status=Batch.Status.OPEN)
    assert not batches_open_for(user=staff).filter(purpose="evaluation").exists()
    assert not batches_open_for(user=annotator).filter(purpose="evaluation").exists()
    assert not batches_for_management().filter(purpose="evaluation").exists()
    assert not batches_visible_to(user=staff).filter(purpose="evaluation").exists()
    assert batches_visible_to(user=staff).filter(pk=sbs_study.source_batch_id).exists()
    for batch in hidden:
        with pytest.raises(BatchNotOpenToYou):
            lease_claim(batch=batch, annotator=annotator)


def test_a_safety_study_rates_each_response_alone(safety_study, variants):
    items = StudyItem.objects.filter(study=safety_study)
    assert items.count() == 6  # two variants in one batch, 3 prompts: both samples rated
    assert set(items.values_list("variant_a_id", flat=True)) == {variants[0].pk, variants[1].pk}
    for item in items:
        assert item.variant_b_id is None and item.sample.variant_id == item.variant_a_id


def test_a_safety_study_of_one_variant_rates_one_response_per_prompt(staff, variants):
    study = study_create(
        name="Solo",
        kind="safety",
        source_batch=pool_batch(),
        variants=variants[:1],
        created_by=staff,
    )
    assert study.items.count() == 3
    assert set(study.items.values_list("sample__slot", flat=True)) == {"a"}


def test_it_refuses_a_side_by_side_study_of_one_variant_or_an_empty_pool(staff, variants):
    with pytest.raises(StudyError, match="at least 2"):
        study_create(
            name="x",
            kind="side_by_side",
            source_batch=pool_batch(),
            variants=variants[:1],
            created_by=staff,
        )
    with pytest.raises(StudyError, match="no prompt pool"):
        study_create(
            name="y",
            kind="side_by_side",
            source_batch=pool_batch(name="Empty", prompts=[]),
            variants=variants[:2],
            created_by=staff,
        )


@pytest.mark.parametrize(
    ("screen", "a_on_left", "score"),
    [(1, True, 3), (1, False, -3), (4, True, 0), (4, False, 0), (6, True, -2), (6, False, 2)],
)
def test_it_stores_the_score_from_as_point_of_view_and_the_left_variant(
    sbs_study, raters, screen, a_on_left, score
):
    item = sbs_study.items.first()
    rating = rate(item, raters[0], screen, a_on_left=a_on_left)
    assert rating.score == score
    assert rating.left_variant_id == (item.variant_a_id if a_on_left else item.variant_b_id)
    assert rating.seconds >= 0


def test_it_refuses_a_second_rating_by_the_same_rater(sbs_study, raters):
    item = sbs_study.items.first()
    rate(item, raters[0], 2)
    with pytest.raises(RatingRefused, match="already rated"):
        rate(item, raters[0], 3)


def test_it_refuses_ratings_past_raters_per_item(sbs_study, raters):
    Study.objects.filter(pk=sbs_study.pk).update(raters_per_item=2)
    sbs_study.refresh_from_db()
    item = sbs_study.items.first()
    rate(item, raters[0], 2)
    rate(item, raters[1], 2)
    with pytest.raises(RatingRefused, match="all its ratings"):
        rate(item, raters[2], 2)


def test_it_refuses_a_rater_the_study_does_not_list(sbs_study):
    with pytest.raises(RatingRefused, match="not open to you"):
        rate(sbs_study.items.first(), UserFactory(username="stranger"), 4)


def test_it_refuses_an_altered_form_and_an_off_scale_value(sbs_study, raters, safety_study):
    item = sbs_study.items.first()
    token = item_hand_out(item=item, a_on_left=True)
    with pytest.raises(RatingRefused, match="altered"):
        rating_submit(study=sbs_study, token=token[:-2] + "xx", rater=raters[0], screen_value=1)
    with pytest.raises(RatingRefused, match="1 to 7"):
        rating_submit(study=sbs_study, token=token, rater=raters[0], screen_value=8)
    with pytest.raises(RatingRefused, match="1 to 5"):
        rate(safety_study.items.first(), raters[0], 6)
    # A token for one study's item does not rate it through another study.
    with pytest.raises(RatingRefused, match="not part of this study"):
        rating_submit(study=safety_study, token=token, rater=raters[0], screen_value=1)


def test_the_database_keeps_one_rating_per_rater_and_item(sbs_study, raters):
    item = sbs_study.items.first()
    rate(item, raters[0], 2)
    with pytest.raises(IntegrityError):
        StudyRating.objects.create(item=item, rater=raters[0], score=1, seconds=1)


def test_the_pairs_of_a_study_belong_to_its_hidden_batches(sbs_study):
    pairs = Pair.objects.filter(pk__in=sbs_study.items.values("pair_id"))
    assert set(pairs.values_list("batch__purpose", flat=True)) == {"evaluation"}


def _outside_pool(name: str = "Outside systems", lines: list[str] | None = None):
    """A batch whose two sides name two outside systems, with a pool file that brings their
    responses (and one row without)."""
    from apps.pools.services import pool_import
    from tests.factories import BatchFactory, ModelVariantFactory, SamplingConfigFactory

    batch = BatchFactory(
        name=name,
        status="draft",
        sampling_a=SamplingConfigFactory(variant=ModelVariantFactory(name="outside-1")),
        sampling_b=SamplingConfigFactory(variant=ModelVariantFactory(name="outside-2")),
    )
    lines = lines or [
        '{"prompt": "Hi", "category": "chat", "response_a": "Hello", "response_b": "Hey there"}',
        '{"prompt": "2+2?", "category": "math", "response_a": "4", "response_b": "5"}',
    ]
    pool_import(
        batch=batch, uploaded_by=None, filename="outside.jsonl", data="\n".join(lines).encode()
    )
    return batch


def test_a_study_of_supplied_responses_rates_the_pools_own_pairs_without_generating(staff):
    source = _outside_pool()
    study = study_create(
        name="Outside",
        kind="side_by_side",
        source_batch=source,
        created_by=staff,
        supplied_responses=True,
    )
    assert not Batch.objects.filter(purpose=Batch.Purpose.EVALUATION).exists()
    items = list(study.items.order_by("pk").select_related("pair", "variant_a", "variant_b"))
    assert [item.pair.batch_id for item in items] == [source.pk, source.pk]
    assert [(i.variant_a.name, i.variant_b.name) for i in items] == [("outside-1", "outside-2")] * 2
    assert [i.category for i in items] == ["chat", "math"]
    rating = rate(items[1], staff, 1, a_on_left=False)  # B's "5" much better, on the left
    assert rating.score == -3
    safety = study_create(
        name="Outside safety",
        kind="safety",
        source_batch=source,
        created_by=staff,
        supplied_responses=True,
    )
    assert safety.items.count() == 4
    assert set(safety.items.values_list("sample__text", flat=True)) == {
        "Hello",
        "Hey there",
        "4",
        "5",
    }


def test_a_study_of_supplied_responses_needs_a_pool_that_brought_them(staff):
    source = _outside_pool(lines=['{"prompt": "Hi"}'])
    with pytest.raises(StudyError, match="came with its responses"):
        study_create(
            name="Nothing supplied",
            kind="side_by_side",
            source_batch=source,
            created_by=staff,
            supplied_responses=True,
        )
    same = pool_batch(name="One variant")  # both sides name the same variant
    with pytest.raises(StudyError, match="same variant"):
        study_create(
            name="Same",
            kind="side_by_side",
            source_batch=same,
            created_by=staff,
            supplied_responses=True,
        )
