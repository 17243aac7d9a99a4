"""Writes for accounts."""

from django.contrib.auth import get_user_model
from django.db import transaction


@transaction.atomic
def user_ensure(*, username: str, password: str, is_staff: bool = False) -> tuple[object, bool]:
    """Create the user if missing; leave an existing one (and its password) alone."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_staff": is_staff, "is_superuser": is_staff}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user, created
