"""The heatmap layout: readable text on every fill, labels cut sensibly, one cell each."""

from __future__ import annotations

import pytest

from portfolio.core import charts


@pytest.mark.parametrize("share", [None] + [n / 100 for n in range(101)])
def test_every_cell_text_meets_wcag_aa_contrast(share: float | None) -> None:
    fill = charts.fill_for(share)
    assert charts.contrast(fill, charts.ink_for(fill)) >= 4.5


def test_percent_rounds_halves_up_and_shows_a_dash_for_no_data() -> None:
    assert [charts.percent(s) for s in (0.125, 2 / 3, 0.0, 1.0, None)] == [
        "13%",
        "67%",
        "0%",
        "100%",
        "—",
    ]


def test_contrast_matches_the_wcag_formula() -> None:
    assert charts.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert charts.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_a_higher_share_is_a_darker_fill() -> None:
    fills = [charts.fill_for(n / 10) for n in range(11)]
    contrasts = [charts.contrast(f, "#ffffff") for f in fills]
    assert contrasts == sorted(contrasts) and len(set(fills)) == 11
    assert charts.fill_for(None) == charts.NO_DATA_FILL


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("Short enough", 20, "Short enough"),
        ("A customer must use the word complaint", 20, "A customer must use…"),
        ("Supercalifragilistic", 10, "Supercali…"),
        ("Ends at a comma, then more", 17, "Ends at a comma…"),
    ],
)
def test_shorten_cuts_at_a_word(text: str, width: int, expected: str) -> None:
    assert charts.shorten(text, width) == expected
    assert len(charts.shorten(text, width)) <= width


def test_heatmap_lays_out_one_cell_per_row_and_column() -> None:
    long = "Refunds are only due within six months of purchase, whatever the fault " * 2
    chart = charts.heatmap(
        [long, "Short"],
        ["Level 2 — September 2026 day", "No group"],
        [[0.4, None], [0.0, 1.0]],
        no_data="nobody took it",
    )
    assert [c.text for c in chart.cells] == ["40%", "—", "0%", "100%"]
    assert len({(c.x, c.y) for c in chart.cells}) == 4
    assert chart.cells[1].title.endswith("No group: nobody took it")
    assert chart.rows[0].full == long and chart.rows[0].lines[0].endswith("…")
    assert len(chart.rows[0].lines[0]) <= charts.ROW_LABEL_CHARS
    assert chart.columns[0].lines == ("Level 2 —", "September 2026", "day")
    assert chart.columns[1].lines == ("No group",)
    # The short header sits on the grid, level with the long one's last line.
    assert chart.columns[1].y == chart.columns[0].y + 2 * chart.line_height
    right = max(c.x + c.width for c in chart.cells + chart.legend)
    bottom = max(c.y + c.height for c in chart.cells + chart.legend)
    assert right < chart.width and bottom < chart.height
    assert [c.text for c in chart.legend] == ["0%", "25%", "50%", "75%", "100%"]


@pytest.mark.parametrize(
    ("names", "start"),
    [
        (["Level 2 — April evening", "Level 2 — March day"], "Level 2 —"),
        (["Level 2 Customer Service", "Level 2 Customer"], "Level 2"),  # each keeps a word
        (["Day group", "Evening group"], ""),
        (["Only one group"], ""),
        (["Same", "Same"], ""),
        ([], ""),
    ],
)
def test_common_start_is_whole_words_each_name_has_more_than(names: list[str], start: str) -> None:
    assert charts.common_start(names) == start


def test_columns_named_alike_are_labelled_by_what_tells_them_apart() -> None:
    names = [
        "Level 2 Customer Service — April 2026 evening (group 10)",
        "Level 2 Customer Service — March 2026 day (group 1)",
    ]
    chart = charts.heatmap(["Refunds"], names, [[0.5, 0.25]])
    assert chart.column_start == "Level 2 Customer Service —"
    assert chart.columns[0].lines[0] == "April 2026"
    assert chart.columns[1].lines[0] == "March 2026 day"
    assert len({c.lines for c in chart.columns}) == 2  # cut to fit, they used to be the same
    assert [c.full for c in chart.columns] == names  # the tooltip keeps the whole name
    assert chart.cells[0].title == f"Refunds — {names[0]}: 50%"


def test_a_column_not_named_like_the_rest_keeps_its_name() -> None:
    names = ["Level 2 — April evening", "Level 2 — March day", "No group"]
    chart = charts.heatmap(["Refunds"], names, [[0.5, 0.25, None]], column_start="Level 2 —")
    assert [c.lines for c in chart.columns] == [("April evening",), ("March day",), ("No group",)]
