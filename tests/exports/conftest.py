"""Comparisons built the way the product builds them: dialogue, pair, samples, judgment."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from apps.accounts.services import api_token_create
from apps.dialogues.services import dialogue_continue, dialogue_judge, dialogue_start
from apps.pairs.models import Pair
from apps.pairs.services import PairSpec, pair_create
from apps.pools.models import PoolItem, PoolUpload
from apps.preferences.models import Comparison
from apps.preferences.services import comparison_record
from tests.factories import UserFactory, samples_finish


def judge(
    *,
    batch,
    annotator,
    prompt: str = "Hello?",
    texts=("Response A", "Response B"),
    chosen_side: str = "left",
    strength: str = "better",
    dialogue=None,
    left_is_safe=None,
    right_is_safe=None,
) -> Comparison:
    """One judged turn: a new dialogue, or the next turn of `dialogue`."""
    if dialogue is None:
        pair = dialogue_start(batch=batch, annotator=annotator, text=prompt)
    else:
        pair = dialogue_continue(dialogue=dialogue, annotator=annotator, text=prompt)
    samples_finish(pair, texts)
    # The screen side is random in the product; fix it so "left" means the first text here.
    Pair.objects.filter(pk=pair.pk).update(left_slot="a")
    return dialogue_judge(
        pair=pair,
        annotator=annotator,
        chosen_side=chosen_side,
        strength=strength,
        time_spent_ms=4321,
        left_is_safe=left_is_safe,
        right_is_safe=right_is_safe,
    )


def judge_again(*, comparison: Comparison, annotator, chose_same: bool, strength="better"):
    """A second annotator's judgment of the same pair (the overlap that a queue will bring)."""
    chosen, rejected = (
        (comparison.chosen, comparison.rejected)
        if chose_same
        else (comparison.rejected, comparison.chosen)
    )
    return Comparison.objects.create(
        pair=comparison.pair,
        batch=comparison.batch,
        track=comparison.track,
        annotator=annotator,
        turn_index=comparison.turn_index,
        context=comparison.context,
        chosen=chosen,
        rejected=rejected,
        left=comparison.left,
        strength=strength,
        chosen_is_safe=comparison.chosen_is_safe,
        rejected_is_safe=comparison.rejected_is_safe,
        time_spent_ms=1000,
    )


def pool_pair(
    *,
    batch,
    line: int,
    context=None,
    category: str = "",
    metadata=None,
    texts=("Pool answer A", "Pool answer B"),
) -> Pair:
    """A pool item and its pair with both samples generated, as the queue leaves them."""
    upload, _ = PoolUpload.objects.get_or_create(
        batch=batch, filename="prompts.jsonl", defaults={"file_format": "jsonl", "rows": 0}
    )
    context = context or [{"role": "user", "content": f"Pool prompt {line}?"}]
    item = PoolItem.objects.create(
        batch=batch,
        upload=upload,
        line_number=line,
        context=context,
        category=category,
        metadata=metadata if metadata is not None else {},
    )
    spec = PairSpec(context=context, pool_item=item, left_slot="a")
    return samples_finish(pair_create(batch=batch, spec=spec, enqueue=False), texts)


def pool_judge(
    *, pair, annotator, chosen_slot: str, left_slot: str = "a", strength="better", safe=None
):
    """One annotator's judgment of a pool pair, through the service the queue uses."""
    chosen_side = "left" if chosen_slot == left_slot else "right"
    with transaction.atomic():
        return comparison_record(
            pair=pair,
            annotator=annotator,
            left_slot=left_slot,
            chosen_side=chosen_side,
            strength=strength,
            time_spent_ms=1500,
            left_is_safe=safe,
            right_is_safe=safe,
        )


@pytest.fixture
def staff(db):
    return UserFactory(username="researcher", is_staff=True)


@pytest.fixture
def staff_token(staff):
    _, key = api_token_create(user=staff, name="all", read_only=False)
    return key


@pytest.fixture
def api(client, staff_token):
    """A test client that sends the staff token."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {staff_token}"
    return client


def user_make(username: str, **extra):
    return get_user_model().objects.create_user(username=username, password="pw", **extra)
