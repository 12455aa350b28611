"""The headless core: no Textual or Rich imports in this package."""
