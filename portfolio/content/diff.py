"""Differences between two versions of a text: by line (revision pages, questions) and by word
(evidence resubmitted after a referral).

difflib's SequenceMatcher is exact but its time grows with the product of the two lengths, and
worse where a line repeats (Markdown's blank lines): two 50 KB pages took a minute. So it is
only given pieces small enough (`SMALL` pairs of lines or words): the whole of two short texts,
as before; in longer ones the gaps between lines (or words) that occur once in each version and
in the same order (the anchors of a "patience" diff). A gap still too big to compare is shown
whole as removed and added, and the diff says so (`coarse`).
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["same", "added", "removed"]
Opcode = tuple[str, int, int, int, int]

# len(a) * len(b) up to which difflib compares two pieces as it always did: 200 x 200 lines of
# the worst kind take about 35 ms.
SMALL = 40_000


@dataclass(frozen=True)
class DiffLine:
    kind: Kind
    text: str


@dataclass(frozen=True)
class Diff:
    lines: tuple[DiffLine, ...]
    # Parts too different to compare line by line are shown whole, removed then added.
    coarse: bool = False

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
    opcodes, coarse = bounded_opcodes(a, b)
    for group in _grouped(opcodes, context):
        if lines:
            lines.append(DiffLine("same", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("same", t) for t in a[i1:i2])
                continue
            lines.extend(DiffLine("removed", t) for t in a[i1:i2])
            lines.extend(DiffLine("added", t) for t in b[j1:j2])
    return Diff(tuple(lines), coarse)


@dataclass(frozen=True)
class Segment:
    kind: Kind
    text: str


@dataclass(frozen=True)
class WordDiff:
    segments: tuple[Segment, ...]
    coarse: bool = False

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

    opcodes, coarse = bounded_opcodes(a, b)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            add("same", b[j1:j2])
        else:
            add("removed", a[i1:i2])
            add("added", b[j1:j2])
    return WordDiff(tuple(segments), coarse)


def bounded_opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[list[Opcode], bool]:
    """difflib's opcodes for a into b, in time linear in their length; and whether some part
    was too different to compare and is given whole as a replacement."""
    if len(a) * len(b) <= SMALL:
        return _difflib(a, b, 0, len(a), 0, len(b)), False
    ops: list[Opcode] = []
    coarse = False
    i = j = 0
    for ai, bj in [*_anchors(a, b), (len(a), len(b))]:
        coarse |= _gap(a, b, i, ai, j, bj, ops)
        if ai < len(a):
            _append(ops, ("equal", ai, ai + 1, bj, bj + 1))
        i, j = ai + 1, bj + 1
    return ops, coarse


def _difflib(
    a: Sequence[Hashable], b: Sequence[Hashable], i1: int, i2: int, j1: int, j2: int
) -> list[Opcode]:
    matcher = difflib.SequenceMatcher(a=a[i1:i2], b=b[j1:j2], autojunk=False)
    return [(t, x1 + i1, x2 + i1, y1 + j1, y2 + j1) for t, x1, x2, y1, y2 in matcher.get_opcodes()]


def _anchors(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Items found exactly once in each, the longest run of them in the same order in both."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {item: j for j, item in enumerate(b) if count_b[item] == 1}
    pairs = [(i, where_b[x]) for i, x in enumerate(a) if count_a[x] == 1 and x in where_b]
    # Longest increasing subsequence of the b positions (patience sorting), O(k log k).
    tails: list[int] = []  # b position ending the best run of each length
    tail_at: list[int] = []  # index into pairs of that ending
    previous = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        length = bisect_left(tails, j)
        if length == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[length], tail_at[length] = j, k
        previous[k] = tail_at[length - 1] if length else -1
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = previous[k]
    return chain[::-1]


def _gap(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    i1: int,
    i2: int,
    j1: int,
    j2: int,
    ops: list[Opcode],
) -> bool:
    """Compare a[i1:i2] with b[j1:j2] into `ops`; True if it was too big and given whole."""
    while i1 < i2 and j1 < j2 and a[i1] == b[j1]:
        _append(ops, ("equal", i1, i1 + 1, j1, j1 + 1))
        i1, j1 = i1 + 1, j1 + 1
    tail: list[Opcode] = []
    while i1 < i2 and j1 < j2 and a[i2 - 1] == b[j2 - 1]:
        tail.append(("equal", i2 - 1, i2, j2 - 1, j2))
        i2, j2 = i2 - 1, j2 - 1
    coarse = False
    if i1 == i2 or j1 == j2:  # only added or only removed: nothing to compare
        middle = [("replace", i1, i2, j1, j2)]
    elif (i2 - i1) * (j2 - j1) <= SMALL:
        middle = _difflib(a, b, i1, i2, j1, j2)
    else:
        middle, coarse = [("replace", i1, i2, j1, j2)], True
    for op in [*middle, *reversed(tail)]:
        _append(ops, op)
    return coarse


def _append(ops: list[Opcode], op: Opcode) -> None:
    tag, i1, i2, j1, j2 = op
    if i1 == i2 and j1 == j2:
        return
    if tag != "equal":
        tag = "replace" if i1 < i2 and j1 < j2 else ("delete" if i1 < i2 else "insert")
    if ops and ops[-1][0] == tag and (tag == "equal" or tag != "replace"):
        last = ops[-1]
        if last[2] == i1 and last[4] == j1:
            ops[-1] = (tag, last[1], i2, last[3], j2)
            return
    if ops and ops[-1][0] != "equal" and tag != "equal":  # two changes in a row: one replace
        last = ops[-1]
        ops[-1] = ("replace", last[1], i2, last[3], j2)
        return
    ops.append((tag, i1, i2, j1, j2))


def _grouped(opcodes: list[Opcode], context: int) -> Iterator[list[Opcode]]:
    """difflib.SequenceMatcher.get_grouped_opcodes, for opcodes made as above."""
    codes = list(opcodes) or [("equal", 0, 1, 0, 1)]
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)
    nn = context + context
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > nn:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group
