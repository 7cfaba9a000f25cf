"""Start the server under uvicorn (shared by `model serve` and `python -m model.serving`)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model import config, names

if TYPE_CHECKING:
    from model.serving.asgi import BaseServer
    from model.serving.limits import Limits

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def serve(
    model_dir: Path,
    host: str = "127.0.0.1",
    port: int = names.SERVING_PORT,
    repository: Path | None = None,
) -> None:
    """Verify and load the model (or read the repository), then serve until stopped."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    app: BaseServer
    if repository is not None:
        from model.serving.repository_app import create_repository_app

        app = create_repository_app(repository)
    else:
        from model.serving.app import create_app

        app = create_app(model_dir)
    uvicorn.run(app, host=host, port=port, **uvicorn_options(app.limits, app.count_rejected, app))


def uvicorn_options(
    limits: Limits, on_reject: Callable[[int], None], server: BaseServer | None = None
) -> dict[str, Any]:
    """The uvicorn settings of `model serve` (the benchmark's HTTP floor runs under them too);
    with `server`, the connections answer its plain requests without an ASGI cycle."""
    return {
        "loop": _pick("uvloop", "asyncio"),
        "lifespan": "on",
        "access_log": False,  # /metrics counts every request; a log line per request costs ~15%
        "server_header": False,
        # Nothing reads the client address or scheme (no access log): skip the middleware that
        # rewrites them from X-Forwarded-* on every request
        "proxy_headers": False,
        "log_level": "info",
        "timeout_graceful_shutdown": 10,
        "limit_concurrency": limits.max_connections,
        **_http_options(limits, on_reject, server),
    }


def _http_options(
    limits: Limits, on_reject: Callable[[int], None], server: BaseServer | None
) -> dict[str, Any]:
    """httptools behind the connection guard; h11 (headers bounded, no read deadlines) else."""
    import importlib.util

    if importlib.util.find_spec("httptools"):
        from model.serving.guard import guarded

        return {"http": guarded(limits, on_reject, server)}
    logging.getLogger("model.serving").warning(
        "httptools is not installed: serving with h11, without header/body read deadlines"
    )
    return {"http": "h11", "h11_max_incomplete_event_size": limits.max_header}


def _pick(preferred: str, fallback: str) -> str:
    """The fast implementation when installed (the serve extra has both)."""
    import importlib.util

    return preferred if importlib.util.find_spec(preferred) else fallback


def main(argv: list[str] | None = None) -> int:
    """`python -m model.serving`: the image's entry point (skips the CLI's command discovery)."""
    parser = argparse.ArgumentParser(prog="python -m model.serving")
    parser.add_argument(
        "--model-dir", type=Path, default=Path(config.get(config.MODEL_DIR, "models") or "models")
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=names.SERVING_PORT)
    parser.add_argument("--repository", type=Path, default=None)
    args = parser.parse_args(argv)
    serve(args.model_dir, args.host, args.port, args.repository)
    return 0
