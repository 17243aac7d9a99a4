"""Reads for accounts."""

import hashlib

from .models import ApiToken


def api_key_hash(key: str) -> str:
    # Keys are 256 random bits, so a fast unsalted hash is enough (no guessing to slow down).
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The live token with this key, with its user, or None."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=api_key_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_token_batch_ids(*, token: ApiToken | None) -> set[int] | None:
    """The batches a token is limited to, or None when it is not limited."""
    if token is None:
        return None
    ids = set(token.batches.values_list("pk", flat=True))
    return ids or None
