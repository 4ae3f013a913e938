"""Running the app under uvicorn."""

from __future__ import annotations


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the app from the environment's settings until interrupted."""
    import uvicorn

    uvicorn.run(
        "epicontrol.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )
