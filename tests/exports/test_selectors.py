from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.services import api_token_create
from apps.batches.models import Batch
from apps.exports.options import ExportOptions
from apps.exports.selectors import batches_visible_to, comparisons_combined
from apps.preferences.models import Comparison
from tests.exports.conftest import judge, judge_again, user_make
from tests.factories import BatchFactory, ModelVariantFactory, SamplingConfigFactory

pytestmark = pytest.mark.django_db


def selected(**options) -> list[int]:
    queryset = comparisons_combined(options=ExportOptions(**options), visible=Batch.objects.all())
    return sorted(queryset.values_list("pk", flat=True))


def test_it_filters_by_batch_and_track(batch, safety_batch, annotator):
    helpful = judge(batch=batch, annotator=annotator)
    safe = judge(batch=safety_batch, annotator=annotator, left_is_safe=True, right_is_safe=True)
    assert selected(batches=(batch.pk,)) == [helpful.pk]
    assert selected(track="safety") == [safe.pk]
    assert selected(batches=(batch.pk,), track="safety") == []


def test_it_filters_by_minimum_strength_and_drops_negligible(batch, annotator):
    made = {
        s: judge(batch=batch, annotator=annotator, strength=s).pk
        for s in (
            "significantly_better",
            "better",
            "slightly_better",
            "negligibly_better_or_unsure",
        )
    }
    assert selected(min_strength="better") == [made["significantly_better"], made["better"]]
    assert selected(min_strength="significantly_better") == [made["significantly_better"]]
    assert made["negligibly_better_or_unsure"] not in selected(drop_negligible=True)
    assert len(selected(drop_negligible=True)) == 3


def test_it_filters_by_safety_label(safety_batch, annotator):
    one = judge(batch=safety_batch, annotator=annotator, left_is_safe=True, right_is_safe=False)
    both = judge(batch=safety_batch, annotator=annotator, left_is_safe=True, right_is_safe=True)
    neither = judge(
        batch=safety_batch, annotator=annotator, left_is_safe=False, right_is_safe=False
    )
    assert selected(safety_labels=("chosen_safe_other_unsafe",)) == [one.pk]
    assert selected(safety_labels=("both_safe", "both_unsafe")) == [both.pk, neither.pk]


def test_it_keeps_only_comparisons_whose_two_samples_come_from_the_listed_variants(annotator):
    other = ModelVariantFactory(name="other-model")
    mixed = BatchFactory(sampling_b=SamplingConfigFactory(variant=other))
    plain = BatchFactory()
    mixed_one = judge(batch=mixed, annotator=annotator)
    plain_one = judge(batch=plain, annotator=annotator)
    default_name = plain.sampling_a.variant.name
    assert selected(variants=(default_name,)) == [plain_one.pk]
    assert selected(variants=(default_name, "other-model")) == [mixed_one.pk, plain_one.pk]
    assert selected(variants=("other-model",)) == []


def test_it_filters_by_date_range(batch, annotator):
    old = judge(batch=batch, annotator=annotator)
    new = judge(batch=batch, annotator=annotator)
    Comparison.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    since = timezone.now() - timedelta(days=1)
    assert selected(created_after=since) == [new.pk]
    assert selected(created_before=since) == [old.pk]


@pytest.fixture
def judged_three_times(batch, annotator):
    """Pair 1: two of three annotators agree. Pair 2: a tie between two annotators."""
    second, third = user_make("second"), user_make("third")
    agreed = judge(batch=batch, annotator=annotator)
    dissent = judge_again(comparison=agreed, annotator=second, chose_same=False)
    agree = judge_again(comparison=agreed, annotator=third, chose_same=True)
    tied = judge(batch=batch, annotator=annotator)
    tie = judge_again(comparison=tied, annotator=second, chose_same=False)
    return agreed, dissent, agree, tied, tie


def test_overlap_all_keeps_every_judgment(judged_three_times):
    assert selected(overlap="all") == sorted(c.pk for c in judged_three_times)


def test_overlap_first_keeps_the_earliest_judgment_per_pair(judged_three_times):
    agreed, _, _, tied, _ = judged_three_times
    assert selected(overlap="first") == [agreed.pk, tied.pk]


def test_overlap_majority_keeps_the_side_most_chose_and_drops_ties(judged_three_times):
    agreed, *_ = judged_three_times
    assert selected(overlap="majority") == [agreed.pk]


def test_overlap_majority_follows_the_majority_even_when_the_first_judge_dissented(
    batch, annotator
):
    second, third = user_make("second"), user_make("third")
    lonely = judge(batch=batch, annotator=annotator)
    majority = judge_again(comparison=lonely, annotator=second, chose_same=False)
    judge_again(comparison=lonely, annotator=third, chose_same=False)
    assert selected(overlap="majority") == [majority.pk]


def test_overlap_is_combined_after_filtering(judged_three_times):
    agreed, dissent, *_ = judged_three_times
    Comparison.objects.filter(pk=agreed.pk).update(strength="negligibly_better_or_unsure")
    assert selected(overlap="first", drop_negligible=True)[0] == dissent.pk


def test_staff_see_every_batch_and_others_only_their_own(batch, annotator):
    staff = user_make("boss", is_staff=True)
    own = BatchFactory(created_by=annotator)
    assert set(batches_visible_to(user=staff)) == {batch, own}
    assert list(batches_visible_to(user=annotator)) == [own]


def test_a_token_narrows_what_its_user_sees(batch):
    staff = user_make("boss", is_staff=True)
    other = BatchFactory()
    token, _ = api_token_create(user=staff, name="one", batch_ids=[other.pk])
    assert list(batches_visible_to(user=staff, token=token)) == [other]
    unscoped, _ = api_token_create(user=staff, name="all")
    assert set(batches_visible_to(user=staff, token=unscoped)) == {batch, other}


def test_no_visible_batch_exports_nothing_rather_than_failing(db, annotator):
    from apps.exports.options import ExportOptions
    from apps.exports.selectors import (
        batches_visible_to,
        columns_for,
        comparison_row_chunks,
        comparisons_combined,
    )

    options = ExportOptions()
    queryset = comparisons_combined(options=options, visible=batches_visible_to(user=annotator))
    chunks = comparison_row_chunks(queryset=queryset, columns=columns_for(options=options))
    assert list(chunks) == []
