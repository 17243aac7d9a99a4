"""Staff pages for batches: list, create, edit, open, close and clone.

Anonymous visitors go to the login page; a signed-in annotator gets 403 (the pages are not
secret, they are just not theirs).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.decorators import staff_required

from . import selectors, services
from .forms import (
    BatchForm,
    SamplingForm,
    batch_initial,
    batch_initial_new,
    clone_initial,
    sampling_initial,
    sampling_initial_new,
)
from .models import Batch


def _batch_or_404(batch_id: int) -> Batch:
    try:
        return selectors.batch_get_for_management(batch_id=batch_id)
    except Batch.DoesNotExist as exc:
        raise Http404 from exc


class BatchForms:
    """The batch form and its two sampling forms, bound or unbound together."""

    def __init__(self, data=None, *, batch=None, initial=None) -> None:
        batch_values, sampling_a, sampling_b = initial or (None, None, None)
        self.batch = BatchForm(data, batch=batch, initial=batch_values)
        self.sampling_a = SamplingForm(data, prefix="sampling_a", initial=sampling_a)
        self.sampling_b = SamplingForm(data, prefix="sampling_b", initial=sampling_b)

    def is_valid(self) -> bool:
        # Validate all three, so every error shows at once.
        return all([self.batch.is_valid(), self.sampling_a.is_valid(), self.sampling_b.is_valid()])

    def values(self) -> dict:
        return {
            "settings": self.batch.settings(),
            "sampling_a": self.sampling_a.settings(),
            "sampling_b": self.sampling_b.settings(),
            "annotators": self.batch.cleaned_data["annotators"],
            "groups": self.batch.cleaned_data["groups"],
        }

    def add_service_error(self, exc: ValidationError) -> None:
        """A service's refusal (a race, or a rule the forms did not see) shown on the form."""
        if not hasattr(exc, "error_dict"):
            self.batch.add_error(None, exc)
            return
        for field, errors in exc.message_dict.items():
            self.batch.add_error(field if field in self.batch.fields else None, errors)

    @property
    def error_count(self) -> int:
        return sum(
            len(form.non_field_errors()) + sum(len(form[f].errors) for f in form.fields)
            for form in (self.batch, self.sampling_a, self.sampling_b)
        )


def _form_page(request, template_context: dict, forms: BatchForms, *, status: int = 200):
    context = template_context | {"forms": forms, "form": forms.batch}
    return render(request, "batches/manage/batch_form.html", context, status=status)


def _save(request, forms: BatchForms, write) -> Batch | None:
    """Run the service when the forms are valid; None (errors on the forms) otherwise."""
    if not forms.is_valid():
        return None
    try:
        return write(actor=request.user, **forms.values())
    except ValidationError as exc:
        forms.add_service_error(exc)
        return None


@staff_required
@require_GET
def batch_list(request):
    return render(
        request, "batches/manage/batch_list.html", {"batches": selectors.batches_for_management()}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def batch_create(request):
    context = {"title": "New batch", "submit_label": "Create draft batch"}
    if request.method == "GET":
        initial = (
            batch_initial_new(),
            sampling_initial_new(low=True),
            sampling_initial_new(low=False),
        )
        return _form_page(request, context, BatchForms(initial=initial))
    forms = BatchForms(request.POST)
    batch = _save(request, forms, services.batch_create)
    if batch is None:
        return _form_page(request, context, forms, status=400)
    messages.success(request, f"Created draft batch “{batch.name}”. Open it when it is ready.")
    return redirect("batch_manage:edit", batch_id=batch.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def batch_edit(request, batch_id: int):
    batch = _batch_or_404(batch_id)
    context = {
        "title": f"Edit “{batch.name}”",
        "submit_label": "Save changes",
        "batch": batch,
        "has_pool_items": selectors.batch_has_pool_items(batch=batch),
        "audit_events": selectors.batch_audit_events(batch=batch),
    }
    if request.method == "GET":
        initial = (
            batch_initial(batch),
            sampling_initial(batch.sampling_a),
            sampling_initial(batch.sampling_b),
        )
        return _form_page(request, context, BatchForms(batch=batch, initial=initial))
    forms = BatchForms(request.POST, batch=batch)

    def write(**values):
        return services.batch_update(batch=batch, **values)

    if _save(request, forms, write) is None:
        return _form_page(request, context, forms, status=400)
    messages.success(request, "Saved.")
    return redirect("batch_manage:edit", batch_id=batch.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def batch_clone(request, batch_id: int):
    source = _batch_or_404(batch_id)
    context = {
        "title": f"Clone “{source.name}” as iteration {source.iteration + 1}",
        "submit_label": "Create the clone as a draft",
        "source": source,
    }
    if request.method == "GET":
        return _form_page(request, context, BatchForms(initial=clone_initial(source)))
    forms = BatchForms(request.POST)

    def write(**values):
        return services.batch_clone(source=source, **values)

    clone = _save(request, forms, write)
    if clone is None:
        return _form_page(request, context, forms, status=400)
    messages.success(request, f"Created “{clone.name}” (iteration {clone.iteration}) as a draft.")
    return redirect("batch_manage:edit", batch_id=clone.pk)


def _status_action(request, batch_id: int, change, done: str):
    batch = _batch_or_404(batch_id)
    try:
        change(batch=batch, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{batch.name}” is {done}.")
    return redirect("batch_manage:list")


@staff_required
@require_POST
def batch_open(request, batch_id: int):
    return _status_action(request, batch_id, services.batch_open, "open")


@staff_required
@require_POST
def batch_close(request, batch_id: int):
    return _status_action(request, batch_id, services.batch_close, "closed")
