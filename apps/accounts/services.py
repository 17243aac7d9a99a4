"""Writes for accounts."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken
from .selectors import api_key_hash


@transaction.atomic
def user_ensure(
    *, username: str, password: str | None, is_staff: bool = False
) -> tuple[object, bool]:
    """Create the user if missing; leave an existing one (and its password) alone.

    With no password the user cannot log in to the pages (API tokens only).
    """
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_staff": is_staff, "is_superuser": is_staff}
    )
    if created:
        user.set_password(password)  # None: an unusable password
        user.save(update_fields=["password"])
    return user, created


@transaction.atomic
def api_token_create(
    *, user, name: str, read_only: bool = True, batch_ids: list[int] | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its key (stored only as a hash: shown once).

    `batch_ids` None: the token reaches every batch its user may read. A list: only those
    batches, for good (it must name at least one, and each must exist).
    """
    if batch_ids is not None:
        _batch_ids_check(batch_ids)
    key = "pw_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:10],
        key_hash=api_key_hash(key),
        read_only=read_only,
        scoped=batch_ids is not None,
    )
    if batch_ids is not None:
        token.batches.set(batch_ids)
    return token, key


def _batch_ids_check(batch_ids: list[int]) -> None:
    if not batch_ids:
        raise ValidationError("A token limited to batches needs at least one batch.")
    Batch = ApiToken.batches.field.related_model
    found = set(Batch.objects.filter(pk__in=batch_ids).values_list("pk", flat=True))
    if missing := sorted(set(batch_ids) - found):
        raise ValidationError(f"No batch has the id {', '.join(map(str, missing))}.")


def api_token_touch(*, token) -> None:
    """Record use, at most once a minute per token (a conditional UPDATE, skipped when the
    token just read shows a recent use: most requests then cost no write at all)."""
    now = timezone.now()
    if token.last_used_at and token.last_used_at >= now - timedelta(minutes=1):
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1))
    ).update(last_used_at=now)


def api_token_revoke(*, token) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
