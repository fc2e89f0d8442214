"""Feedback that is only generic praise, or too short to say what to do, is flagged."""

from __future__ import annotations

import pytest

from portfolio.assessment.feedback import (
    PRAISE_PROBLEM,
    feedback_problem,
    is_generic_praise,
    referral_message,
)


@pytest.mark.parametrize(
    "text",
    [
        "Well done",
        "well done!",
        "WELL DONE!!!",
        "Well done.  Keep it up :)",
        "Good work",
        "good work, keep it up",
        "Great job!",
        "Excellent.",
        "excellent work",
        "Nice one",
        "Keep up the good work!",
        "Brilliant - well done",
        "A really good piece of work overall, well done.",
        "Fantastic effort, thank you!",
        "Great stuff 👍",
        "Good.",
        "Spot on, superb!",
        "That\u2019s excellent \u2014 well done",  # curly apostrophe, em dash
    ],
)
def test_generic_praise_is_flagged(text: str) -> None:
    assert is_generic_praise(text)
    assert feedback_problem(text) == PRAISE_PROBLEM


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Attach the RA form.",
        "Well done on the refund; now add the RA number you issued.",
        "Good work. Explain why the 30-day right to reject applied.",
        "Show who signed the returns log.",
        "Excellent listening: say how you checked the customer's receipt.",
        "Keep it up, but name the policy you applied.",
    ],
)
def test_feedback_that_says_something_is_not_praise_only(text: str) -> None:
    assert not is_generic_praise(text)


@pytest.mark.parametrize("text", ["Redo.", "Try again.", "More detail"])
def test_too_short_to_say_what_to_do(text: str) -> None:
    assert not is_generic_praise(text)
    problem = feedback_problem(text)
    assert problem is not None and "at least 3 words" in problem


def test_enough_to_act_on_passes() -> None:
    assert feedback_problem("Show the log.") is None
    assert feedback_problem("Attach the RA form and say who signed it.") is None


def test_the_referral_message_leads_with_what_a_referral_needs() -> None:
    assert referral_message(PRAISE_PROBLEM) == (
        "A referral must say what the learner needs to do: general praise does not say what "
        "is missing or how to show it."
    )
