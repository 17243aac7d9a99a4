import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from apps.catalog.models import ModelVariant

pytestmark = pytest.mark.django_db  # full_clean checks the name is unique


def _served(**fields) -> ModelVariant:
    values = {
        "name": "served",
        "backend": ModelVariant.Backend.OPENAI,
        "source_kind": ModelVariant.SourceKind.SERVED_MODEL,
        "source": "meta-llama/Llama-2-7b-chat-hf",
        "base_url": "http://gpu-1:8000/v1",
        **fields,
    }
    return ModelVariant(**values)


def test_it_accepts_a_served_model_with_a_key_variable_name():
    _served(api_key_env="LAB_VLLM_KEY", max_concurrency=16).full_clean()


def test_it_asks_for_the_base_url_of_a_served_model():
    with pytest.raises(ValidationError) as error:
        _served(base_url="").full_clean()
    assert "needs its base URL" in str(error.value.message_dict["base_url"])


def test_it_refuses_a_key_in_place_of_the_variable_name():
    with pytest.raises(ValidationError) as error:
        _served(api_key_env="sk-abc123 secret").full_clean()
    assert "not the key itself" in str(error.value.message_dict["api_key_env"])


def test_it_refuses_a_model_file_for_the_openai_backend():
    with pytest.raises(ValidationError) as error:
        _served(source_kind=ModelVariant.SourceKind.GGUF_FILE).full_clean()
    assert "takes a model name" in str(error.value.message_dict["source_kind"])


def test_it_refuses_a_served_model_name_for_an_in_process_backend():
    variant = _served(backend=ModelVariant.Backend.TRANSFORMERS)
    with pytest.raises(ValidationError) as error:
        variant.full_clean()
    assert "needs the OpenAI-compatible backend" in str(error.value.message_dict["source_kind"])


def test_the_database_refuses_a_served_model_without_a_base_url():
    with pytest.raises(IntegrityError, match="variant_openai_has_base_url_and_model"):
        _served(base_url="").save()


def test_the_database_refuses_zero_concurrency():
    with pytest.raises(IntegrityError, match="variant_max_concurrency_positive"):
        _served(max_concurrency=0).save()


def test_it_refuses_a_base_url_that_is_not_http():
    with pytest.raises(ValidationError) as error:
        _served(base_url="gpu-1:8000/v1").full_clean()
    assert "http:// or https://" in str(error.value.message_dict["base_url"])


def test_the_admin_form_groups_the_server_fields(client):
    from django.urls import reverse

    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:catalog_modelvariant_add")).content.decode()

    assert "OpenAI-compatible server" in html
    assert 'name="api_key_env"' in html and 'name="max_concurrency"' in html
