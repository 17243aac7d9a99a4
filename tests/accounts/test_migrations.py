import importlib

import pytest
from django.apps import apps

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from tests.factories import BatchFactory, UserFactory

pytestmark = pytest.mark.django_db

scoped_migration = importlib.import_module("apps.accounts.migrations.0002_apitoken_scoped")


def test_tokens_made_with_batches_become_scoped_and_the_rest_stay_unscoped():
    user = UserFactory(username="boss", is_staff=True)
    listed, _ = api_token_create(user=user, name="listed", batch_ids=[BatchFactory().pk])
    everything, _ = api_token_create(user=user, name="everything")
    ApiToken.objects.update(scoped=False)  # as 0001 left them
    scoped_migration.scope_tokens_that_list_batches(apps, None)
    assert ApiToken.objects.get(pk=listed.pk).scoped
    assert not ApiToken.objects.get(pk=everything.pk).scoped
