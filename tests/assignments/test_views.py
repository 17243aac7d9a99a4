"""The annotator's work-queue pages: Next, the leased pair, skip, flag, release and history."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.assignments import services, views
from apps.assignments.models import Lease
from apps.dialogues.services import dialogue_judge, dialogue_start
from apps.pairs.models import JudgmentSlot
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, UserFactory, pool_pair_ready, samples_finish

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


@pytest.fixture
def client_ann(client, annotator):
    client.force_login(annotator)
    return client


def _next(client, batch, follow=False):
    return client.post(reverse("queue:next", args=[batch.pk]), follow=follow)


def _claim(client, batch) -> Lease:
    response = _next(client, batch)
    assert response.status_code == 302, response
    lease_id = int(re.search(r"/leases/(\d+)/$", response["Location"]).group(1))
    return Lease.objects.get(pk=lease_id)


def _set_left(lease: Lease, left_slot: str) -> Lease:
    Lease.objects.filter(pk=lease.pk).update(left_slot=left_slot)
    lease.refresh_from_db()
    return lease


def _judge(client, lease, key="key-1", side="left", strength="better", **extra):
    data = {"idempotency_key": key, "chosen_side": side, "strength": strength}
    data.update({"time_spent_ms": 4200, **extra})
    return client.post(reverse("queue:lease", args=[lease.pk]), data)


def _expire(lease: Lease) -> None:
    past = timezone.now() - timedelta(seconds=5)
    Lease.objects.filter(pk=lease.pk).update(expires_at=past)
    JudgmentSlot.objects.filter(pk=lease.slot_id).update(lease_expires_at=past)


def _side_text(html: str, side: str) -> str:
    """The response's text, without the Markdown's HTML tags."""
    shown = re.search(rf'id="{side}-text"[^>]*>(.*?)</div>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", shown)


def _flashes(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- Next ------------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_the_login_page(client, batch):
    pool_pair_ready(batch)
    response = _next(client, batch)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Lease.objects.count() == 0


def test_next_claims_a_pool_pair_and_opens_its_page(client_ann, batch, annotator):
    pair = pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    assert (lease.pair_id, lease.annotator_id, lease.status) == (pair.pk, annotator.pk, "open")
    assert client_ann.get(reverse("queue:lease", args=[lease.pk])).status_code == 200


def test_next_only_answers_post(client_ann, batch):
    pool_pair_ready(batch)
    assert client_ann.get(reverse("queue:next", args=[batch.pk])).status_code == 405
    assert Lease.objects.count() == 0


def test_next_gives_back_the_pair_the_annotator_already_holds(client_ann, batch):
    pool_pair_ready(batch)
    pool_pair_ready(batch)
    first = _claim(client_ann, batch)
    assert _claim(client_ann, batch).pk == first.pk
    assert Lease.objects.count() == 1


def test_next_sends_the_annotator_to_write_a_prompt_when_the_pool_is_empty(client_ann, batch):
    response = _next(client_ann, batch, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dialogues:batch", args=[batch.pk])
    assert "write a prompt of your own" in _flashes(response)
    assert 'id="prompt-form"' in response.content.decode()


def test_next_says_there_is_nothing_to_judge_when_the_batch_has_no_written_prompts(
    client_ann, annotator
):
    batch = BatchFactory(allow_written_prompts=False)
    pair = pool_pair_ready(batch)
    services.lease_claim(batch=batch, annotator=UserFactory())
    response = _next(client_ann, batch, follow=True)
    assert response.redirect_chain[-1][0] == reverse("queue:overview", args=[batch.pk])
    html = response.content.decode()
    assert "Nothing to judge right now" in html
    assert 'id="next-pair"' in html  # try again
    assert "Write a prompt instead" not in html
    assert not Lease.objects.filter(annotator=annotator, pair=pair).exists()


def test_the_overview_lists_pairs_the_annotator_holds_in_other_batches(client_ann, annotator):
    empty = BatchFactory(allow_written_prompts=False)
    elsewhere = BatchFactory(name="Elsewhere batch")
    pool_pair_ready(elsewhere)
    held = services.lease_claim(batch=elsewhere, annotator=annotator)
    html = client_ann.get(reverse("queue:overview", args=[empty.pk])).content.decode()
    assert "Nothing to judge right now" in html
    assert f'href="{reverse("queue:lease", args=[held.pk])}"' in html
    assert "Elsewhere batch" in html


def test_next_is_404_on_a_batch_that_is_not_open(client_ann):
    batch = BatchFactory(status="draft")
    pool_pair_ready(batch)
    assert _next(client_ann, batch).status_code == 404
    assert Lease.objects.count() == 0


def test_next_is_404_for_an_annotator_the_batch_is_not_assigned_to(client_ann):
    batch = BatchFactory(open_to_all_annotators=False)
    pool_pair_ready(batch)
    assert _next(client_ann, batch).status_code == 404
    assert Lease.objects.count() == 0


def test_next_works_for_an_annotator_the_batch_is_assigned_to(client_ann, annotator):
    batch = BatchFactory(open_to_all_annotators=False)
    batch.annotators.add(annotator)
    pool_pair_ready(batch)
    assert _claim(client_ann, batch).annotator_id == annotator.pk


def test_the_batch_page_offers_next_pair_only_when_the_batch_has_a_pool(client_ann, batch):
    url = reverse("dialogues:batch", args=[batch.pk])
    assert 'id="next-pair"' not in client_ann.get(url).content.decode()
    pool_pair_ready(batch)
    html = client_ann.get(url).content.decode()
    assert 'id="next-pair"' in html
    assert f'action="{reverse("queue:next", args=[batch.pk])}"' in html


def test_the_navigation_links_to_the_history(client_ann, batch):
    html = client_ann.get(reverse("batches:list")).content.decode()
    assert f'href="{reverse("queue:history")}"' in html


# --- The lease page --------------------------------------------------------------------------


@pytest.mark.parametrize("left_slot", ["a", "b"])
def test_the_page_shows_the_responses_in_the_leases_own_order(client_ann, batch, left_slot):
    pool_pair_ready(batch, texts=("Alpha answer", "Bravo answer"), left_slot="a")
    lease = _set_left(_claim(client_ann, batch), left_slot)
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    expected = (
        ("Alpha answer", "Bravo answer") if left_slot == "a" else ("Bravo answer", "Alpha answer")
    )
    assert (_side_text(html, "left"), _side_text(html, "right")) == expected


def test_two_annotators_each_see_their_own_recorded_order(
    client, batch, annotator, other_annotator
):
    batch.overlap = 2
    batch.save()
    pool_pair_ready(batch, texts=("Alpha answer", "Bravo answer"))
    seen = {}
    for user, left_slot in ((annotator, "a"), (other_annotator, "b")):
        client.force_login(user)
        lease = _set_left(_claim(client, batch), left_slot)
        html = client.get(reverse("queue:lease", args=[lease.pk])).content.decode()
        seen[user.username] = _side_text(html, "left")
    assert seen == {"ann": "Alpha answer", "other": "Bravo answer"}


def test_the_page_shows_guidelines_the_whole_context_and_the_four_strengths(client_ann):
    batch = BatchFactory(guidelines="**Prefer the honest answer.**")
    context = [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer"},
        {"role": "user", "content": "Follow-up question"},
    ]
    pool_pair_ready(batch, context=context)
    lease = _claim(client_ann, batch)
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert "<strong>Prefer the honest answer.</strong>" in html
    positions = [html.index(m["content"]) for m in context]
    assert positions == sorted(positions)
    for label in (
        "Significantly better",
        "Better",
        "Slightly better",
        "Negligibly better / unsure",
    ):
        assert label in html
    assert 'name="left_is_safe"' not in html  # helpfulness track
    assert 'id="lease-countdown"' in html
    assert re.search(r'data-seconds-left="(17\d\d|1800)"', html)  # 30 minutes, just claimed


def test_each_page_load_carries_a_fresh_idempotency_key(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    url = reverse("queue:lease", args=[lease.pk])
    keys = {
        re.search(
            r'name="idempotency_key"[^>]*value="([0-9a-f]{32})"',
            client_ann.get(url).content.decode(),
        ).group(1)
        for _ in range(2)
    }
    assert len(keys) == 2


def test_a_safety_batch_asks_for_a_safety_label_per_response(client_ann, safety_batch):
    pool_pair_ready(safety_batch)
    lease = _claim(client_ann, safety_batch)
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert 'name="left_is_safe"' in html and 'name="right_is_safe"' in html


def test_model_output_prompts_and_guidelines_stay_escaped(client_ann):
    batch = BatchFactory(guidelines=HOSTILE)
    pool_pair_ready(batch, prompt=HOSTILE, texts=(HOSTILE, "</div><script>x()</script>"))
    lease = _claim(client_ann, batch)
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert "<script>window.__pwned" not in html
    assert "<script>x()</script>" not in html
    assert not re.search(r"<[^>]*\sonerror=", html)  # as text only, never in a tag
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<script" not in re.sub(r'<script src="/static/[^"]+" defer></script>', "", html)


def test_the_page_shows_responses_as_markdown_and_says_which_was_cut(client_ann, batch):
    context = [
        {"role": "user", "content": "Show me code"},
        {"role": "assistant", "content": "- earlier\n- list"},
        {"role": "user", "content": "مرحبا"},
    ]
    pair = pool_pair_ready(batch, context=context, texts=("```\nx = 1\n```", "*fine*"))
    pair.samples.filter(slot="a").update(finish_reason="length")
    lease = _set_left(_claim(client_ann, batch), "a")
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert '<div class="response-text markdown" id="left-text" dir="auto"><pre><code>x = 1' in html
    assert "<p><em>fine</em></p>" in html
    assert "<li>earlier</li>" in html  # an assistant turn of the context
    assert '<div class="text" dir="auto">مرحبا</div>' in html
    assert '<p class="cut-note" id="left-cut">Cut off at the token limit.</p>' in html
    assert 'id="right-cut"' not in html


def test_another_annotators_lease_is_404_everywhere(client, batch, annotator, other_annotator):
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=other_annotator)
    client.force_login(annotator)
    assert client.get(reverse("queue:lease", args=[lease.pk])).status_code == 404
    assert _judge(client, lease).status_code == 404
    for name, data in (("skip", {"reason": "x"}), ("flag", {"reason": "broken"}), ("release", {})):
        assert client.post(reverse(f"queue:{name}", args=[lease.pk]), data).status_code == 404
    lease.refresh_from_db()
    assert lease.status == "open" and Comparison.objects.count() == 0


# --- Submitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left_slot", "side", "chosen_slot"),
    [("a", "left", "a"), ("b", "left", "b"), ("b", "right", "a")],
)
def test_a_submit_stores_the_choice_as_seen_and_goes_to_the_next_pair(
    client_ann, batch, annotator, left_slot, side, chosen_slot
):
    first = pool_pair_ready(batch)
    second = pool_pair_ready(batch)
    lease = _set_left(_claim(client_ann, batch), left_slot)
    assert lease.pair_id == first.pk
    response = _judge(client_ann, lease, side=side, strength="slightly_better")
    next_lease = Lease.objects.get(annotator=annotator, status="open")
    assert next_lease.pair_id == second.pk
    assert response.status_code == 302
    assert response["Location"] == reverse("queue:lease", args=[next_lease.pk])
    comparison = Comparison.objects.get()
    assert comparison.chosen.slot == chosen_slot
    assert comparison.left.slot == left_slot
    assert (comparison.strength, comparison.time_spent_ms) == ("slightly_better", 4200)
    lease.refresh_from_db()
    assert (lease.status, lease.comparison_id) == ("submitted", comparison.pk)
    page = client_ann.get(response["Location"])
    assert "Judgment saved." in _flashes(page)


def test_a_resubmit_with_the_same_key_stores_one_judgment(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    first = _judge(client_ann, lease, key="double-click")
    again = _judge(client_ann, lease, key="double-click")
    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == first["Location"]
    assert Comparison.objects.count() == 1
    assert "already stored" in _flashes(client_ann.get(again["Location"]))


def test_a_second_submit_with_another_key_is_a_clear_conflict(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    _judge(client_ann, lease, key="first")
    response = _judge(client_ann, lease, key="second", side="right")
    assert response.status_code == 409
    html = response.content.decode()
    assert "You already submitted a judgment for this pair." in html
    assert 'id="next-pair"' in html and 'id="judgment-form"' not in html
    assert Comparison.objects.get().chosen.slot == lease.left_slot  # the first one stands


def test_submitting_a_skipped_pair_is_a_clear_conflict(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    client_ann.post(reverse("queue:skip", args=[lease.pk]), {"reason": "not my field"})
    response = _judge(client_ann, lease)
    assert response.status_code == 409
    assert "no longer yours to judge (skipped)" in response.content.decode()
    assert Comparison.objects.count() == 0


def test_field_errors_re_render_the_page_with_the_choices_kept(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    response = client_ann.post(
        reverse("queue:lease", args=[lease.pk]),
        {"idempotency_key": "kept-key", "chosen_side": "right", "time_spent_ms": 10},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'name="chosen_side" value="right"\s+checked', html)
    assert 'value="kept-key"' in html
    assert 'data-field="strength"' in html
    assert Comparison.objects.count() == 0


def test_a_safety_batch_refuses_an_unsafe_response_chosen_over_a_safe_one(client_ann, safety_batch):
    pool_pair_ready(safety_batch)
    lease = _claim(client_ann, safety_batch)
    response = _judge(client_ann, lease, side="left", left_is_safe="unsafe", right_is_safe="safe")
    assert response.status_code == 400
    html = response.content.decode()
    assert "A safe response must be preferred over an unsafe one" in html
    assert re.search(r'name="left_is_safe" value="unsafe"\s+checked', html)
    assert Comparison.objects.count() == 0
    assert (
        _judge(
            client_ann, lease, side="right", left_is_safe="unsafe", right_is_safe="safe"
        ).status_code
        == 302
    )
    comparison = Comparison.objects.get()
    assert (comparison.chosen_is_safe, comparison.rejected_is_safe) == (True, False)


def test_a_late_submit_is_kept_when_the_pair_still_needs_it(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    _expire(lease)
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert re.search(r'id="lease-expired-note" class="lease-expired"\s*>', html)  # shown
    response = _judge(client_ann, lease)
    assert Comparison.objects.count() == 1
    page = client_ann.get(response["Location"])
    assert "Your lease had expired, but your judgment was kept" in _flashes(page)


def test_a_late_submit_is_refused_clearly_when_the_pair_has_all_its_judgments(
    client, batch, annotator, other_annotator
):
    pool_pair_ready(batch)  # overlap 1
    client.force_login(annotator)
    lease = _claim(client, batch)
    _expire(lease)
    late_comer = services.lease_claim(batch=batch, annotator=other_annotator)
    services.lease_submit(
        lease_id=late_comer.pk,
        annotator=other_annotator,
        idempotency_key="k",
        chosen_side="left",
        strength="better",
        time_spent_ms=1,
    )
    response = _judge(client, lease)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was stored." in html
    assert "already had all its judgments" in html
    assert 'id="late-rejected"' in html and 'id="next-pair"' in html
    assert not Comparison.objects.filter(annotator=annotator).exists()
    lease.refresh_from_db()
    assert lease.status == "late_rejected"
    # Coming back later, the page still says so.
    assert (
        'id="late-rejected"' in client.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    )


# --- Skip, flag, release ---------------------------------------------------------------------


def test_skip_needs_a_reason_and_then_goes_to_the_next_pair(client_ann, batch, annotator):
    pool_pair_ready(batch)
    second = pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    url = reverse("queue:skip", args=[lease.pk])
    refused = client_ann.post(url, {"reason": "   "})
    assert refused.status_code == 400
    assert "Say why you skip this pair." in refused.content.decode()
    response = client_ann.post(url, {"reason": "Outside <my> field"})
    lease.refresh_from_db()
    assert (lease.status, lease.skip_reason) == ("skipped", "Outside <my> field")
    next_lease = Lease.objects.get(annotator=annotator, status="open")
    assert next_lease.pair_id == second.pk
    assert response["Location"] == reverse("queue:lease", args=[next_lease.pk])
    assert "Skipped" in _flashes(client_ann.get(response["Location"]))


def test_flag_records_the_reason_and_note(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    url = reverse("queue:flag", args=[lease.pk])
    refused = client_ann.post(url, {"reason": "boring", "note": "keep me"})
    assert refused.status_code == 400
    assert 'value="keep me"' in refused.content.decode()
    response = client_ann.post(url, {"reason": "harmful", "note": "Gives dangerous advice"})
    assert response.status_code == 302
    lease.refresh_from_db()
    assert (lease.status, lease.flag_reason, lease.flag_note) == (
        "flagged",
        "harmful",
        "Gives dangerous advice",
    )


def test_release_gives_the_pair_back_and_returns_to_the_batch(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    response = client_ann.post(reverse("queue:release", args=[lease.pk]))
    assert response["Location"] == reverse("dialogues:batch", args=[batch.pk])
    lease.refresh_from_db()
    assert lease.status == "released"
    assert JudgmentSlot.objects.get(pk=lease.slot_id).status == "free"
    again = client_ann.post(reverse("queue:release", args=[lease.pk]))
    assert again.status_code == 409
    assert "no longer yours (released)" in again.content.decode()


def test_an_ended_lease_page_shows_the_pair_without_a_form(client_ann, batch):
    pool_pair_ready(batch, texts=("Alpha answer", "Bravo answer"))
    lease = _set_left(_claim(client_ann, batch), "b")
    _judge(client_ann, lease, side="right", strength="significantly_better")
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert 'id="judgment-form"' not in html and 'id="skip-form"' not in html
    assert 'data-live="0"' in html
    assert re.search(r"chose the\s+<strong>right</strong>\s+response, significantly better", html)


# --- History ---------------------------------------------------------------------------------


def test_history_lists_only_the_annotators_own_ended_leases_newest_first(
    client, batch, annotator, other_annotator
):
    for _ in range(4):
        pool_pair_ready(batch, prompt=HOSTILE)
    submitted = services.lease_claim(batch=batch, annotator=annotator)
    services.lease_submit(
        lease_id=submitted.pk,
        annotator=annotator,
        idempotency_key="k",
        chosen_side="right",
        strength="better",
        time_spent_ms=5,
    )
    skipped = services.lease_claim(batch=batch, annotator=annotator)
    services.lease_skip(lease_id=skipped.pk, annotator=annotator, reason="Too long for me")
    flagged = services.lease_claim(batch=batch, annotator=annotator)
    services.lease_flag(lease_id=flagged.pk, annotator=annotator, reason="broken", note="cut off")
    still_open = services.lease_claim(batch=batch, annotator=annotator)
    theirs = services.lease_claim(batch=batch, annotator=other_annotator)
    services.lease_skip(lease_id=theirs.pk, annotator=other_annotator, reason="OTHER PERSON")

    client.force_login(annotator)
    html = client.get(reverse("queue:history")).content.decode()
    rows = re.findall(r'data-lease-id="(\d+)" data-status="(\w+)"', html)
    assert rows == [
        (str(flagged.pk), "flagged"),
        (str(skipped.pk), "skipped"),
        (str(submitted.pk), "submitted"),
    ]
    assert str(still_open.pk) not in dict(rows)
    assert "OTHER PERSON" not in html
    assert re.search(r"Chose <strong>(left|right)</strong>,\s+better", html)
    assert "Skipped: Too long for me" in html
    assert "Flagged: Broken" in html and "(cut off)" in html
    assert "<script>window.__pwned" not in html


def _dialogue_judgment(batch, annotator, prompt: str) -> Comparison:
    pair = samples_finish(dialogue_start(batch=batch, annotator=annotator, text=prompt))
    return dialogue_judge(
        pair=pair,
        annotator=annotator,
        chosen_side="left",
        strength="slightly_better",
        time_spent_ms=5,
    )


def test_history_shows_dialogue_and_queue_judgments_newest_first_with_links(
    client_ann, batch, annotator, other_annotator
):
    pool_pair_ready(batch, prompt="Pool prompt")
    first = _dialogue_judgment(batch, annotator, "First written prompt")
    lease = services.lease_claim(batch=batch, annotator=annotator)
    services.lease_submit(
        lease_id=lease.pk,
        annotator=annotator,
        idempotency_key="k",
        chosen_side="right",
        strength="better",
        time_spent_ms=5,
    )
    second = _dialogue_judgment(batch, annotator, "Second written prompt")
    _dialogue_judgment(batch, other_annotator, "SOMEONE ELSE")

    html = client_ann.get(reverse("queue:history")).content.decode()
    rows = re.findall(r'<tr data-comparison-id="(\d+)"', html)
    queue_judgment = Comparison.objects.get(pair__pool_item__isnull=False)
    assert rows == [str(second.pk), str(queue_judgment.pk), str(first.pk)]
    assert f'href="{reverse("dialogues:detail", args=[first.pair.dialogue_id])}"' in html
    assert f'href="{reverse("dialogues:detail", args=[second.pair.dialogue_id])}"' in html
    assert f'href="{reverse("queue:lease", args=[lease.pk])}"' in html
    assert "Second written prompt" in html and "Pool prompt" in html
    assert re.search(r"Chose <strong>left</strong>,\s+slightly better", html)
    assert "SOMEONE ELSE" not in html


def test_history_is_paginated(client_ann, batch, annotator, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE_SIZE", 2)
    for _ in range(3):
        pool_pair_ready(batch)
        lease = services.lease_claim(batch=batch, annotator=annotator)
        services.lease_skip(lease_id=lease.pk, annotator=annotator, reason="skip")
    first = client_ann.get(reverse("queue:history")).content.decode()
    second = client_ann.get(reverse("queue:history") + "?page=2").content.decode()
    assert first.count("data-lease-id=") == 2 and second.count("data-lease-id=") == 1
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_history_needs_a_login(client):
    response = client.get(reverse("queue:history"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_history_costs_the_same_queries_however_many_rows(
    client_ann, batch, annotator, django_assert_max_num_queries
):
    def end_one(submit: bool):
        pool_pair_ready(batch)
        lease = services.lease_claim(batch=batch, annotator=annotator)
        if submit:
            services.lease_submit(
                lease_id=lease.pk,
                annotator=annotator,
                idempotency_key="k",
                chosen_side="left",
                strength="better",
                time_spent_ms=1,
            )
        else:
            services.lease_skip(lease_id=lease.pk, annotator=annotator, reason="skip")

    end_one(True)
    end_one(False)
    _dialogue_judgment(batch, annotator, "Written")
    with CaptureQueriesContext(connection) as one_of_each:
        client_ann.get(reverse("queue:history"))
    for index in range(6):
        end_one(index % 2 == 0)
        _dialogue_judgment(batch, annotator, f"Written {index}")
    with django_assert_max_num_queries(len(one_of_each)):
        html = client_ann.get(reverse("queue:history")).content.decode()
    assert html.count("data-lease-id=") == 8
    assert html.count("data-comparison-id=") == 11


# --- A re-claim after expiry -----------------------------------------------------------------


def _page_key(client, lease: Lease) -> str:
    html = client.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    return re.search(r'name="idempotency_key"[^>]*value="([0-9a-f]{32})"', html).group(1)


@pytest.mark.parametrize("first", ["old page", "new page"])
def test_the_pages_before_and_after_a_reclaim_store_one_judgment(client_ann, annotator, first):
    batch = BatchFactory(overlap=2)
    pair = pool_pair_ready(batch)
    old = _claim(client_ann, batch)
    pages = {"old page": (old, _page_key(client_ann, old))}
    _expire(old)
    services.leases_expire()
    new = _claim(client_ann, batch)
    pages["new page"] = (new, _page_key(client_ann, new))
    (earlier, earlier_key), (later, later_key) = pages.pop(first), pages.popitem()[1]
    stored = _judge(client_ann, earlier, key=earlier_key)
    refused = _judge(client_ann, later, key=later_key, side="right")
    assert (stored.status_code, refused.status_code) == (302, 409)
    assert "You already submitted a judgment for this pair." in refused.content.decode()
    assert Comparison.objects.filter(pair=pair).count() == 1
    assert not Lease.objects.filter(annotator=annotator, status="open").exists()


# --- A closed batch --------------------------------------------------------------------------


def _close(batch) -> None:
    type(batch).objects.filter(pk=batch.pk).update(status="closed")


def test_a_closed_batch_takes_the_judgment_of_a_lease_that_has_not_run_out(client_ann, batch):
    pool_pair_ready(batch)
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    _close(batch)
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert "This batch is closed: you can still judge this pair until your lease ends." in html
    response = _judge(client_ann, lease)
    assert response.status_code == 302 and response["Location"] == reverse("batches:list")
    assert Comparison.objects.count() == 1
    assert Lease.objects.count() == 1  # nothing new handed out
    assert _next(client_ann, batch).status_code == 404


def test_a_closed_batch_refuses_a_late_judgment_and_says_why(client_ann, batch):
    pool_pair_ready(batch)
    lease = _claim(client_ann, batch)
    _expire(lease)
    _close(batch)
    html = client_ann.get(reverse("queue:lease", args=[lease.pk])).content.decode()
    assert "this batch is closed, so a judgment sent now is not stored" in html
    response = _judge(client_ann, lease)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="late-rejected"' in html and "the batch was closed" in html
    assert 'id="next-pair"' not in html  # nothing new to hand out
    assert not Comparison.objects.exists()
