"""Asset selection, in Dagster's current syntax.

    *                       every asset
    name, stg_*             an asset or group asset by key, `*` as a wildcard (also key:name)
    +name, name+            with all upstream / all downstream assets
    2+name, name+1          with N levels upstream / downstream
    group:dbt_curated       assets of a group; tag:mart, kind:postgres likewise
    stale                   assets whose inputs or code changed since they last materialized
    a and b, a or b, not a, ( ... )
    a,b                     a list, as Dagster's CLI takes it: the same as a or b

A selection evaluates to a set of unit asset keys (group assets expand to their models).
Unknown names are errors that suggest close matches; a known kind no asset has (kind:postgres
with the marts on DuckDB) selects nothing rather than failing.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass

from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.errors import UsageError

ATTRIBUTES = ("key", "group", "tag", "kind")
KINDS = ("raw", "airbyte", "duckdb", "postgres")
KEYWORDS = ("and", "or", "not")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<paren>[(),])
      | (?P<up>\d*\+)?
        (?P<atom>(?:[A-Za-z_]+:)?(?:"[^"]*"|[A-Za-z0-9_*.\-/]+))
        (?P<down>\+\d*)?
    )""",
    re.VERBOSE,
)


class SelectionError(UsageError):
    pass


@dataclass(frozen=True)
class Token:
    text: str
    kind: str  # "(", ")", "and", "or", "not", "atom"
    up: int | None = None  # None: no traversal; -1: all levels
    down: int | None = None


def _depth(marker: str | None, *, leading: bool) -> int | None:
    if not marker:
        return None
    digits = marker[:-1] if leading else marker[1:]
    return int(digits) if digits else -1


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise SelectionError(
                f"selection {text!r}: cannot read {text[position:].strip()!r}; "
                "see `lakehouse-tui --help` for the syntax"
            )
        position = match.end()
        if match.group("paren") == ",":
            tokens.append(Token(",", "or"))  # a comma list is a union
            continue
        if match.group("paren"):
            tokens.append(Token(match.group("paren"), match.group("paren")))
            continue
        atom = match.group("atom")
        up, down = match.group("up"), match.group("down")
        if atom.lower() in KEYWORDS and not up and not down:
            tokens.append(Token(atom.lower(), atom.lower()))
        else:
            tokens.append(
                Token(atom, "atom", _depth(up, leading=True), _depth(down, leading=False))
            )
    return tokens


class _Parser:
    def __init__(
        self,
        text: str,
        graph: AssetGraph,
        stale: Callable[[], set[str]],
    ) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0
        self.graph = graph
        self.stale = stale

    def error(self, message: str) -> SelectionError:
        return SelectionError(f"selection {self.text!r}: {message}")

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("ends too early; expected an asset, group:, tag: or '('")
        self.position += 1
        return token

    def parse(self) -> set[str]:
        if not self.tokens:
            raise self.error("is empty; use '*' for every asset")
        result = self.or_expr()
        extra = self.peek()
        if extra is not None:
            if extra.kind == "atom":
                raise self.error(f"expected 'and' or 'or' before {extra.text!r}")
            raise self.error(f"unexpected {extra.text!r}")
        return result

    def or_expr(self) -> set[str]:
        result = self.and_expr()
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            result |= self.and_expr()
        return result

    def and_expr(self) -> set[str]:
        result = self.not_expr()
        while (token := self.peek()) is not None and token.kind == "and":
            self.take()
            result &= self.not_expr()
        return result

    def not_expr(self) -> set[str]:
        token = self.peek()
        if token is not None and token.kind == "not":
            self.take()
            return set(self.graph.assets) - self.not_expr()
        return self.primary()

    def primary(self) -> set[str]:
        token = self.take()
        if token.kind == "(":
            result = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise self.error("a '(' is never closed")
            self.take()
            return result
        if token.kind != "atom":
            raise self.error(f"unexpected {token.text!r}")
        base = self.atom(token.text)
        result = set(base)
        for key in base:
            if token.up is not None:
                result |= self.graph.upstream(key, None if token.up < 0 else token.up)
            if token.down is not None:
                result |= self.graph.downstream(key, None if token.down < 0 else token.down)
        return result

    def atom(self, text: str) -> set[str]:
        graph = self.graph
        attribute, colon, value = text.partition(":")
        if not colon:
            attribute, value = "key", text
        value = value.strip('"')
        if attribute not in ATTRIBUTES:
            raise self.error(
                f"unknown attribute {attribute + ':'!r}; use one of "
                + ", ".join(a + ":" for a in ATTRIBUTES)
            )
        if attribute == "key":
            if value == "*":
                return set(graph.assets)
            if value == "stale" and not colon:
                return self.stale()
            return self._match(value, graph.names(), graph.expand, "asset")
        if attribute == "group":
            values = sorted(graph.group_names())
            return self._match(
                value,
                values,
                lambda g: {a.key for a in graph.assets.values() if a.group == g},
                "group",
            )
        if attribute == "tag":
            values = sorted({t for a in graph.assets.values() for t in a.tags})
            return self._match(
                value,
                values,
                lambda t: {a.key for a in graph.assets.values() if t in a.tags},
                "tag",
            )
        if value in KINDS:  # known, maybe absent from this config: an empty selection
            return {a.key for a in graph.assets.values() if a.kind == value}
        values = sorted({*KINDS, *(a.kind for a in graph.assets.values())})
        return self._match(
            value, values, lambda k: {a.key for a in graph.assets.values() if a.kind == k}, "kind"
        )

    def _match(
        self, pattern: str, names: list[str], expand: Callable[[str], set[str]], what: str
    ) -> set[str]:
        matched = fnmatch.filter(names, pattern) if "*" in pattern else [pattern]
        result: set[str] = set()
        for name in matched:
            if name in names:
                result |= expand(name)
        if not result:
            close = difflib.get_close_matches(pattern.replace("*", ""), names, n=3, cutoff=0.5)
            hint = (
                f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(names)}"
            )
            raise self.error(f"no {what} matches {pattern!r}{hint}")
        return result


def select(text: str, graph: AssetGraph, stale: Callable[[], set[str]] | None = None) -> set[str]:
    """Evaluate a selection to unit asset keys; `stale` supplies the stale set when used."""
    try:
        return _Parser(text, graph, stale or (lambda: set())).parse()
    except RecursionError:
        shown = text if len(text) <= 60 else f"{text[:40]}…{text[-15:]}"
        raise SelectionError(
            f"selection {shown!r}: nested too deeply ({len(text):,} characters); "
            "use fewer parentheses and 'not's"
        ) from None
