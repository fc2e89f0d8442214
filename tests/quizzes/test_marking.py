"""Marking a response to each type of question, and the misconceptions a wrong one reveals."""

from __future__ import annotations

from typing import Any

import pytest

from portfolio.data import DataSet
from portfolio.quizzes.marking import (
    Marking,
    ResponseError,
    Revealed,
    check_response,
    describe,
    mark,
    right_answer,
    why,
)
from portfolio.quizzes.spec import QuestionSpec, question_from_data
from tests.quizzes.support import wrong

SINGLE = question_from_data(
    {
        "id": "single",
        "stem": "Which?",
        "marking_points": ["pts-a.1"],
        "options": [
            {"id": "a", "text": "Right", "correct": True, "explanation": "Because."},
            {"id": "b", "text": "Wrong", "misconception": "m.b", "explanation": "Not b."},
            {"id": "c", "text": "Also wrong", "misconception": "m.c", "explanation": "Not c."},
        ],
    }
)
MULTIPLE = question_from_data(
    {
        "id": "multiple",
        "type": "multiple",
        "stem": "Which apply?",
        "marking_points": ["pts-a.3"],
        "options": [
            {
                "id": "listen",
                "text": "Listen first",
                "correct": True,
                "misconception": "m.rush",
                "explanation": "Listening finds the problem.",
            },
            {"id": "sorry", "text": "Say sorry", "correct": True, "explanation": "Empathy."},
            {
                "id": "blame",
                "text": "Blame the courier",
                "misconception": "m.blame",
                "explanation": "Blaming helps nobody.",
            },
        ],
    }
)
TRUE_FALSE = question_from_data(
    {
        "id": "tf",
        "type": "true_false",
        "stem": "A notice can take away statutory rights.",
        "marking_points": ["pts-a.1"],
        "answer": False,
        "explanation": "It cannot.",
        "misconception": "m.notice",
    }
)
ORDER = question_from_data(
    {
        "id": "order",
        "type": "order",
        "stem": "Put these in order.",
        "marking_points": ["pts-a.4"],
        "steps": [
            {"id": "listen", "text": "Listen"},
            {"id": "agree", "text": "Agree a fix"},
            {"id": "check", "text": "Check it worked"},
            {"id": "close", "text": "Close the case"},
        ],
        "explanation": "Understand, fix, check, close.",
        "misconception": "m.order",
        "mistakes": [
            {
                "placed": "agree",
                "before": "listen",
                "misconception": "m.rush",
                "explanation": "A fix before the problem.",
            },
            {
                "placed": "close",
                "before": "check",
                "misconception": "m.no-follow-up",
                "explanation": "Closed before checking.",
            },
        ],
    }
)
CLASSIFY = question_from_data(
    {
        "id": "classify",
        "type": "classify",
        "stem": "Sort these.",
        "marking_points": ["pts-a.2"],
        "categories": [
            {"id": "complaint", "label": "Complaint"},
            {"id": "query", "label": "Query"},
            {"id": "return", "label": "Return"},
        ],
        "items": [
            {
                "id": "late",
                "text": "Third time I have chased this!",
                "category": "complaint",
                "misconception": "m.word",
                "explanation": "Unhappy, expects a reply.",
            },
            {
                "id": "address",
                "text": "What is your address?",
                "category": "query",
                "misconception": "m.keyword",
                "explanation": "Only wants information.",
            },
            {
                "id": "refund-address",
                "text": "Where do I send returns?",
                "category": "query",
                "misconception": "m.keyword",
                "explanation": "Still only information.",
            },
        ],
    }
)
ITEMS = {"late": "complaint", "address": "query", "refund-address": "query"}


def _revealed(*pairs: tuple[str, str]) -> tuple[Revealed, ...]:
    return tuple(Revealed(m, e) for m, e in pairs)


@pytest.mark.parametrize(
    ("question", "response", "correct", "revealed"),
    [
        (SINGLE, {"choice": "a"}, True, ()),
        (SINGLE, {"choice": "b"}, False, _revealed(("m.b", "Not b."))),
        (SINGLE, {"choice": "c"}, False, _revealed(("m.c", "Not c."))),
        (TRUE_FALSE, {"choice": "false"}, True, ()),
        (TRUE_FALSE, {"choice": "true"}, False, _revealed(("m.notice", "It cannot."))),
        (MULTIPLE, {"choices": ["listen", "sorry"]}, True, ()),
        # A wrong option chosen shows its misconception...
        (
            MULTIPLE,
            {"choices": ["listen", "sorry", "blame"]},
            False,
            _revealed(("m.blame", "Blaming helps nobody.")),
        ),
        # ...and so does a right one left out, where it names one.
        (
            MULTIPLE,
            {"choices": ["sorry"]},
            False,
            _revealed(("m.rush", "Listening finds the problem.")),
        ),
        (
            MULTIPLE,
            {"choices": ["sorry", "blame"]},
            False,
            _revealed(
                ("m.rush", "Listening finds the problem."), ("m.blame", "Blaming helps nobody.")
            ),
        ),
        # A right option left out that names no misconception: wrong, but reveals nothing.
        (MULTIPLE, {"choices": ["listen"]}, False, ()),
        (ORDER, {"order": ["listen", "agree", "check", "close"]}, True, ()),
        # A listed mistake reveals its own misconception, not the general one...
        (
            ORDER,
            {"order": ["agree", "listen", "check", "close"]},
            False,
            _revealed(("m.rush", "A fix before the problem.")),
        ),
        (
            ORDER,
            {"order": ["agree", "listen", "close", "check"]},
            False,
            _revealed(
                ("m.rush", "A fix before the problem."),
                ("m.no-follow-up", "Closed before checking."),
            ),
        ),
        # ...and any other wrong order the question's general one.
        (
            ORDER,
            {"order": ["listen", "check", "agree", "close"]},
            False,
            _revealed(("m.order", "Understand, fix, check, close.")),
        ),
        (CLASSIFY, {"items": ITEMS}, True, ()),
        # Each item in the wrong category shows its misconception, once.
        (
            CLASSIFY,
            {"items": {**ITEMS, "late": "query"}},
            False,
            _revealed(("m.word", "Unhappy, expects a reply.")),
        ),
        (
            CLASSIFY,
            {"items": {"late": "return", "address": "complaint", "refund-address": "return"}},
            False,
            _revealed(
                ("m.word", "Unhappy, expects a reply."), ("m.keyword", "Only wants information.")
            ),
        ),
        (
            CLASSIFY,
            {"items": {**ITEMS, "refund-address": "return"}},
            False,
            _revealed(("m.keyword", "Still only information.")),
        ),
    ],
)
def test_mark(
    question: QuestionSpec,
    response: dict[str, Any],
    correct: bool,
    revealed: tuple[Revealed, ...],
) -> None:
    marking = mark(question, response)
    assert marking.correct is correct
    assert marking.revealed == revealed


def test_true_false_whose_answer_is_true() -> None:
    data = {**TRUE_FALSE.to_data(), "answer": True}
    question = question_from_data(data)
    assert mark(question, {"choice": "true"}).correct
    assert mark(question, {"choice": "false"}).revealed == _revealed(("m.notice", "It cannot."))


@pytest.mark.parametrize("question", [SINGLE, MULTIPLE, TRUE_FALSE, ORDER, CLASSIFY])
def test_the_right_answer_is_marked_right_and_every_misconception_can_be_shown(
    question: QuestionSpec,
) -> None:
    assert mark(question, right_answer(question)) == Marking(correct=True, revealed=())
    for misconception in question.misconceptions():
        assert misconception in {
            r.misconception_id for r in mark(question, wrong(question, misconception)).revealed
        }


def test_every_shipped_question_can_show_each_misconception_it_names(
    shipped_data: DataSet,
) -> None:
    """Otherwise a learner could never be found holding it, or clear it, by that question."""
    for quiz in shipped_data.quizzes:
        for question in quiz.questions:
            assert mark(question, right_answer(question)).correct, question.id
            for misconception in question.misconceptions():
                wrong(question, misconception)  # fails saying which, if none reveals it


@pytest.mark.parametrize(
    ("question", "response", "message"),
    [
        (SINGLE, {}, "Choose an answer."),
        (SINGLE, {"choice": ""}, "Choose an answer."),
        (SINGLE, {"choice": "late"}, "named an option that does not belong to its question"),
        (SINGLE, {"choice": "true"}, "named an option that does not belong to its question"),
        (TRUE_FALSE, {"choice": "a"}, "named an option that does not belong to its question"),
        (TRUE_FALSE, {"choice": "maybe"}, "named an option that does not belong to its question"),
        (TRUE_FALSE, {}, "Choose an answer."),
        (MULTIPLE, {}, "Choose at least one answer."),
        (MULTIPLE, {"choices": []}, "Choose at least one answer."),
        (MULTIPLE, {"choices": "listen"}, "Choose at least one answer."),
        (MULTIPLE, {"choices": ["listen", "a"]}, "named an option that does not belong"),
        (MULTIPLE, {"choices": ["listen", "listen"]}, "named an option that does not belong"),
        (ORDER, {}, "Give each step a different position"),
        (ORDER, {"order": ["listen", "agree", "check"]}, "Give each step a different position"),
        (
            ORDER,
            {"order": ["listen", "agree", "check", "check"]},
            "Give each step a different position",
        ),
        (
            ORDER,
            {"order": ["listen", "agree", "check", "close", "extra"]},
            "Give each step a different position",
        ),
        (
            ORDER,
            {"order": ["listen", "agree", "check", "a"]},
            "Give each step a different position",
        ),
        (CLASSIFY, {}, "Put every item in a category."),
        (CLASSIFY, {"items": {"late": "complaint"}}, "Put every item in a category."),
        (CLASSIFY, {"items": {**ITEMS, "stranger": "query"}}, "Put every item in a category."),
        (CLASSIFY, {"items": ["late"]}, "Put every item in a category."),
        (
            CLASSIFY,
            {"items": {**ITEMS, "late": "praise"}},
            "An item was put in a category that does not belong to its question.",
        ),
    ],
)
def test_a_response_that_does_not_fit_its_question_is_refused(
    question: QuestionSpec, response: dict[str, Any], message: str
) -> None:
    with pytest.raises(ResponseError, match=message):
        check_response(question, response)
    with pytest.raises(ResponseError, match=message):
        mark(question, response)


def test_check_response_gives_the_canonical_form() -> None:
    assert check_response(MULTIPLE, {"choices": ["blame", "listen"], "x": 1}) == {
        "choices": ["listen", "blame"]
    }
    shuffled = {"refund-address": "query", "late": "complaint", "address": "query"}
    assert list(check_response(CLASSIFY, {"items": shuffled})["items"]) == list(ITEMS)
    assert check_response(SINGLE, {"choice": "b", "extra": "x"}) == {"choice": "b"}


def test_describe_the_right_answer_and_why() -> None:
    assert describe(SINGLE, right_answer(SINGLE)) == ["Right"]
    assert describe(TRUE_FALSE, right_answer(TRUE_FALSE)) == ["False"]
    assert describe(MULTIPLE, right_answer(MULTIPLE)) == ["Listen first", "Say sorry"]
    assert describe(ORDER, {"order": ["agree", "listen", "check", "close"]}) == [
        "1. Agree a fix",
        "2. Listen",
        "3. Check it worked",
        "4. Close the case",
    ]
    assert describe(CLASSIFY, {"items": {**ITEMS, "late": "return"}})[0] == (
        "Third time I have chased this! — Return"
    )
    assert why(SINGLE) == ["Because."]
    assert why(MULTIPLE) == ["Listening finds the problem.", "Empathy."]
    assert why(TRUE_FALSE) == ["It cannot."]
    assert why(ORDER) == ["Understand, fix, check, close."]
    assert why(CLASSIFY)[1] == "What is your address? — Query: Only wants information."
