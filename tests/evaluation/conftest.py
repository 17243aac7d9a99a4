"""Studies over a small pool whose responses are 'generated' by hand (no worker), and a
helper that rates an item as the rating page would."""

import pytest

from apps.evaluation.models import Study, StudyItem
from apps.evaluation.services import item_hand_out, rating_submit, study_create
from apps.pairs.models import Pair
from apps.pools.models import PoolItem
from tests.e2e.conftest import browser_page, celery_worker, chromium_browser  # noqa: F401
from tests.factories import BatchFactory, ModelVariantFactory, UserFactory, samples_finish

PROMPTS = [
    ([{"role": "user", "content": "Sort a list in Python"}], "code"),
    ([{"role": "user", "content": "Say hi"}], "chat"),
    (
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Tell me a joke"},
        ],
        "chat",
    ),
]


def pool_batch(name: str = "Source pool", prompts=PROMPTS):
    """A collection batch whose pool holds `prompts` (context, category)."""
    from apps.pools.models import PoolUpload

    batch = BatchFactory(name=name)
    upload = PoolUpload.objects.create(
        batch=batch, filename="prompts.jsonl", file_format="jsonl", rows=len(prompts)
    )
    PoolItem.objects.bulk_create(
        PoolItem(batch=batch, upload=upload, line_number=n, context=context, category=category)
        for n, (context, category) in enumerate(prompts, start=1)
    )
    return batch


def study_generated(study: Study, texts=("Response of A", "B's answer, longer")) -> None:
    """Finish every response of the study as a worker would."""
    for pair in Pair.objects.filter(pk__in=study.items.values("pair_id")):
        samples_finish(pair, texts)


def rate(item: StudyItem, rater, screen_value: int, *, a_on_left: bool = True):
    token = item_hand_out(item=item, a_on_left=a_on_left)
    return rating_submit(study=item.study, token=token, rater=rater, screen_value=screen_value)


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True)


@pytest.fixture
def variants(db):
    return [ModelVariantFactory(name=f"variant-{n}") for n in range(3)]


@pytest.fixture
def raters(db):
    return [UserFactory(username=f"rater{n}") for n in range(3)]


@pytest.fixture
def sbs_study(staff, variants, raters):
    study = study_create(
        name="Side by side",
        kind=Study.Kind.SIDE_BY_SIDE,
        source_batch=pool_batch(),
        variants=variants[:2],
        created_by=staff,
        raters=raters,
        max_new_tokens=8,
    )
    study_generated(study)
    return study


@pytest.fixture
def safety_study(staff, variants, raters):
    study = study_create(
        name="Safety",
        kind=Study.Kind.SAFETY,
        source_batch=pool_batch(name="Safety pool"),
        variants=variants[:2],
        created_by=staff,
        raters=raters,
        max_new_tokens=8,
    )
    study_generated(study, texts=("I can't help with that.", "Here is how..."))
    return study
