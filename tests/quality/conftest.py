"""A small fixed data set whose quality figures are worked out by hand in test_selectors.py.

Batch (overlap 3, floor 5 s), left slot "a" on every screen:
  P1 (category "code"): ann1 A significantly (+4, 2 s), ann2 A better (+3, 6 s),
                        ann3 B slightly (-2, 8 s)
  P2 (category "code", gold: B): ann1 B better (-3, 10 s, gold right),
                        ann2 B better (-3, 7 s, gold right), ann3 A better (withdrawn)
  P3 (category "chat"): ann1 A negligibly/unsure (+1, 4 s)
  P4 (qualification gold: B): ann3 A better (gold wrong)
ann3 has an active flag that pauses their work.
"""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from apps.batches.models import AnnotatorFlag, Batch
from apps.pairs.models import Pair, Sample
from apps.preferences.models import Comparison, GoldAnswer
from tests.e2e.conftest import browser_page, chromium_browser  # noqa: F401  (browser tests)
from tests.factories import BatchFactory, UserFactory, pool_pair_ready


def judge(
    pair: Pair,
    annotator,
    *,
    chosen: str,
    strength: str,
    seconds: float,
    left: str = "a",
    gold_correct: bool | None = None,
    withdrawn: bool = False,
) -> Comparison:
    """Store a judgment as the judgment core would, without the queue around it."""
    samples = {s.slot: s for s in Sample.objects.filter(pair=pair)}
    rejected = "b" if chosen == "a" else "a"
    return Comparison.objects.create(
        pair=pair,
        batch_id=pair.batch_id,
        track=pair.batch.track,
        annotator=annotator,
        turn_index=0,
        context=pair.context,
        chosen=samples[chosen],
        rejected=samples[rejected],
        left=samples[left],
        strength=strength,
        time_spent_ms=int(seconds * 1000),
        gold_correct=gold_correct,
        withdrawn_at=timezone.now() if withdrawn else None,
        withdrawn_reason="careless" if withdrawn else "",
    )


@dataclass
class QualityData:
    batch: Batch
    ann1: object
    ann2: object
    ann3: object
    pairs: list[Pair]
    flag: AnnotatorFlag


@pytest.fixture
def quality_data(db) -> QualityData:
    batch = BatchFactory(overlap=3, min_seconds_per_judgment=5, gold_min_count=1)
    ann1, ann2, ann3 = (UserFactory(username=f"q-ann{i}") for i in (1, 2, 3))
    p1, p2, p3, p4 = (pool_pair_ready(batch, prompt=f"Prompt {i}") for i in range(1, 5))
    for pair, category in ((p1, "code"), (p2, "code"), (p3, "chat")):
        pair.pool_item.category = category
        pair.pool_item.save(update_fields=["category"])
    GoldAnswer.objects.create(pair=p2, batch=batch, expected_slot="b", source="admin")
    GoldAnswer.objects.create(
        pair=p4, batch=batch, expected_slot="b", for_qualification=True, source="admin"
    )
    judge(p1, ann1, chosen="a", strength="significantly_better", seconds=2)
    judge(p1, ann2, chosen="a", strength="better", seconds=6)
    judge(p1, ann3, chosen="b", strength="slightly_better", seconds=8)
    judge(p2, ann1, chosen="b", strength="better", seconds=10, gold_correct=True)
    judge(p2, ann2, chosen="b", strength="better", seconds=7, gold_correct=True)
    judge(p2, ann3, chosen="a", strength="better", seconds=3, gold_correct=False, withdrawn=True)
    judge(p3, ann1, chosen="a", strength="negligibly_better_or_unsure", seconds=4)
    judge(p4, ann3, chosen="a", strength="better", seconds=9, gold_correct=False)
    flag = AnnotatorFlag.objects.create(
        batch=batch,
        annotator=ann3,
        reason="Gold accuracy under 70%",
        details={"n": 10, "correct": 3},
        pauses_work=True,
    )
    return QualityData(
        batch=batch, ann1=ann1, ann2=ann2, ann3=ann3, pairs=[p1, p2, p3, p4], flag=flag
    )


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True)
