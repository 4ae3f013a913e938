"""`python -m epicontrol` runs the CLI."""

from epicontrol.cli import app

app()
