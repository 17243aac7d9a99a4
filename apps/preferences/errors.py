"""One mapping of the judgment services' refusals to what a page and the API answer.

- ValidationError: the input is wrong. A page shows it on the form (by field where the form
  has the field); the API answers 400 with the same messages.
- Refused: the input may be fine, but nothing was stored or handed out, and the message
  says why (the lease ended, the batch closed, the lease limit). A page shows the
  message; the API answers 409.
- BatchNotOpenToYou: the batch is closed or not assigned to the caller. A page shows the
  message; the API answers 404, as for a batch that does not exist. Its kinds AnnotatorPaused
  and QualificationNeeded (the batch is theirs, but not now): the API answers 403 with the
  message, which says why and whom to ask.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from apps.batches.selectors import AnnotatorPaused, BatchNotOpenToYou, QualificationNeeded


class Refused(Exception):
    """Nothing was stored or handed out, and the message says why."""


def refusal_text(exc: Exception) -> str:
    """The message of a refusal, as one sentence or a few."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def form_errors_add(form, exc: Exception) -> None:
    """Show a service's refusal on the form: field errors by field, the rest at the top."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc)
    else:
        form.add_error(None, str(exc))


def api_refusal(exc: Exception) -> Response:
    """The API's answer to a refusal (raises for 400 and 404, so DRF renders them its way)."""
    if isinstance(exc, ValidationError):
        raise ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, AnnotatorPaused | QualificationNeeded):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, BatchNotOpenToYou):
        raise Http404 from exc
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
