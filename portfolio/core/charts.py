"""Charts drawn as inline SVG by templates: the positions, colours and labels are worked out
here, so a template only places what it is given."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

# A light and a dark end of one hue: the share runs between them, so darker means more.
LIGHT = (0xFD, 0xF2, 0xF2)
DARK = (0x7F, 0x10, 0x10)
NO_DATA_FILL = "#ffffff"
# Pure black and white: against any fill one of them reaches at least 4.58:1 (WCAG AA
# asks 4.5:1 for text), which a softer ink colour cannot promise.
INKS = ("#000000", "#ffffff")

LABEL_WIDTH = 400  # the row labels' column, in SVG units (about px)
CELL_WIDTH = 130
CELL_HEIGHT = 34
LINE_HEIGHT = 17
HEADER_LINES = 3
ROW_LABEL_CHARS = 52  # what fits LABEL_WIDTH at the chart's font size
COLUMN_LABEL_CHARS = 15
LEGEND_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)


def percent(share: float | None) -> str:
    # Halves round up, as Jinja's round filter does for the other tables on the same page.
    return "—" if share is None else f"{math.floor(share * 100 + 0.5)}%"


def shorten(text: str, width: int) -> str:
    """Cut at a word boundary to at most `width` characters, ending with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    # One character is kept for the ellipsis; looking one further finds a word that ends there.
    cut = text[:width]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[: width - 1]
    return cut.rstrip(" ,;:.-—") + "…"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def contrast(one: str, two: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, 1..21."""
    high, low = sorted((_luminance(_rgb(one)), _luminance(_rgb(two))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def fill_for(share: float | None) -> str:
    if share is None:
        return NO_DATA_FILL
    t = min(max(share, 0.0), 1.0)
    mixed = (round(a + (b - a) * t) for a, b in zip(LIGHT, DARK, strict=True))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def ink_for(fill: str) -> str:
    """The text colour with the higher contrast on `fill`."""
    return max(INKS, key=lambda ink: contrast(fill, ink))


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    width: int
    height: int
    fill: str
    text_fill: str
    text: str
    title: str  # the tooltip: row, column and value in words

    @property
    def text_x(self) -> int:
        return self.x + self.width // 2

    @property
    def text_y(self) -> int:
        return self.y + self.height // 2


@dataclass(frozen=True)
class Label:
    x: int
    y: int
    lines: tuple[str, ...]  # one for a row label; a column label wraps
    full: str  # the untruncated text, as a tooltip


@dataclass(frozen=True)
class Heatmap:
    width: int
    height: int
    rows: tuple[Label, ...]
    columns: tuple[Label, ...]
    cells: tuple[Cell, ...]
    legend: tuple[Cell, ...]  # one swatch per LEGEND_STEPS share
    legend_label: Label  # names the swatches, left of them
    legend_note: Label  # says what a dash means, under them
    line_height: int = LINE_HEIGHT
    # The words every column's name begins with, left out of the column labels (common_start).
    column_start: str = ""


def common_start(names: Sequence[str]) -> str:
    """The whole words every one of `names` begins with, when there are two or more names and
    each has words after them: a centre names its groups alike ("Level 2 Customer Service —
    April 2026 evening"), and column labels cut to fit would all read the same. Trailing
    separators stay with the start, so the rest reads on its own ("April 2026 evening")."""
    if len(names) < 2:
        return ""
    split = [name.split() for name in names]
    shared = 0
    for words in zip(*split, strict=False):
        if any(w != words[0] for w in words):
            break
        shared += 1
    # Each name keeps at least one word of its own.
    shared = min(shared, *(len(words) - 1 for words in split))
    if shared <= 0:
        return ""
    return " ".join(split[0][:shared])


def _rest(name: str, start: str) -> str:
    """`name` without `start` (when it begins with it, as whole words)."""
    name = " ".join(name.split())
    if not start or not name.startswith(start + " "):
        return name
    rest = name[len(start) :].strip()
    return rest.lstrip("-\u2014\u2013:,;\u00b7 ").strip() or rest


def _column_lines(name: str) -> tuple[str, ...]:
    lines = textwrap.wrap(name, COLUMN_LABEL_CHARS) or [""]
    if len(lines) > HEADER_LINES:
        rest = " ".join(lines[HEADER_LINES - 1 :])
        lines = [*lines[: HEADER_LINES - 1], shorten(rest, COLUMN_LABEL_CHARS)]
    return tuple(lines)


def _cell(x: int, y: int, width: int, share: float | None, title: str) -> Cell:
    fill = fill_for(share)
    return Cell(x, y, width, CELL_HEIGHT, fill, ink_for(fill), percent(share), title)


def heatmap(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    shares: Sequence[Sequence[float | None]],
    key: str = "Share",
    no_data: str = "no data",
    column_start: str | None = None,
) -> Heatmap:
    """Lay out a grid: one row per row label, one column per column label, each cell filled by
    its share (0..1, None for no data) and showing the share as a percentage, so colour is
    never the only cue. `key` names the swatches; `no_data` says in words what a dash means.
    Words every column's name begins with (`column_start`, or common_start of them all) are
    left out of the column labels, which keep the whole name as their tooltip."""
    top = HEADER_LINES * LINE_HEIGHT + 12
    columns = []
    start = common_start(column_labels) if column_start is None else column_start
    for i, name in enumerate(column_labels):
        lines = _column_lines(_rest(name, start))
        # Short names sit on the grid, like the last line of long ones.
        y = (HEADER_LINES - len(lines) + 1) * LINE_HEIGHT
        columns.append(Label(LABEL_WIDTH + i * CELL_WIDTH + CELL_WIDTH // 2, y, lines, name))
    rows, cells = [], []
    for r, (label, values) in enumerate(zip(row_labels, shares, strict=True)):
        y = top + r * CELL_HEIGHT
        rows.append(
            Label(LABEL_WIDTH - 10, y + CELL_HEIGHT // 2, (shorten(label, ROW_LABEL_CHARS),), label)
        )
        for c, share in enumerate(values):
            words = no_data if share is None else percent(share)
            title = f"{label} — {column_labels[c]}: {words}"
            cells.append(_cell(LABEL_WIDTH + c * CELL_WIDTH, y, CELL_WIDTH, share, title))
    legend_y = top + len(row_labels) * CELL_HEIGHT + 24
    swatch = CELL_WIDTH // 2
    legend = tuple(
        _cell(LABEL_WIDTH + i * swatch, legend_y, swatch, step, percent(step))
        for i, step in enumerate(LEGEND_STEPS)
    )
    grid_width = LABEL_WIDTH + max(len(column_labels) * CELL_WIDTH, len(legend) * swatch)
    note_y = legend_y + CELL_HEIGHT + LINE_HEIGHT + 4
    return Heatmap(
        width=grid_width + 2,  # room for the last cell's outline
        height=note_y + LINE_HEIGHT // 2,
        rows=tuple(rows),
        columns=tuple(columns),
        cells=tuple(cells),
        legend=legend,
        legend_label=Label(LABEL_WIDTH - 10, legend_y + CELL_HEIGHT // 2, (key,), key),
        legend_note=Label(0, note_y, (f"— means {no_data}.",), no_data),
        column_start=start,
    )
