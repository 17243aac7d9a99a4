"""Dashboard figures against known rows, on the real database."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.dashboards import selectors
from apps.dashboards.panel import dashboard_panel_context
from apps.preferences.models import SafetyLabel, Strength
from tests.dashboards.rows import comparison_make, lease_make, pool_pair_make, slot_make
from tests.factories import BatchFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_counts_pairs_ready_pending_and_failed(batch):
    other_batch = BatchFactory()
    for _ in range(3):
        pool_pair_make(batch=batch, ready=True)
    pool_pair_make(batch=batch, ready=False)
    pool_pair_make(batch=batch, ready=False, failed=True)
    pool_pair_make(batch=other_batch, ready=True)

    counts = selectors.batch_pair_counts(batch=batch)

    assert (counts.ready, counts.pending, counts.failed, counts.total) == (3, 1, 1, 5)


def test_it_counts_judged_against_the_target_with_outstanding(batch, annotator):
    batch.target_comparisons = 5
    batch.save()
    for _ in range(2):
        comparison_make(batch=batch, annotator=annotator)
    comparison_make(batch=BatchFactory(), annotator=annotator)

    figures = selectors.batch_comparison_figures(batch=batch)

    assert (figures.judged, figures.target, figures.outstanding) == (2, 5, 3)
    assert figures.percent_done == 40.0
    assert figures.safety_bins is None


def test_it_never_reports_negative_outstanding(batch, annotator):
    batch.target_comparisons = 1
    batch.save()
    comparison_make(batch=batch, annotator=annotator)
    comparison_make(batch=batch, annotator=annotator)

    figures = selectors.batch_comparison_figures(batch=batch)

    assert (figures.judged, figures.outstanding, figures.percent_done) == (2, 0, 100.0)


def test_it_counts_all_four_strength_levels_including_zeros(batch, annotator):
    for strength in [Strength.SIGNIFICANTLY_BETTER] * 3 + [Strength.SLIGHTLY_BETTER]:
        comparison_make(batch=batch, annotator=annotator, strength=strength)

    strengths = selectors.batch_comparison_figures(batch=batch).strengths

    assert strengths == {
        Strength.SIGNIFICANTLY_BETTER: 3,
        Strength.BETTER: 0,
        Strength.SLIGHTLY_BETTER: 1,
        Strength.NEGLIGIBLY_BETTER_OR_UNSURE: 0,
    }
    assert list(strengths) == Strength.values


def test_it_puts_safety_comparisons_in_the_three_bins(safety_batch, annotator):
    for chosen, rejected, n in ((True, False, 1), (True, True, 2), (False, False, 3)):
        for _ in range(n):
            comparison_make(
                batch=safety_batch,
                annotator=annotator,
                chosen_is_safe=chosen,
                rejected_is_safe=rejected,
            )

    bins = selectors.batch_comparison_figures(batch=safety_batch).safety_bins

    assert bins == {
        SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE: 1,
        SafetyLabel.BOTH_SAFE: 2,
        SafetyLabel.BOTH_UNSAFE: 3,
    }


def test_the_paper_split_is_18_47_35_in_the_protocol_order():
    assert selectors.PAPER_SAFETY_SPLIT == {
        SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE: 18,
        SafetyLabel.BOTH_SAFE: 47,
        SafetyLabel.BOTH_UNSAFE: 35,
    }


def test_the_panel_shows_safety_percentages_next_to_the_paper(safety_batch, annotator):
    comparison_make(
        batch=safety_batch, annotator=annotator, chosen_is_safe=True, rejected_is_safe=False
    )
    for _ in range(3):
        comparison_make(
            batch=safety_batch, annotator=annotator, chosen_is_safe=True, rejected_is_safe=True
        )

    rows = dashboard_panel_context(batch=safety_batch)["safety_rows"]

    assert [(r["count"], r["percent"], r["paper_percent"]) for r in rows] == [
        (1, 25.0, 18),
        (3, 75.0, 47),
        (0, 0.0, 35),
    ]


def test_it_counts_pool_slots_by_status(batch, annotator, other_annotator):
    pair = pool_pair_make(batch=batch)
    slot_make(pair=pair, index=0)
    slot_make(pair=pair, index=1, status="leased", annotator=annotator)
    slot_make(pair=pair, index=2, status="done", annotator=other_annotator)
    other = pool_pair_make(batch=batch)
    slot_make(pair=other, index=0)

    assert selectors.batch_slot_counts(batch=batch) == {
        "free": 2,
        "leased": 1,
        "done": 1,
        "withdrawn": 0,
    }


def test_it_counts_judgments_per_day_for_the_last_30_days(batch, annotator):
    comparison_make(batch=batch, annotator=annotator)
    comparison_make(batch=batch, annotator=annotator)
    comparison_make(batch=batch, annotator=annotator, days_ago=3)
    comparison_make(batch=batch, annotator=annotator, days_ago=40)

    per_day = selectors.batch_judgments_per_day(batch=batch)

    today = timezone.localdate()
    assert len(per_day) == 30
    assert per_day[0][0] == today - timedelta(days=29)
    assert per_day[-1] == (today, 2)
    assert dict(per_day)[today - timedelta(days=3)] == 1
    assert sum(n for _, n in per_day) == 3


def test_it_reports_judgments_and_median_seconds_per_annotator(batch, annotator, other_annotator):
    for ms in (4_000, 10_000, 60_000):
        comparison_make(batch=batch, annotator=annotator, time_spent_ms=ms)
    for ms in (3_000, 8_000):
        comparison_make(batch=batch, annotator=other_annotator, time_spent_ms=ms)
    comparison_make(batch=BatchFactory(), annotator=other_annotator, time_spent_ms=999_000)

    rows = selectors.batch_annotator_figures(batch=batch)

    assert [(r.username, r.judgments, r.median_seconds) for r in rows] == [
        ("ann", 3, 10.0),
        ("other", 2, 5.5),
    ]


def test_the_python_median_matches_the_database_median(batch, annotator, other_annotator):
    for ms in (1_000, 2_000, 9_000, 10_000):
        comparison_make(batch=batch, annotator=annotator, time_spent_ms=ms)
    comparison_make(batch=batch, annotator=other_annotator, time_spent_ms=7_000)

    in_python = selectors._medians_in_python(batch=batch)

    assert in_python == {annotator.pk: 5_500, other_annotator.pk: 7_000}


def test_it_lists_flags_with_reason_and_note_and_counts_skip_reasons(batch, annotator):
    pair = pool_pair_make(batch=batch)
    slot = slot_make(pair=pair, index=0)
    names = iter(UserFactory(username=f"u{i}") for i in range(10))
    lease_make(
        slot=slot,
        annotator=next(names),
        status="flagged",
        flag_reason="harmful",
        flag_note="Explains how to build a weapon",
    )
    lease_make(slot=slot, annotator=next(names), status="flagged", flag_reason="broken")
    for reason in ("Not my language", "Not my language", "Too long", ""):
        lease_make(slot=slot, annotator=next(names), status="skipped", skip_reason=reason)
    lease_make(slot=slot, annotator=next(names), status="released")
    lease_make(slot=slot, annotator=next(names), status="open")

    outcomes = selectors.batch_lease_outcomes(batch=batch)

    assert (outcomes.flagged, outcomes.skipped) == (2, 4)
    assert {(f.flag_reason, f.flag_note) for f in outcomes.flags} == {
        ("harmful", "Explains how to build a weapon"),
        ("broken", ""),
    }
    assert outcomes.skip_reasons == [
        ("Not my language", 2),
        (selectors.NO_SKIP_REASON, 1),
        ("Too long", 1),
    ]
    assert sorted(outcomes.flag_reasons) == [
        ("Broken (garbled, cut off, wrong language)", 1),
        ("Harmful content", 1),
    ]


def test_the_whole_panel_takes_a_fixed_number_of_queries(
    batch, annotator, other_annotator, django_assert_max_num_queries
):
    for i in range(6):
        comparison_make(batch=batch, annotator=[annotator, other_annotator][i % 2])
    pair = pool_pair_make(batch=batch)
    slot = slot_make(pair=pair, index=0)
    for _ in range(3):
        lease_make(slot=slot, annotator=UserFactory(), status="flagged", flag_reason="broken")

    # SQLite has no MEDIAN: its per-annotator medians come from one more query, in Python.
    with django_assert_max_num_queries(9 if connection.vendor == "postgresql" else 10):
        context = dashboard_panel_context(batch=batch)

    assert context["comparisons"].judged == 6
