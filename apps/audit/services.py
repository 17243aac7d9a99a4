"""Writes to the audit log."""

from apps.accounts.models import ApiToken

from .models import AuditEvent


def audit_record(
    *, actor, action: str, target: str = "", details: dict | None = None, token=None
) -> AuditEvent:
    """Append one event; `token` is kept only when the request came with an API token."""
    return AuditEvent.objects.create(
        actor=actor,
        token=token if isinstance(token, ApiToken) else None,
        action=action,
        target=target,
        details=details or {},
    )
