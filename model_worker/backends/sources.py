"""Resolve where a model variant's weights live, without touching the network."""

import importlib.util
from pathlib import Path

from .base import PermanentGenerationError

PACKAGE_PREFIX = "pkg:"


def resolve_gguf(source: str) -> tuple[str, str]:
    """Return (directory, file name) for a GGUF path or `pkg:<package>/<file>` reference.

    Packaged weights are found through the import system's spec, never by importing the
    package (some model packages import unrelated code on import).
    """
    if source.startswith(PACKAGE_PREFIX):
        package, _, file_name = source[len(PACKAGE_PREFIX) :].partition("/")
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise PermanentGenerationError(f"Python package {package!r} is not installed.")
        directory = Path(next(iter(spec.submodule_search_locations)))
        path = directory / file_name if file_name else next(directory.glob("*.gguf"), None)
    else:
        path = Path(source)
    if path is None or not path.is_file():
        raise PermanentGenerationError(f"GGUF file not found for source {source!r}.")
    return str(path.parent), path.name
