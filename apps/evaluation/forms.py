from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef

from apps.batches.models import Batch
from apps.catalog.models import ModelVariant
from apps.pools.models import PoolItem

from .models import Study
from .scales import SAFETY_CHOICES, SIDE_BY_SIDE_CHOICES


def _batches_with_a_pool():
    pooled = PoolItem.objects.filter(batch=OuterRef("pk"))
    return Batch.objects.filter(Exists(pooled), purpose=Batch.Purpose.COLLECTION).order_by("name")


class StudyForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)
    kind = forms.ChoiceField(choices=Study.Kind.choices)
    source_batch = forms.ModelChoiceField(
        queryset=Batch.objects.none(), label="Prompt set (a batch's pool)"
    )
    variants = forms.ModelMultipleChoiceField(
        queryset=ModelVariant.objects.none(),
        required=False,
        help_text="Side by side: two or more (every pair is compared; the first listed is A). "
        "Safety: one or more.",
    )
    supplied_responses = forms.BooleanField(
        required=False,
        label="Rate the responses uploaded with the pool (an outside system's)",
        help_text="Nothing is generated: the pool file's response_a and response_b are rated, "
        "as the batch's sides a and b. The variants above are then ignored.",
    )
    raters_per_item = forms.IntegerField(min_value=1, max_value=10, initial=3)
    max_new_tokens = forms.IntegerField(min_value=1, max_value=8192, initial=256)
    instructions = forms.CharField(widget=forms.Textarea, required=False, max_length=5000)
    open_to_all_annotators = forms.BooleanField(required=False)
    raters = forms.ModelMultipleChoiceField(queryset=None, required=False)
    groups = forms.ModelMultipleChoiceField(queryset=None, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_batch"].queryset = _batches_with_a_pool()
        self.fields["variants"].queryset = ModelVariant.objects.order_by("name")
        self.fields["raters"].queryset = get_user_model().objects.order_by("username")
        self.fields["groups"].queryset = Group.objects.order_by("name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if Study.objects.filter(name=name).exists():
            raise forms.ValidationError("A study of that name exists.")
        return name

    def clean(self):
        data = super().clean()
        wanted = 2 if data.get("kind") == Study.Kind.SIDE_BY_SIDE else 1
        if not data.get("supplied_responses") and len(data.get("variants") or []) < wanted:
            self.add_error("variants", f"Pick at least {wanted}.")
        return data


class RatingForm(forms.Form):
    token = forms.CharField(max_length=500)
    value = forms.TypedChoiceField(coerce=int, choices=())

    def __init__(self, *args, safety: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = SAFETY_CHOICES if safety else SIDE_BY_SIDE_CHOICES
