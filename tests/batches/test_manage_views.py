"""Staff pages for batches: who may reach them, forms that keep input, clone, hostile text."""

import re

import pytest
from django.test import Client

from apps.audit.models import AuditEvent
from apps.batches.models import Batch
from apps.dialogues.services import dialogue_judge
from tests.factories import BatchFactory, ModelVariantFactory, UserFactory, pair_ready

from .helpers import form_data, pool_item_add

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", is_staff=True)


@pytest.fixture
def staff_client(client, boss):
    client.force_login(boss)
    return client


def _routes(batch_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/manage/batches/"),
        ("get", "/manage/batches/new/"),
        ("post", "/manage/batches/new/"),
        ("get", f"/manage/batches/{batch_id}/edit/"),
        ("post", f"/manage/batches/{batch_id}/edit/"),
        ("get", f"/manage/batches/{batch_id}/clone/"),
        ("post", f"/manage/batches/{batch_id}/clone/"),
        ("post", f"/manage/batches/{batch_id}/open/"),
        ("post", f"/manage/batches/{batch_id}/close/"),
    ]


def test_it_sends_anonymous_visitors_to_the_login_page(client, batch):
    for method, url in _routes(batch.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_it_forbids_annotators_and_changes_nothing(client, annotator, batch):
    client.force_login(annotator)
    for method, url in _routes(batch.pk):
        assert getattr(client, method)(url, form_data(name="Sneaky")).status_code == 403, url
    batch.refresh_from_db()
    assert batch.status == Batch.Status.OPEN
    assert not Batch.objects.filter(name="Sneaky").exists()
    assert not AuditEvent.objects.exists()


def test_it_rejects_status_changes_by_get(staff_client, batch):
    assert staff_client.get(f"/manage/batches/{batch.pk}/close/").status_code == 405
    batch.refresh_from_db()
    assert batch.status == Batch.Status.OPEN


def test_it_requires_a_csrf_token_for_every_write(boss, batch):
    client = Client(enforce_csrf_checks=True)
    client.force_login(boss)
    assert client.post(f"/manage/batches/{batch.pk}/close/").status_code == 403
    assert client.post("/manage/batches/new/", form_data()).status_code == 403
    batch.refresh_from_db()
    assert batch.status == Batch.Status.OPEN


def test_it_answers_404_for_a_missing_batch(staff_client):
    assert staff_client.get("/manage/batches/999999/edit/").status_code == 404
    assert staff_client.post("/manage/batches/999999/open/").status_code == 404


def test_it_lists_every_batch_with_status_iteration_and_progress(staff_client, annotator):
    batch = BatchFactory(name="Week 7", iteration=7, target_comparisons=40)
    BatchFactory(name="Next week", status=Batch.Status.DRAFT)
    dialogue_pair = pair_ready(
        dialogue=batch.dialogues.create(annotator=annotator), prompt="Hello?"
    )
    dialogue_judge(
        pair=dialogue_pair,
        annotator=annotator,
        chosen_side="left",
        strength="better",
        time_spent_ms=10,
    )
    pool_item_add(batch)
    pool_item_add(batch, line_number=2)
    page = staff_client.get("/manage/batches/")
    assert page.status_code == 200
    html = page.content.decode()
    row = re.search(rf'<tr id="batch-{batch.pk}">(.*?)</tr>', html, re.S).group(1)
    assert "Week 7" in row and ">Open<" in row and "<td>7</td>" in row
    assert "1 / 40" in row
    assert "<td>1</td>" in row  # pairs
    assert "<td>2</td>" in row  # pool items
    assert "Next week" in html and "Draft" in html
    assert f'href="/manage/batches/{batch.pk}/pool/"' in row
    assert f'href="/manage/batches/{batch.pk}/dashboard/"' in row
    edit = staff_client.get(f"/manage/batches/{batch.pk}/edit/").content.decode()
    assert f'href="/manage/batches/{batch.pk}/dashboard/"' in edit


def test_it_shows_the_staff_link_in_the_navigation_to_staff_only(client, staff_client, annotator):
    assert b'href="/manage/batches/"' in staff_client.get("/batches/").content
    other = Client()
    other.force_login(annotator)
    assert b'href="/manage/batches/"' not in other.get("/batches/").content


def test_it_prefills_a_new_batch_with_the_latest_variant(staff_client):
    ModelVariantFactory(name="Old")
    ModelVariantFactory(name="Newest")
    page = staff_client.get("/manage/batches/new/")
    assert page.status_code == 200
    form = page.context["forms"]
    assert form.sampling_a.initial["variant"].name == "Newest"
    assert form.batch.initial["open_to_all_annotators"] is True


def test_it_creates_a_draft_batch_and_audits_it(staff_client, boss):
    response = staff_client.post("/manage/batches/new/", form_data(name="Week 2"))
    batch = Batch.objects.get(name="Week 2")
    assert response.status_code == 302
    assert response["Location"] == f"/manage/batches/{batch.pk}/edit/"
    assert batch.status == Batch.Status.DRAFT
    assert (batch.sampling_b.temperature_min, batch.sampling_b.top_p) == (0.8, 0.95)
    event = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_CREATED)
    assert (event.actor, event.target) == (boss, f"batch:{batch.pk}")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sampling_a-temperature_max", "0.1", "must be at least the minimum"),
        ("sampling_b-temperature_min", "-0.5", "greater than or equal to 0"),
        ("sampling_b-temperature_max", "5.5", "less than or equal to 5"),
        ("sampling_a-top_p", "0", "above 0 and at most 1"),
        ("sampling_a-top_p", "1.5", "above 0 and at most 1"),
        ("sampling_a-max_new_tokens", "0", "greater than or equal to 1"),
        ("sampling_b-max_new_tokens", "8193", "less than or equal to 8192"),
        ("sampling_b-top_p", "nan", "Enter a number"),
        ("overlap", "0", "greater than or equal to 1"),
        ("overlap", "11", "less than or equal to 10"),
        ("lease_minutes", "0", "greater than or equal to 1"),
        ("max_open_leases", "101", "less than or equal to 100"),
        ("target_comparisons", "0", "greater than or equal to 1"),
        ("name", "   ", "This field is required"),
    ],
)
def test_it_names_the_bad_field_and_keeps_everything_typed(staff_client, field, value, message):
    data = form_data(**({"name": "Kept name", "guidelines": "Kept *guidelines*"} | {field: value}))
    response = staff_client.post("/manage/batches/new/", data)
    assert response.status_code == 400
    forms = response.context["forms"]
    prefix, _, name = field.rpartition("-")
    form = getattr(forms, prefix) if prefix else forms.batch
    assert message in " ".join(form.errors[name])
    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    if field != "name":
        assert 'value="Kept name"' in html
    assert "Kept *guidelines*</textarea>" in html
    assert 'name="sampling_b-top_p" value="0.95"' in html or field == "sampling_b-top_p"
    assert not Batch.objects.exists()


def test_it_refuses_a_batch_nobody_could_work_on(staff_client):
    data = form_data()
    del data["open_to_all_annotators"]
    response = staff_client.post("/manage/batches/new/", data)
    assert response.status_code == 400
    assert "Nobody could work on this batch" in response.content.decode()


def test_it_refuses_a_duplicate_name(staff_client, batch):
    response = staff_client.post("/manage/batches/new/", form_data(name=batch.name))
    assert response.status_code == 400
    assert response.context["forms"].batch.errors["name"] == [
        "Another batch already has this name."
    ]


def test_it_edits_a_batch_and_its_assignment(staff_client, boss, batch):
    ann, old_name = UserFactory(username="ann"), batch.name
    page = staff_client.get(f"/manage/batches/{batch.pk}/edit/")
    assert page.status_code == 200
    assert f'value="{batch.name}"' in page.content.decode()
    data = form_data(name="Renamed", max_turns="2", annotators=[str(ann.pk)])
    del data["open_to_all_annotators"]
    response = staff_client.post(f"/manage/batches/{batch.pk}/edit/", data)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.name, batch.max_turns, batch.open_to_all_annotators) == ("Renamed", 2, False)
    assert list(batch.annotators.all()) == [ann]
    assert batch.status == Batch.Status.OPEN  # editing never changes the status
    event = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_UPDATED)
    assert event.actor == boss
    assert event.details["changed"]["name"] == [old_name, "Renamed"]
    history = staff_client.get(f"/manage/batches/{batch.pk}/edit/").content.decode()
    assert "Batch edited" in history and "boss" in history


def test_the_history_shows_each_change_as_field_old_new_in_plain_words(staff_client, batch):
    ann = UserFactory(username="ann")
    old_name = batch.name
    data = form_data(
        name="Renamed", max_turns="2", annotators=[str(ann.pk)], **{"sampling_a-top_p": "0.5"}
    )
    del data["open_to_all_annotators"]
    assert staff_client.post(f"/manage/batches/{batch.pk}/edit/", data).status_code == 302
    assert staff_client.post(f"/manage/batches/{batch.pk}/close/").status_code == 302
    html = staff_client.get(f"/manage/batches/{batch.pk}/edit/").content.decode()
    history = re.search(r'<table class="grid" id="batch-history">.*?</table>', html, re.S)[0]
    for line in (
        f"name: {old_name} -&gt; Renamed",
        "max turns: 3 -&gt; 2",
        "open to all annotators: yes -&gt; no",
        "annotators: none -&gt; ann",
        "side A top p: 0.9 -&gt; 0.5",
        "status: open -&gt; closed",
    ):
        assert f"<li>{line}</li>" in history, line
    assert "{" not in history and "[" not in history and "True" not in history


def test_it_explains_that_overlap_is_fixed_once_there_is_a_pool(staff_client, batch):
    pool_item_add(batch)
    response = staff_client.post(f"/manage/batches/{batch.pk}/edit/", form_data(overlap="3"))
    assert response.status_code == 400
    errors = " ".join(response.context["forms"].batch.errors["overlap"])
    assert "cannot change once the batch has a prompt pool" in errors
    assert "It stays 1" in errors
    batch.refresh_from_db()
    assert batch.overlap == 1


def test_it_lets_overlap_change_before_there_is_a_pool(staff_client, batch):
    response = staff_client.post(f"/manage/batches/{batch.pk}/edit/", form_data(overlap="3"))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.overlap == 3


def test_it_opens_closes_and_reopens_from_the_list(staff_client, boss):
    batch = BatchFactory(status=Batch.Status.DRAFT)
    for action, expected in (("open", "open"), ("close", "closed"), ("open", "open")):
        response = staff_client.post(f"/manage/batches/{batch.pk}/{action}/")
        assert response.status_code == 302
        assert response["Location"] == "/manage/batches/"
        batch.refresh_from_db()
        assert batch.status == expected
    assert AuditEvent.objects.filter(action="batch_status_changed", actor=boss).count() == 3


CLOSE_RULE = (
    "Closing hands out no new pairs, prompts or turns; work annotators already have can be "
    "judged until its lease ends (45 minutes)."
)


def test_the_close_buttons_say_what_closing_does(staff_client):
    batch = BatchFactory(lease_minutes=45)
    for url in ("/manage/batches/", f"/manage/batches/{batch.pk}/edit/"):
        html = staff_client.get(url).content.decode()
        assert CLOSE_RULE in html
        assert re.search(r'<button type="submit" aria-describedby="close-rule-\d+">Close', html)


def test_it_explains_a_refused_status_change(staff_client, batch):
    response = staff_client.post(f"/manage/batches/{batch.pk}/open/", follow=True)
    assert "is open; it cannot become open" in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_it_prefills_the_clone_page_with_the_next_iteration_and_the_latest_variant(staff_client):
    source = BatchFactory(name="Weekly (iteration 3)", iteration=3, overlap=2, max_turns=5)
    ann = UserFactory(username="ann")
    source.annotators.add(ann)
    latest = ModelVariantFactory(name="Latest")
    page = staff_client.get(f"/manage/batches/{source.pk}/clone/")
    assert page.status_code == 200
    forms = page.context["forms"]
    assert forms.batch.initial["name"] == "Weekly (iteration 4)"
    assert (forms.batch.initial["overlap"], forms.batch.initial["max_turns"]) == (2, 5)
    assert forms.batch.initial["annotators"] == [ann]
    assert forms.sampling_a.initial["variant"] == latest
    assert forms.sampling_b.initial["variant"] == latest
    assert forms.sampling_b.initial["temperature_min"] == source.sampling_b.temperature_min
    assert "iteration 4" in page.content.decode()


def test_it_creates_the_clone_as_a_draft_of_the_next_iteration(staff_client, boss):
    source = BatchFactory(name="Weekly", iteration=3)
    latest = ModelVariantFactory(name="Latest")
    data = form_data(name="Weekly (iteration 4)", variant_a=latest, variant_b=latest)
    response = staff_client.post(f"/manage/batches/{source.pk}/clone/", data)
    clone = Batch.objects.get(name="Weekly (iteration 4)")
    assert response.status_code == 302
    assert response["Location"] == f"/manage/batches/{clone.pk}/edit/"
    assert (clone.iteration, clone.cloned_from, clone.status) == (4, source, "draft")
    assert clone.sampling_a.variant == latest
    source.refresh_from_db()
    assert source.status == Batch.Status.OPEN
    event = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_CLONED)
    assert (event.actor, event.details["cloned_from"]) == (boss, source.pk)


def test_it_keeps_the_clone_form_on_a_bad_submit(staff_client):
    source = BatchFactory(name="Weekly")
    data = form_data(name="Weekly (iteration 2)", **{"sampling_a-top_p": "2"})
    response = staff_client.post(f"/manage/batches/{source.pk}/clone/", data)
    assert response.status_code == 400
    assert 'value="Weekly (iteration 2)"' in response.content.decode()
    assert Batch.objects.count() == 1


def test_it_escapes_hostile_names_and_sanitises_hostile_guidelines(staff_client):
    guidelines = f"# Rules\n\n{HOSTILE}\n\n[click](javascript:alert(1))"
    response = staff_client.post(
        "/manage/batches/new/", form_data(name=HOSTILE, guidelines=guidelines)
    )
    assert response.status_code == 302
    batch = Batch.objects.get(name=HOSTILE)
    for url in ("/manage/batches/", f"/manage/batches/{batch.pk}/edit/"):
        html = staff_client.get(url).content.decode()
        assert "<script>" not in html
        assert "<img src=x" not in html
        assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
        assert "&lt;script&gt;" in html
    preview = staff_client.get(f"/manage/batches/{batch.pk}/edit/").content.decode()
    section = preview.split('id="guidelines-preview">', 1)[1].split("</div>", 1)[0]
    assert "<h1>Rules</h1>" in section
    assert "javascript:" not in section
    assert "<script" not in section and "<img" not in section


def test_it_says_where_to_add_a_variant_when_none_exists(staff_client):
    page = staff_client.get("/manage/batches/new/")
    assert page.status_code == 200
    assert "No model variant exists yet" in page.content.decode()


def test_the_quality_control_settings_are_on_the_form_and_saved(staff_client, batch):
    page = staff_client.get(f"/manage/batches/{batch.pk}/edit/").content.decode()
    assert "<legend>Quality control</legend>" in page
    assert 'name="gold_rate"' in page and "never twice to one person" in page
    data = form_data(
        name=batch.name,
        gold_rate="0.1",
        gold_min_count="8",
        gold_min_accuracy="0.75",
        gold_pause="on",
        qualification_required="on",
        qualification_pass_share="0.9",
        min_seconds_per_judgment="4",
    )
    assert staff_client.post(f"/manage/batches/{batch.pk}/edit/", data).status_code == 302
    batch.refresh_from_db()
    assert (batch.gold_rate, batch.gold_min_count, batch.gold_min_accuracy) == (0.1, 8, 0.75)
    assert batch.gold_pause and batch.qualification_required
    assert (batch.qualification_pass_share, batch.min_seconds_per_judgment) == (0.9, 4)
    changed = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_UPDATED).details["changed"]
    assert changed["gold_rate"] == [0.0, 0.1]


def test_a_gold_rate_over_half_is_a_form_error(staff_client, batch):
    answer = staff_client.post(
        f"/manage/batches/{batch.pk}/edit/", form_data(name=batch.name, gold_rate="0.8")
    )
    assert answer.status_code == 400
    assert "Ensure this value is less than or equal to 0.5" in answer.content.decode()
    batch.refresh_from_db()
    assert batch.gold_rate == 0.0
