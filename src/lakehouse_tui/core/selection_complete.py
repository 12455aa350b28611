"""Completion for selection expressions (the TUI's `:` prompt): what the word being typed could
be, from the asset graph.

The word is the text after the last space, `(` or `,`, without a leading `2+`/`+` traversal;
it completes to asset and group asset keys, `group:`, `tag:` and `kind:` values (after the
colon, or as a whole `group:name`), `stale`, and the words `and`, `or`, `not`. Matching is by
prefix, case-insensitive, and shorter names first, so `dim` offers `dim_batch` before
`dim_batch_extra`. No Textual here.
"""

from __future__ import annotations

import re

from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.selection import KEYWORDS, KINDS

_WORD = re.compile(r"(?P<head>.*?[\s(,]|)(?P<up>\d*\+)?(?P<word>[^\s(),]*)$", re.DOTALL)


def vocabulary(graph: AssetGraph) -> list[str]:
    """Every word a selection may use, in the order offered on a tie."""
    groups = sorted(graph.group_names())
    tags = sorted({t for a in graph.assets.values() for t in a.tags})
    kinds = sorted({*KINDS, *(a.kind for a in graph.assets.values())})
    return [
        *graph.names(),
        *(f"group:{g}" for g in groups),
        *(f"tag:{t}" for t in tags),
        *(f"kind:{k}" for k in kinds),
        "stale",
        *KEYWORDS,
    ]


def completions(graph: AssetGraph, text: str, limit: int = 20) -> list[str]:
    """The whole text with its last word completed, best first; [] when nothing fits (or
    the last word is already complete and nothing longer fits)."""
    match = _WORD.match(text)
    if match is None:  # pragma: no cover - the pattern matches any text
        return []
    head, up, word = match.group("head"), match.group("up") or "", match.group("word")
    if not word:
        return []
    down = re.search(r"\+\d*$", word)
    if down:  # `dim_batch+` is complete: a traversal marker ends the word
        return []
    lowered = word.lower()
    words = vocabulary(graph)
    found = [w for w in words if w.lower().startswith(lowered) and w.lower() != lowered]
    if ":" not in word:  # `curated` also finds group:dbt_curated_models, tag:curated
        found += [
            w
            for w in words
            if ":" in w and w.split(":", 1)[1].lower().startswith(lowered) and w not in found
        ]
    found.sort(key=lambda w: (":" in w and ":" not in word, len(w), w))
    return [f"{head}{up}{w}" for w in found[:limit]]
