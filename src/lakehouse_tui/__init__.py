"""lakehouse-tui: a terminal app and headless runner for a small bioreactor lakehouse."""

__version__ = "0.1.0"
