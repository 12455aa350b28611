"""The Textual user interface. Only `cli` imports this package."""
