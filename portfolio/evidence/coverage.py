"""Coverage hints, as pure functions: which marking points a text seems to address, found from the
cue words and phrases each point defines in rubrics/. Hints only: the assessor decides."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol


class CuedPoint(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def cues(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Hint:
    point_id: str
    text: str
    matched: tuple[str, ...]  # the point's cues found in the text, as the rubric spells them

    @property
    def covered(self) -> bool:
        return bool(self.matched)


# Endings a cue word may take in the learner's text: "refund" finds "refunded", "apologised"
# finds "apologise" and "apologising", "query" finds "queries". Deliberately simple: a cue that
# finds too much costs a hint, and the assessor reads the account anyway.
_STRIP = ("ing", "ed", "es", "s", "e")
_ENDINGS = "(?:e|es|ed|d|s|ing|er|ers)?"


def _word(word: str) -> str:
    w = word.casefold()
    if not w.isalpha() or len(w) <= 3:
        return re.escape(w)
    if w.endswith(("ied", "ies")):
        w = w[:-3] + "y"
    if w.endswith("y"):
        stem, tail = w[:-1], "(?:y|ie|i)"
    else:
        stem, tail = w, ""
        for suffix in _STRIP:
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                stem = w[: -len(suffix)]
                break
    pattern = re.escape(stem)
    if not tail and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
        pattern = re.escape(stem) + "?"  # "logged" -> log, logs, logged, logging
    # British and American spellings: apologise / apologize, authorisation / authorization.
    return pattern.replace("is", "i[sz]") + tail + _ENDINGS


@lru_cache(maxsize=512)
def _cue_pattern(cue: str) -> re.Pattern[str]:
    words = [w for w in re.split(r"[\s-]+", cue.strip()) if w]
    return re.compile(r"(?<!\w)" + r"[\s-]+".join(_word(w) for w in words) + r"(?!\w)", re.I)


def coverage(text: str, points: Sequence[CuedPoint]) -> list[Hint]:
    """One hint per marking point, in the rubric's order: the cues found, if any."""
    return [
        Hint(
            point.id,
            point.text,
            tuple(c for c in point.cues if c.strip() and _cue_pattern(c).search(text)),
        )
        for point in points
    ]
