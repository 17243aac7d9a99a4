from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.batches.models import Batch
from apps.dialogues import services
from apps.dialogues.models import Dialogue
from apps.dialogues.services import dialogue_start
from apps.pairs.models import Pair
from apps.preferences.models import Comparison
from tests.factories import samples_finish

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


@pytest.fixture
def client_ann(client, annotator):
    client.force_login(annotator)
    return client


def test_it_sends_anonymous_users_to_the_login_page(client, batch):
    response = client.get(reverse("dialogues:batch", args=[batch.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_batch_guidelines_sanitised(client_ann, batch):
    batch.guidelines = "**Be kind** <script>alert(1)</script> [x](javascript:alert(1))"
    batch.save()
    html = client_ann.get(reverse("dialogues:batch", args=[batch.pk])).content.decode()
    assert "<strong>Be kind</strong>" in html
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html


def test_it_starts_a_dialogue_and_redirects_to_it(client_ann, batch):
    response = client_ann.post(reverse("dialogues:start", args=[batch.pk]), {"text": "Hello"})
    dialogue = Dialogue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dialogues:detail", args=[dialogue.pk])
    page = client_ann.get(response["Location"]).content.decode()
    assert 'id="pair-progress"' in page
    assert '<span id="pair-status-text">Queued: waiting for a worker.</span>' in page


def test_it_keeps_the_text_and_explains_when_the_prompt_is_too_long(client_ann, batch):
    response = client_ann.post(reverse("dialogues:start", args=[batch.pk]), {"text": "y" * 9000})
    assert response.status_code == 400
    assert "at most 8000 characters" in response.content.decode()
    assert Dialogue.objects.count() == 0


def test_it_escapes_model_output_and_prompts_on_the_annotation_page(client_ann, batch, annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text=HOSTILE)
    samples_finish(pair, texts=(HOSTILE, "</div><script>x()</script>"))
    html = client_ann.get(reverse("dialogues:detail", args=[pair.dialogue_id])).content.decode()
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<script>x()</script>" not in html


def test_the_status_endpoint_shows_sides_in_screen_order_without_variant_names(
    client_ann, batch, annotator
):
    pair = samples_finish(
        services.dialogue_start(batch=batch, annotator=annotator, text="Hi"),
        texts=("from a", "from b"),
    )
    data = client_ann.get(reverse("dialogues:pair-status", args=[pair.pk])).json()
    expected_left = "from a" if pair.left_slot == "a" else "from b"
    assert data["state"] == "ready"
    assert data["left"]["text"] == expected_left
    assert "variant" not in str(data).lower() and "SmolLM" not in str(data)


def test_it_hides_another_annotators_dialogue_and_pair(client, batch, annotator, other_annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="mine")
    client.force_login(other_annotator)
    assert client.get(reverse("dialogues:detail", args=[pair.dialogue_id])).status_code == 404
    assert client.get(reverse("dialogues:pair-status", args=[pair.pk])).status_code == 404
    judge = client.post(
        reverse("dialogues:judge", args=[pair.pk]), {"chosen_side": "left", "strength": "better"}
    )
    assert judge.status_code == 404


def test_a_judgment_is_stored_and_the_next_turn_form_appears(client_ann, batch, annotator):
    pair = samples_finish(services.dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    response = client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]),
        {"chosen_side": "left", "strength": "significantly_better", "time_spent_ms": "2500"},
    )
    assert response.status_code == 302
    comparison = Comparison.objects.get()
    assert comparison.left_id == comparison.chosen_id
    assert comparison.time_spent_ms == 2500
    page = client_ann.get(response["Location"]).content.decode()
    assert 'id="continue-form"' in page


def test_an_unsafe_over_safe_judgment_is_refused_with_the_choices_kept(
    client_ann, safety_batch, annotator
):
    pair = samples_finish(
        services.dialogue_start(batch=safety_batch, annotator=annotator, text="Hi")
    )
    response = client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]),
        {
            "chosen_side": "left",
            "strength": "better",
            "left_is_safe": "unsafe",
            "right_is_safe": "safe",
            "time_spent_ms": "100",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "A safe response must be preferred over an unsafe one" in html
    assert 'value="left" required checked' in html
    assert Comparison.objects.count() == 0


def test_the_next_turn_is_refused_beyond_the_turn_limit(client_ann, annotator):
    from tests.factories import BatchFactory

    batch = BatchFactory(max_turns=1)
    pair = samples_finish(services.dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]), {"chosen_side": "right", "strength": "better"}
    )
    page = client_ann.get(reverse("dialogues:detail", args=[pair.dialogue_id])).content.decode()
    assert 'id="continue-form"' not in page
    assert 'id="new-prompt"' in page
    response = client_ann.post(
        reverse("dialogues:continue", args=[pair.dialogue_id]), {"text": "more"}
    )
    assert response.status_code == 400


MARKDOWN = "Here:\n\n```\nprint(1)\n```\n\n- first\n- second\n\n[x](javascript:alert(1))"


def test_responses_show_as_sanitised_markdown_each_with_its_own_direction(
    client_ann, batch, annotator
):
    pair = samples_finish(
        services.dialogue_start(batch=batch, annotator=annotator, text="مرحبا"),
        texts=(MARKDOWN, "plain"),
    )
    html = client_ann.get(reverse("dialogues:detail", args=[pair.dialogue_id])).content.decode()
    assert "<pre><code>print(1)\n</code></pre>" in html
    assert "<li>first</li>" in html
    assert "javascript:" not in html
    assert html.count('dir="auto"') >= 3  # the prompt and both responses


def test_an_earlier_chosen_response_shows_as_markdown_in_the_transcript(
    client_ann, batch, annotator
):
    pair = samples_finish(
        services.dialogue_start(batch=batch, annotator=annotator, text="Hi"),
        texts=(MARKDOWN, MARKDOWN),
    )
    client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]), {"chosen_side": "left", "strength": "better"}
    )
    html = client_ann.get(reverse("dialogues:detail", args=[pair.dialogue_id])).content.decode()
    assert '<div class="text markdown" dir="auto"><p>Here:</p>\n<pre><code>print(1)' in html


def test_the_status_endpoint_carries_the_sanitised_html_and_the_finish_reason(
    client_ann, batch, annotator
):
    pair = samples_finish(
        services.dialogue_start(batch=batch, annotator=annotator, text="Hi"),
        texts=("*a* <script>x()</script>", "*a* <script>x()</script>"),
    )
    pair.samples.update(finish_reason="length")
    data = client_ann.get(reverse("dialogues:pair-status", args=[pair.pk])).json()
    for side in ("left", "right"):
        assert data[side]["html"] == "<p><em>a</em> &lt;script&gt;x()&lt;/script&gt;</p>"
        assert data[side]["finish_reason"] == "length"


def test_a_response_cut_at_the_token_limit_says_so_under_it(client_ann, batch, annotator):
    pair = samples_finish(services.dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    pair.samples.filter(slot=pair.left_slot).update(finish_reason="length")
    pair.samples.exclude(slot=pair.left_slot).update(finish_reason="stop")
    html = client_ann.get(reverse("dialogues:detail", args=[pair.dialogue_id])).content.decode()
    assert '<p class="cut-note" id="left-cut">Cut off at the token limit.</p>' in html
    assert '<p class="cut-note" id="right-cut" hidden>Cut off' in html


def _closed_with_pair_ready_minutes_ago(batch, pair, minutes: float) -> None:
    Pair.objects.filter(pk=pair.pk).update(ready_at=timezone.now() - timedelta(minutes=minutes))
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CLOSED)


def test_a_closed_batch_page_says_until_when_the_pair_can_be_judged(client_ann, batch, annotator):
    pair = samples_finish(services.dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    _closed_with_pair_ready_minutes_ago(batch, pair, 1)
    url = reverse("dialogues:detail", args=[pair.dialogue_id])
    html = client_ann.get(url).content.decode()
    ready_at = Pair.objects.get(pk=pair.pk).ready_at
    until = timezone.localtime(ready_at + timedelta(minutes=batch.lease_minutes))
    assert f"This batch is closed: you can still judge this pair until {until:%H:%M}" in html
    judged = client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]), {"chosen_side": "left", "strength": "better"}
    )
    assert judged.status_code == 302 and Comparison.objects.count() == 1
    html = client_ann.get(url).content.decode()
    assert 'id="continue-form"' not in html  # closing hands out no new turn
    assert "This batch is closed: no new prompts or turns." in html


def test_a_closed_batch_page_refuses_a_judgment_after_the_lease_length(
    client_ann, batch, annotator
):
    pair = samples_finish(services.dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    _closed_with_pair_ready_minutes_ago(batch, pair, batch.lease_minutes + 1)
    response = client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]), {"chosen_side": "left", "strength": "better"}
    )
    assert response.status_code == 400
    assert "This batch is closed and the time to judge this pair ran out" in (
        response.content.decode()
    )
    assert not Comparison.objects.exists()


def test_it_confirms_a_saved_judgment_on_the_dialogue_page(client_ann, batch, annotator):
    pair = samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    response = client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]),
        {"chosen_side": "left", "strength": "better", "time_spent_ms": "900"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("dialogues:detail", args=[pair.dialogue_id]), 302)]
    assert '<div class="flash flash-success">Judgment saved.</div>' in response.content.decode()


def test_it_says_nothing_is_saved_when_the_judgment_is_refused(client_ann, batch, annotator):
    pair = samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    data = {"chosen_side": "left", "strength": "better", "time_spent_ms": "900"}
    client_ann.post(reverse("dialogues:judge", args=[pair.pk]), data, follow=True)
    again = client_ann.post(reverse("dialogues:judge", args=[pair.pk]), data)
    assert again.status_code == 400
    assert "Judgment saved." not in again.content.decode()
