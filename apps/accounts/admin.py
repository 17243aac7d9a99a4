from django.contrib import admin
from django.template.response import TemplateResponse

from .forms import ApiTokenAddForm
from .models import ApiToken
from .services import api_token_create, api_token_revoke

ADD_FIELDS = ["user", "name", "read_only", "batches"]
# After creation only the name changes: a token's owner, rights and scope are fixed, so its
# scope can only shrink (its batches deleted), never grow.
FIXED_FIELDS = [
    "user",
    "prefix",
    "read_only",
    "scoped",
    "batches",
    "created_at",
    "last_used_at",
    "revoked_at",
]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "user",
        "read_only",
        "scoped",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    filter_horizontal = ["batches"]
    actions = ["revoke_tokens"]

    def get_fields(self, request, obj=None):
        return ADD_FIELDS if obj is None else ["name", *FIXED_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else FIXED_FIELDS

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        token, key = api_token_create(
            user=data["user"],
            name=data["name"],
            read_only=data["read_only"],
            batch_ids=[batch.pk for batch in data["batches"]] or None,
        )
        request.api_token_key = key  # for response_add; never stored
        return token

    def save_model(self, request, obj, form, change):
        if change:  # a new token was saved by api_token_create
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def response_add(self, request, obj, post_url_continue=None):
        """The key, on a page of its own: only its hash is stored, so this is the one time."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API token created",
            "token": obj,
            "key": request.api_token_key,
        }
        return TemplateResponse(request, "admin/accounts/apitoken/key_shown.html", context)

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(request, f"Revoked {len(tokens)} token(s).")
