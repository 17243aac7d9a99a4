"""Reads for accounts."""

import hashlib

from django.db.models import QuerySet

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


def api_token_batch_scope(*, token: ApiToken | None) -> QuerySet | None:
    """The ids of the batches a request through this token may reach, as a subquery for
    `batch_id__in=`; None when it is not limited (no token, or a token for every batch).

    Every API view narrows its query with this, so the scope is decided in one place. It only
    shrinks: a scoped token whose batches were all deleted gets an empty scope, never None.
    """
    if token is None or not token.scoped:
        return None
    return ApiToken.batches.through.objects.filter(apitoken_id=token.pk).values_list(
        "batch_id", flat=True
    )


def api_token_scope_apply(*, queryset: QuerySet, token: ApiToken | None, field: str) -> QuerySet:
    """`queryset` narrowed, in the query, to the token's batches; `field` holds a batch id."""
    scope = api_token_batch_scope(token=token)
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})
