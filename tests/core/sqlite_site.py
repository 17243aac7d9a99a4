"""Seed a fresh SQLite site for tests/core/test_sqlite_server.py; run in its own process.

`python -m tests.core.sqlite_site` with DATABASE_URL=sqlite:///... migrates that database,
adds a batch with a ready prompt pool and one annotator (with an API token) per test, and
prints them as JSON.
"""

import json
import os

import django

ANNOTATORS = ("claims", "api", "page")
POOL_PAIRS = 12
MAX_OPEN_LEASES = 3
PASSWORD = "pw-for-tests"  # what UserFactory sets


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    from apps.accounts.services import api_token_create
    from tests.factories import BatchFactory, UserFactory, pool_pair_ready

    batch = BatchFactory(max_open_leases=MAX_OPEN_LEASES)
    for _ in range(POOL_PAIRS):
        pool_pair_ready(batch)
    keys = {}
    for name in ANNOTATORS:
        user = UserFactory(username=name)
        keys[name] = api_token_create(user=user, name="sqlite test", read_only=False)[1]
    print(json.dumps({"batch": batch.pk, "keys": keys, "password": PASSWORD}))


if __name__ == "__main__":
    main()
