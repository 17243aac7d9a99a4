"""What an annotator is shown of a leased pair."""

import pytest

from apps.assignments.selectors import lease_view
from apps.assignments.services import lease_claim
from apps.pairs.models import Sample
from tests.factories import pool_pair_ready

pytestmark = pytest.mark.django_db


def test_each_response_comes_as_sanitised_markdown_with_why_it_ended(batch, annotator):
    pair = pool_pair_ready(batch, texts=("**bold** <img src=x onerror=alert(1)>", "- a\n- b"))
    Sample.objects.filter(pair=pair, slot="a").update(finish_reason="length")
    Sample.objects.filter(pair=pair, slot="b").update(finish_reason="stop")

    view = lease_view(lease=lease_claim(batch=batch, annotator=annotator))

    sides = {view["left"]["text"]: view["left"], view["right"]["text"]: view["right"]}
    cut, whole = sides["**bold** <img src=x onerror=alert(1)>"], sides["- a\n- b"]
    assert cut["html"] == "<p><strong>bold</strong> &lt;img src=x onerror=alert(1)&gt;</p>"
    assert cut["finish_reason"] == "length"
    assert whole["html"] == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert whole["finish_reason"] == "stop"
