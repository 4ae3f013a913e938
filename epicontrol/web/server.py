"""Running the app under uvicorn."""

from __future__ import annotations


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the app from the environment's settings until interrupted."""
    import threading

    import uvicorn

    from epicontrol.core.settings import get_settings
    from epicontrol.portal.qa_text import warm_up

    # With one worker the app runs in this process: its Q&A is ready before the first question.
    if get_settings().qa_warm_up:
        threading.Thread(target=warm_up, name="qa-warm-up", daemon=True).start()
    uvicorn.run(
        "epicontrol.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )
