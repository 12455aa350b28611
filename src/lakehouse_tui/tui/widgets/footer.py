"""The footer of every screen: Textual's, minus a memory leak, and fitted to the width."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from lakehouse_tui.keymap import FOOTER_PRIORITY

PALETTE_WIDTH = 12  # "▏^p palette" and its padding, docked on the right


def key_width(key_display: str, description: str) -> int:
    """Columns a compact footer key takes: `k Label` and its right margin."""
    return len(key_display) + 1 + len(description) + 1


def fit(entries: list[tuple[str, int]], budget: int) -> set[str]:
    """The ids (in `entries`, (id, width) in footer order) that fit in `budget` columns,
    dropping the least important first (`FOOTER_PRIORITY`)."""

    def rank(binding_id: str) -> int:
        return FOOTER_PRIORITY.index(binding_id) if binding_id in FOOTER_PRIORITY else 99

    keep: set[str] = set()
    used = 0
    for binding_id, width in sorted(entries, key=lambda entry: rank(entry[0])):
        if used + width <= budget:
            keep.add(binding_id)
            used += width
    return keep


class AppFooter(Footer):
    """Textual's Footer (8.x) lays out every key and lets the command palette's key, docked
    on the right, cover whatever does not fit: `r R▏^p palettet` at 80 columns. This one
    shows only the keys that fit whole, the most important ones (`FOOTER_PRIORITY`), and
    lays them out again when the width changes.

    It also re-creates its keys whenever the bindings change, which a run does two or three
    times (`c` to cancel comes and goes). Two things keep the old keys:

    - each key's `compact` is bound to the footer (`data_bind`), and the footer's watcher
      list drops closed keys only when `compact` itself changes, which it never does here:
      about 35 dead keys per run, 0.5 MB per run in bench/warm.py;
    - `StylesCache.get_inner_outer` is an lru_cache on a method, so it holds up to 1024 dead
      widgets' render caches.

    Drop both after each recompose; the cache refills from the live widgets at once.
    """

    fitted_width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in {b.action for b, _, _ in shown.values()}:
                shown[binding.id or binding.action] = (binding, enabled, tooltip)
        palette = self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE
        palette_entry = active.get(self.app.COMMAND_PALETTE_BINDING) if palette else None
        width = self.app.size.width
        self.fitted_width = width
        budget = width - (PALETTE_WIDTH if palette_entry else 0)
        entries = [
            (binding_id, key_width(self.app.get_key_display(binding), binding.description))
            for binding_id, (binding, _, _) in shown.items()
        ]
        keep = fit(entries, budget)
        self.styles.grid_size_columns = len(keep)
        for binding_id, (binding, enabled, tooltip) in shown.items():
            if binding_id in keep:
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip,
                ).data_bind(compact=Footer.compact)
        if palette_entry is not None:
            _node, binding, enabled, tooltip = palette_entry
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def on_resize(self, event: Resize) -> None:
        if self._bindings_ready and self.app.size.width != self.fitted_width:
            self.refresh(recompose=True)

    async def recompose(self) -> None:
        await super().recompose()
        watchers = getattr(self, "__watchers", None)  # where textual.reactive keeps them
        for entries in (watchers or {}).values():
            entries[:] = [
                (node, callback)
                for node, callback in entries
                if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))
            ]
        try:  # private to Textual: a later version may move it
            from textual._styles_cache import StylesCache

            StylesCache.get_inner_outer.cache_clear()
        except (ImportError, AttributeError):
            pass
