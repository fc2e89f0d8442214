"""Differences between two versions of a text: by line (revision pages, questions) and by word
(evidence resubmitted after a referral)."""

from __future__ import annotations

import difflib
import re
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


@dataclass(frozen=True)
class Segment:
    kind: Kind
    text: str


@dataclass(frozen=True)
class WordDiff:
    segments: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return any(s.kind != "same" for s in self.segments)

    @property
    def added(self) -> int:
        """Words added (punctuation alone is not counted)."""
        return sum(len(_COUNTED.findall(s.text)) for s in self.segments if s.kind == "added")

    @property
    def removed(self) -> int:
        return sum(len(_COUNTED.findall(s.text)) for s in self.segments if s.kind == "removed")


# A word or a punctuation mark with the space before it, or the space at the end: joined they
# give back the text, and a change reads as "old words -> new words" rather than word, kept
# space, word; "here." -> "here, too." marks only ", too".
_WORDS = re.compile(r"\s*[\w'\u2019-]+|\s*[^\w\s]|\s+")
_COUNTED = re.compile(r"\w[\w'\u2019-]*")


def diff_words(old: str, new: str) -> WordDiff:
    """The whole of `new`, with the words removed from `old` and added in `new` marked. For
    prose, where a paragraph is one long line and a line diff would mark all of it."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    segments: list[Segment] = []

    def add(kind: Kind, tokens: list[str]) -> None:
        if not tokens:
            return
        if segments and segments[-1].kind == kind:
            segments[-1] = Segment(kind, segments[-1].text + "".join(tokens))
        else:
            segments.append(Segment(kind, "".join(tokens)))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("same", b[j1:j2])
        else:
            add("removed", a[i1:i2])
            add("added", b[j1:j2])
    return WordDiff(tuple(segments))
