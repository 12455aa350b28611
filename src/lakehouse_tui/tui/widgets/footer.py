"""The footer of every screen: Textual's, minus a memory leak."""

from __future__ import annotations

from textual.widgets import Footer


class AppFooter(Footer):
    """Textual's Footer (8.x) re-creates its keys whenever the bindings change, which a run
    does two or three times (`c` to cancel comes and goes). Two things keep the old keys:

    - each key's `compact` is bound to the footer (`data_bind`), and the footer's watcher
      list drops closed keys only when `compact` itself changes, which it never does here:
      about 35 dead keys per run, 0.5 MB per run in bench/warm.py;
    - `StylesCache.get_inner_outer` is an lru_cache on a method, so it holds up to 1024 dead
      widgets' render caches.

    Drop both after each recompose; the cache refills from the live widgets at once.
    """

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
