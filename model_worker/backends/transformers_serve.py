"""A local `transformers serve` process on the bundled model, for tests and benchmarks.

`transformers serve` (transformers 5.x, `pip install '.[serving]'`) speaks the OpenAI API with
continuous batching. It cannot load the bundled GGUF file itself (its GGUF config names no
architecture), so the model is loaded once with `gguf_file=`, dequantised and saved as a plain
safetensors folder, which it then serves offline.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from .sources import resolve_gguf

SERVE_READY_TIMEOUT_S = 180
CB_NUM_BLOCKS = 256  # of 32 tokens: about 8,000 tokens of KV cache, ~380 MB for SmolLM2-135M


def served_model_folder(*, gguf_source: str, cache_dir: Path) -> Path:
    """The GGUF model saved once as a safetensors folder under cache_dir (made on first use)."""
    directory, file_name = resolve_gguf(gguf_source)
    folder = cache_dir / Path(file_name).stem
    if (folder / "config.json").is_file():
        return folder
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=file_name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=file_name)
    # The weights are dequantised in memory already; drop the GGUF marker so they can be saved.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.architectures = [type(model).__name__]
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".staging-"))
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    try:
        staging.rename(folder)  # atomic: a second process never sees half a folder
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process made it first
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TransformersServe:
    """A `transformers serve` subprocess pinned to one model folder on 127.0.0.1."""

    def __init__(self, *, model_folder: Path, log_path: Path, port: int | None = None) -> None:
        self.model_folder = model_folder
        self.model = str(model_folder)  # the model name its API answers to
        self.log_path = log_path
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, *, timeout_s: float = SERVE_READY_TIMEOUT_S) -> "TransformersServe":
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "transformers.cli.transformers", "serve"),
                    self.model,
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                    *("--continuous-batching", "--device", "cpu", "--log-level", "info"),
                    # On a CPU the paged cache would otherwise size itself from the machine's
                    # free RAM (13 GB here, and the OOM killer); this holds 32 x 256 tokens.
                    *("--cb-block-size", "32", "--cb-num-blocks", str(CB_NUM_BLOCKS)),
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped by its id
            )
        self._wait_ready(timeout_s)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"transformers serve exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"transformers serve not ready after {timeout_s}s:\n{self.log_tail()}")

    def warm_up(self) -> None:
        """One tiny request: the first one sets up the batching machinery (seconds on a CPU)."""
        httpx.post(
            f"{self.base_url}/chat/completions",
            json={
                "model": self.model,
                "messages": [{"role": "user", "content": "Hi"}],
                "max_tokens": 2,
            },
            timeout=120,
        ).raise_for_status()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
