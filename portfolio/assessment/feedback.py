"""Feedback that does not help: only generic praise ("Well done!", "good work, keep it up"), or
too short to say what to do. Pure text checks; marking refuses such feedback on a referral and on
a point not yet met, and warns about it on an acceptance."""

from __future__ import annotations

import re

# Praise that names nothing the learner did. Several words each: matched as whole phrases.
_PRAISE = (
    "well done",
    "done well",
    "good work",
    "great work",
    "nice work",
    "good job",
    "great job",
    "nice job",
    "nice one",
    "good one",
    "keep it up",
    "keep up the good work",
    "keep up the great work",
    "good effort",
    "great effort",
    "top work",
    "spot on",
    "good stuff",
    "great stuff",
    "thank you",
    "excellent",
    "brilliant",
    "fantastic",
    "superb",
    "outstanding",
    "perfect",
    "amazing",
    "awesome",
    "lovely",
    "wonderful",
    "terrific",
    "impressive",
    "impressed",
    "pleased",
    "great",
    "good",
    "nice",
    "fab",
    "brill",
    "thanks",
    "ok",
    "okay",
    "fine",
    "cool",
)
# Words that can sit around praise without saying anything more ("a really good piece of work
# overall"). Deliberately no verbs of doing: "add", "show", "explain" mean it says what to do.
_FILLER = frozenset(
    " ".join(
        (
            "a an the and so very really truly just this that it its it's is was you your yours",
            "overall all of piece work job effort evidence account answer here there again too",
            "as always once indeed definitely absolutely quite that's you've you're i i'm am",
            "what such with",
        )
    ).split()
)
_PHRASES = sorted((tuple(p.split()) for p in _PRAISE), key=len, reverse=True)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
MIN_WORDS = 3


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("\u2019", "'"))


def is_generic_praise(text: str) -> bool:
    """True when, praise phrases and filler taken away, nothing is left: the text names no
    action, point or part of the evidence."""
    words = _words(text)
    praised, i = False, 0
    while i < len(words):
        phrase = next((p for p in _PHRASES if tuple(words[i : i + len(p)]) == p), None)
        if phrase is not None:
            praised, i = True, i + len(phrase)
        elif words[i] in _FILLER:
            i += 1
        else:
            return False
    return praised


PRAISE_PROBLEM = "general praise does not say what is missing or how to show it."


def feedback_problem(text: str) -> str | None:
    """Why `text` does not tell a learner what to do, or None when it may."""
    if is_generic_praise(text):
        return PRAISE_PROBLEM
    if len(_words(text)) < MIN_WORDS:
        return f"write at least {MIN_WORDS} words naming what to add or change."
    return None


def referral_message(problem: str) -> str:
    return f"A referral must say what the learner needs to do: {problem}"


def point_message(problem: str) -> str:
    return f"Say what is missing for this point: {problem}"


ACCEPTANCE_WARNING = (
    "Your feedback was only general praise. Next time, say what the learner did well against "
    "the marking points, so they know what to keep doing."
)
