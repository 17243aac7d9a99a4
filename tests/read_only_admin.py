"""Checks that collected data is read-only in the Django admin, through the real admin pages."""

from django.contrib.admin.sites import site
from django.forms.models import model_to_dict
from django.test import Client


def _url(obj, view: str) -> str:
    meta = obj._meta
    base = f"/admin/{meta.app_label}/{meta.model_name}/"
    if view == "changelist":
        return base
    return base + ("add/" if view == "add" else f"{obj.pk}/{view}/")


def assert_admin_read_only(client: Client, obj, *, field: str, new_value) -> None:
    """A superuser lists and views `obj`, but cannot add, change (`field`) or delete it."""
    model = type(obj)
    assert model in site._registry, f"{model.__name__} is not in the admin"
    before = model_to_dict(model.objects.get(pk=obj.pk))

    listing = client.get(_url(obj, "changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert _url(obj, "change") in html, "the object is not listed"
    assert 'value="delete_selected"' not in html, "the list offers to delete"
    assert f'href="{_url(obj, "add")}"' not in html, "the admin offers to add"

    page = client.get(_url(obj, "change"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html, "the page can save"
    assert f'name="{field}"' not in html, f"{field} is an input"

    assert client.get(_url(obj, "add")).status_code == 403
    form = {key: "" if value is None else value for key, value in before.items()}
    changed = client.post(_url(obj, "change"), {**form, field: new_value, "_save": "Save"})
    assert changed.status_code == 403
    deleted = client.post(_url(obj, "delete"), {"post": "yes"})
    assert deleted.status_code == 403
    assert client.post(
        _url(obj, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    ).status_code in (200, 302)
    assert model_to_dict(model.objects.get(pk=obj.pk)) == before, "the row changed"
