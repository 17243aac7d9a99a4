"""Uploaded pool contexts are evidence: the admin lists and shows them, and changes nothing."""

import pytest

from apps.pools.models import PoolItem
from tests.factories import pool_pair_ready
from tests.read_only_admin import assert_admin_read_only

pytestmark = pytest.mark.django_db


def test_a_pool_item_is_read_only_in_the_admin(admin_client, batch):
    pair = pool_pair_ready(batch, prompt="Pooled prompt")
    item = PoolItem.objects.get(pair=pair)
    assert_admin_read_only(admin_client, item, field="category", new_value="edited")


def test_a_pool_upload_is_read_only_in_the_admin(admin_client, batch):
    pair = pool_pair_ready(batch)
    upload = PoolItem.objects.get(pair=pair).upload
    assert_admin_read_only(admin_client, upload, field="filename", new_value="edited.jsonl")
