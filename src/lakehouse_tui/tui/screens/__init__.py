"""Screens and modal dialogs of the TUI, one per module."""
