import pytest
from django.core.exceptions import ValidationError

from apps.assignments import services as queue
from apps.core.text import text_checked
from apps.dialogues.models import Dialogue
from apps.dialogues.services import dialogue_start
from tests.factories import BatchFactory, pool_pair_ready


@pytest.mark.parametrize("bad", ["nul\x00byte", "lone \ud800 surrogate"])
def test_unstorable_text_is_a_field_error(bad):
    with pytest.raises(ValidationError) as error:
        text_checked(bad, field="text", max_chars=100)
    assert "NUL" in error.value.message_dict["text"][0]


def test_text_is_stripped_and_bounded():
    assert text_checked("  héllo 🌍 ", field="t", max_chars=10) == "héllo 🌍"
    with pytest.raises(ValidationError, match="under 3 characters"):
        text_checked("four", field="t", max_chars=3)
    assert text_checked(None, field="t", max_chars=3, required=False) == ""


@pytest.mark.django_db
def test_services_refuse_nul_bytes_instead_of_failing_in_the_database(annotator):
    batch = BatchFactory()
    with pytest.raises(ValidationError):
        dialogue_start(batch=batch, annotator=annotator, text="Hi\x00there")
    assert not Dialogue.objects.exists()
    pool_pair_ready(batch)
    lease = queue.lease_claim(batch=batch, annotator=annotator)
    with pytest.raises(ValidationError):
        queue.lease_skip(lease_id=lease.pk, annotator=annotator, reason="bad\x00reason")
    with pytest.raises(ValidationError):
        queue.lease_flag(lease_id=lease.pk, annotator=annotator, reason="broken", note="\x00")
    lease.refresh_from_db()
    assert lease.status == "open"
