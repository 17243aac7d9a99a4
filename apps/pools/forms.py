from django import forms
from django.conf import settings

ACCEPT = ".jsonl,.ndjson,.json,.csv,application/json,application/x-ndjson,text/csv"


class PoolUploadForm(forms.Form):
    file = forms.FileField(
        label="Prompt file (JSONL or CSV)",
        allow_empty_file=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.POOL_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {limit:,} bytes. "
                "Split it into smaller files."
            )
        return upload
