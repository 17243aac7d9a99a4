from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.dialogues import services
from apps.fleet.services import heartbeat_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True))
    return client


def test_it_is_for_staff_only(client, annotator):
    client.force_login(annotator)
    response = client.get(reverse("fleet:status"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_tells_alive_from_silent_and_stopped_workers(staff_client):
    kwargs = {"hostname": "h", "queues": "generation", "device": "cpu", "samples_done": 3}
    heartbeat_record(name="h:1", pid=1, variants=["SmolLM2-135M-Instruct"], **kwargs)
    silent = heartbeat_record(name="h:2", pid=2, variants=[], **kwargs)
    silent.__class__.objects.filter(pk=silent.pk).update(
        last_seen=timezone.now() - timedelta(minutes=5)
    )
    heartbeat_record(name="h:3", pid=3, variants=[], stopped=True, **kwargs)

    html = staff_client.get(reverse("fleet:status")).content.decode()

    assert html.count('class="state-alive"') == 1
    assert html.count('class="state-silent"') == 1
    assert html.count('class="state-stopped"') == 1
    assert "SmolLM2-135M-Instruct" in html


def test_it_shows_the_backlog_and_recent_errors_escaped(staff_client, batch, annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")
    pair.samples.filter(slot="a").update(
        status="failed", error="<script>alert(1)</script> boom", finished_at=timezone.now()
    )
    html = staff_client.get(reverse("fleet:status")).content.decode()
    assert '<div class="stat-value" id="pending">1</div>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; boom" in html
    assert "no worker has reported" in html
    assert 'id="queue-depth">broker down' not in html


def test_it_shows_each_model_servers_health_and_latency_escaped(staff_client):
    from apps.fleet.services import endpoint_health_record
    from tests.factories import ModelVariantFactory

    for name, url in [("up", "http://gpu-1:8000/v1"), ("down", "http://gpu-2:8000/v1")]:
        ModelVariantFactory(
            name=name, backend="openai", source_kind="served_model", source="m", base_url=url
        )
    endpoint_health_record(base_url="http://gpu-1:8000/v1", variants=["up"], ok=True, latency_ms=12)
    endpoint_health_record(
        base_url="http://gpu-2:8000/v1",
        variants=["down"],
        ok=False,
        latency_ms=3001,
        error="<b>ConnectError</b>",
    )

    html = staff_client.get(reverse("fleet:status")).content.decode()

    assert "Model servers" in html
    assert "12 ms" in html and "3001 ms" in html
    assert html.count(">up</span>") == 1 and html.count(">down</span>") == 1
    assert "&lt;b&gt;ConnectError&lt;/b&gt;" in html
