"""A log a person can use: filter by asset (`A`) and level (`L`), search with `/` (`n`/`N` for
the next and previous match), wrap long lines (`w`, as in k9s) and follow a live run (`F`).

Used by the runs screen and the asset's Logs tab. The lines are drawn by `LogLines` (the line
API), which knows on which row each log line starts, wrapped or not, so a match can be scrolled
to. Following a run that is still going, the view asks its `source` for the lines after the
last one it has, in a thread worker, once a second; it scrolls to the end while following.
Log lines are data: they are `Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input, Static

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.store import LogLine
from lakehouse_tui.tui.keys import LOG_BINDINGS
from lakehouse_tui.tui.log_filter import LogFilter, assets_in, level_rank, matches
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

LogSource = Callable[[int], list[LogLine]]  # the lines after a LogLine id
LEVEL_MARK = {0: ("  ", ""), 1: ("! ", "dark_orange"), 2: ("✗ ", "bold red")}


class LogLines(ScrollView, can_focus=True):
    """Rows of text, cut or wrapped at the width; remembers where each entry starts."""

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.entries: list[Text] = []
        self.wrap = False
        self.strips: list[Strip] = []
        self.starts: list[int] = []  # first row of each entry

    def set_entries(self, entries: list[Text]) -> None:
        self.entries = entries
        self.rebuild()

    def rebuild(self) -> None:
        # Wrapped, leave room for the vertical scrollbar, which may appear once it is wrapped.
        width = self.size.width - (self.styles.scrollbar_size_vertical if self.wrap else 0)
        console = self.app.console
        strips: list[Strip] = []
        starts: list[int] = []
        for text in self.entries:
            starts.append(len(strips))
            lines = text.wrap(console, width) if self.wrap and width > 0 else text.split("\n")
            for line in lines:
                strips.append(Strip(list(line.render(console)), line.cell_len))
        self.strips, self.starts = strips, starts
        widest = max((strip.cell_length for strip in strips), default=0)
        self.virtual_size = Size(width if self.wrap else widest, len(strips))
        self.refresh()

    def on_resize(self) -> None:
        if self.wrap:
            self.rebuild()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = y + scroll_y
        if row >= len(self.strips):
            return Strip.blank(width)
        return self.strips[row].crop_extend(scroll_x, scroll_x + width, Style())

    def scroll_to_entry(self, index: int) -> None:
        if 0 <= index < len(self.starts):
            row = self.starts[index]
            if not self.scroll_offset.y <= row < self.scroll_offset.y + self.size.height:
                self.scroll_to(y=max(0, row - self.size.height // 3), animate=False)


class LogSearch(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close search", show=False)]

    def action_close(self) -> None:
        self.query_ancestor(LogView).close_search()


class LogView(ReportsWorkerErrors, Vertical):
    """A header line, the filter bar, a search box (after `/`) and the lines."""

    BINDINGS: ClassVar[list[BindingType]] = list(LOG_BINDINGS)

    @dataclass
    class LinesArrived(Message):
        lines: list[LogLine]

    def __init__(self, *, id: str | None = None, by_asset: bool = True) -> None:
        super().__init__(id=id, classes="log-view")
        self.by_asset = by_asset  # show and filter by asset (a run's log has many)
        self.lines: list[LogLine] = []
        self.header: Text | None = None
        self.empty = ""
        self.filter = LogFilter()
        self.follow = True
        self.source: LogSource | None = None
        self.shown: list[LogLine] = []  # the lines passing the filter, in order
        self.hits: list[int] = []  # indices into `shown` of lines matching the search
        self.hit = -1  # the current match (index into hits)
        self.poller: Timer | None = None
        self.entry_offset = 0  # entries before the first log line (the header)

    def compose(self) -> ComposeResult:
        yield Static("", classes="log-bar")
        yield LogSearch(placeholder="search the log…", classes="log-search")
        yield LogLines(classes="log-lines")

    def on_mount(self) -> None:
        self.poller = self.set_interval(1.0, self.poll, pause=True)
        self.redraw()

    @property
    def log_lines(self) -> LogLines:
        return self.query_one(LogLines)

    # -- content ------------------------------------------------------------------------

    def show(
        self,
        lines: Sequence[LogLine],
        *,
        header: Text | None = None,
        source: LogSource | None = None,
        empty: str = "(no log lines)",
    ) -> None:
        """New content; the filter, search, wrap and follow settings stay. `source` (for a
        run still going) gives the lines after an id: the view follows it while `F` is on."""
        self.lines, self.header, self.source, self.empty = list(lines), header, source, empty
        self.update_polling()
        self.redraw()

    def update_polling(self) -> None:
        if self.poller is not None:
            if self.source is not None and self.follow:
                self.poller.resume()
            else:
                self.poller.pause()

    def poll(self) -> None:
        if self.source is not None and self.follow:
            self.fetch(self.source, self.lines[-1].id if self.lines else 0)

    @work(thread=True, exclusive=True, group="log-follow", exit_on_error=False)
    def fetch(self, source: LogSource, after: int) -> None:
        new = source(after)
        if new:
            self.post_message(self.LinesArrived(new))

    def on_log_view_lines_arrived(self, message: LinesArrived) -> None:
        last = self.lines[-1].id if self.lines else 0
        self.lines += [line for line in message.lines if line.id > last]
        self.redraw()

    def entry(self, line: LogLine) -> Text:
        rank = level_rank(line.level)
        mark, style = LEVEL_MARK[rank]
        text = Text.assemble((fmt.timestamp(line.ts)[11:], "dim"), " ", (mark, style))
        if self.by_asset and line.asset_key:
            text.append(f"{line.asset_key}: ", style="bold")
        start = len(text)
        text.append(line.message, style="red" if rank == 2 else "")
        for a, b in matches(line.message, self.filter.search):
            text.stylize("reverse yellow", start + a, start + b)
        return text

    def redraw(self) -> None:
        """Filter, search and draw; keeps the bottom in view while following."""
        if not self.is_mounted:
            return
        self.shown = [line for line in self.lines if self.filter.shows(line)]
        search = self.filter.search
        self.hits = [i for i, line in enumerate(self.shown) if matches(line.message, search)]
        self.hit = min(self.hit, len(self.hits) - 1) if self.hits else -1
        entries = [Text(self.header.plain, style="bold")] if self.header is not None else []
        offset = len(entries)
        entries += [self.entry(line) for line in self.shown]
        if not self.shown:
            hidden = len(self.lines)
            entries.append(
                Text(
                    f"({hidden} lines hidden by the filter: L level, A asset)"
                    if hidden
                    else self.empty,
                    style="dim",
                )
            )
        if self.hit >= 0:
            entries[offset + self.hits[self.hit]].stylize("bold", 0)
        log = self.log_lines
        log.set_entries(entries)
        self.entry_offset = offset
        if self.follow:
            log.scroll_end(animate=False, immediate=True)
        self.update_bar()

    def update_bar(self) -> None:
        """One short line at 80 columns: what is shown, and only the settings not at rest."""
        parts = [f"{len(self.shown)}/{len(self.lines)} lines"]
        if self.filter.asset is not None:
            parts.append(self.filter.asset)
        if self.filter.level != "info":
            parts.append(f"{self.filter.level}+")
        if self.log_lines.wrap:
            parts.append("wrapped")
        if self.source is not None:
            parts.append("live, following" if self.follow else "live, paused (F)")
        elif not self.follow:
            parts.append("not following")
        if self.filter.search:
            found = f"{self.hit + 1}/{len(self.hits)}" if self.hits else "no match"
            parts.append(f"/{self.filter.search} {found}")
        self.query_one(".log-bar", Static).update(Text(" · ".join(parts), style="dim"))

    # -- keys ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_asset" and not self.by_asset:
            return None  # one asset's log (the Logs tab): no asset filter, not in the footer
        return True

    def action_search(self) -> None:
        self.add_class("-searching")
        box = self.query_one(LogSearch)
        box.value = self.filter.search
        box.focus()

    def close_search(self) -> None:
        self.remove_class("-searching")
        self.log_lines.focus()

    @on(Input.Changed, ".log-search")
    def search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter = LogFilter(self.filter.asset, self.filter.level, event.value)
        self.hit = 0
        self.follow = False  # looking for something: stay there
        self.update_polling()
        self.redraw()
        self.jump()

    @on(Input.Submitted, ".log-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close_search()

    def jump(self) -> None:
        if self.hits and self.hit >= 0:
            self.log_lines.scroll_to_entry(self.entry_offset + self.hits[self.hit])

    def action_next_match(self, step: int = 1) -> None:
        if not self.hits:
            self.notify("No match: press / to search the log.", severity="warning")
            return
        self.hit = (self.hit + step) % len(self.hits)
        self.follow = False
        self.update_polling()
        self.redraw()
        self.jump()

    def action_previous_match(self) -> None:
        self.action_next_match(-1)

    def action_toggle_wrap(self) -> None:
        self.log_lines.wrap = not self.log_lines.wrap
        self.redraw()
        self.jump()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.update_polling()
        self.redraw()
        self.poll()

    def action_next_level(self) -> None:
        self.filter = self.filter.next_level()
        self.redraw()

    def action_next_asset(self) -> None:
        if self.by_asset:
            self.filter = self.filter.next_asset(assets_in(self.lines))
            self.redraw()
