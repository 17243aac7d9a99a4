from django import forms

from .models import ApiToken


class ApiTokenAddForm(forms.ModelForm):
    """What a new token needs; its key, the key's hash and prefix come from the service."""

    class Meta:
        model = ApiToken
        fields = ["user", "name", "read_only", "batches"]
        help_texts = {
            "read_only": "A read-only token cannot start export jobs or use the work queue.",
            "batches": "None chosen: every batch the user may read. Some chosen: only those, "
            "for good (the scope cannot grow later).",
        }
