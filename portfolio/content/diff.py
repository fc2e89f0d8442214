"""Line differences between two revisions of a page, for the tutor's history view."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Kind = Literal["same", "added", "removed"]


@dataclass(frozen=True)
class DiffLine:
    kind: Kind
    text: str


@dataclass(frozen=True)
class Diff:
    lines: tuple[DiffLine, ...]

    @property
    def added(self) -> int:
        return sum(line.kind == "added" for line in self.lines)

    @property
    def removed(self) -> int:
        return sum(line.kind == "removed" for line in self.lines)


def diff_text(old: str, new: str, context: int = 2) -> Diff:
    """Changed lines with `context` unchanged lines around each change; the rest elided."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("same", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("same", t) for t in a[i1:i2])
                continue
            lines.extend(DiffLine("removed", t) for t in a[i1:i2])
            lines.extend(DiffLine("added", t) for t in b[j1:j2])
    return Diff(tuple(lines))
