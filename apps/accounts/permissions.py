from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiToken


class TokenMayWrite(BasePermission):
    """Read-only tokens may only read; sessions and writable tokens may also write."""

    message = "This token is read-only."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or not isinstance(request.auth, ApiToken):
            return True
        return not request.auth.read_only
