"""What generated learners and assessors write: evidence titles, the content of each shipped
evidence type filled from its own spec (first person, past tense, no personal details, so it
passes the checks a learner's submission must pass), and assessors' feedback."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from portfolio.evidence.spec import EvidenceTypeSpec, FieldType, SectionSpec

TITLES = {
    "pts-a": (
        "Kettle refund within 30 days",
        "Faulty headphones: repair or replacement?",
        "Returning a jacket bought online",
        "A complaint about a late delivery",
        "Query about a guarantee on a washing machine",
        "Customer asked for a copy of their data",
        "Escalating a refund beyond my authority",
        "Logging a complaint, a query and a return",
        "Cracked phone screen returned after six weeks",
        "Goodwill gesture on an out-of-policy return",
        "Sofa delivered in the wrong colour",
        "Toaster that stopped working after a week",
        "Explaining the short-term right to reject",
        "Return authorisation for a faulty hoover",
        "Customer unhappy with a store credit note",
        "Pram returned with a broken wheel",
    ),
    "pts-b": (
        "Follow-up call after a repair",
        "Reviewing last month's comment cards",
        "Resolving a complaint about a missed SLA",
        "Online reviews: what customers told us",
        "Root cause of repeated delivery complaints",
        "Closing the loop on a survey finding",
        "Handling a complaint with LAST",
        "Post-interaction survey results",
        "Keeping a customer informed during a complaint",
        "Returns form for an exchanged coat",
        "A week of service interactions",
        "Changing our process after feedback",
        "Consistency in follow-up emails",
        "Fridge replacement and the follow-up",
        "Phone queue complaints and what changed",
        "Feedback from follow-up calls",
    ),
}

# First person, past tense, no names, numbers or addresses: what a careful learner writes.
SENTENCES = (
    "I listened to the customer without interrupting and repeated the problem back to check I "
    "had understood it.",
    "I apologised for the inconvenience and thanked the customer for bringing it to us.",
    "I checked the receipt and the date of purchase before I explained the options.",
    "I explained that under the Consumer Rights Act 2015 the goods had to be of satisfactory "
    "quality, as described and fit for purpose.",
    "Because the fault appeared within thirty days, I explained the short-term right to reject "
    "and offered a full refund.",
    "I completed the return authorisation form with the fault, the condition of the item and "
    "the outcome we agreed.",
    "I logged the contact as a complaint because the customer was unhappy with the service, "
    "not just asking a question.",
    "The refund was above my authority, so I passed it to my supervisor with a summary of what "
    "had happened.",
    "I kept the customer informed by email at each stage and told them when to expect a reply.",
    "I recorded the outcome on the returns log so that the audit trail was complete.",
    "I called the customer back two days later to check that the refund had arrived.",
    "The customer said they were happy with how it was handled and would shop with us again.",
    "Looking back, checking my understanding first saved time and avoided a second visit.",
    "The root cause was a faulty batch, so I suggested to my manager that the batch was checked "
    "before sale.",
    "Next time I will ask for the order details at the start of the call to save time.",
    "I used the LAST method: listen, apologise, solve and thank.",
    "I checked our returns policy before I agreed to the exchange, because the item was used.",
    "I offered a repair or a replacement and explained how long each would take.",
    "I asked open questions to find out what the customer needed from us.",
    "Our survey showed that customers wanted clearer delivery times, so we changed the wording "
    "of our emails.",
    "We read the comment cards every week and grouped them into themes.",
    "Most complaints that month were about delivery, so we looked at how orders were packed.",
    "I shared the findings at the team meeting and we agreed one change to try for a month.",
    "After the change, complaints about delivery fell and the follow-up calls were more positive.",
)
SHORT_TEXT = (
    "Recorded as agreed",
    "Passed to the returns team",
    "[order number]",
    "Logged in the returns log",
    "Checked by the supervisor",
)

ACCEPT_FEEDBACK = (
    "You explained the customer's statutory rights clearly and linked them to what you did; "
    "keep naming the law you applied.",
    "Your account shows active listening and a clear record of the outcome; the follow-up call "
    "was a good touch to mention.",
    "The form is complete and accurate, and you said where the record is kept.",
    "You showed when to escalate and why, and the summary you passed on is well described.",
    "A clear, well organised account: the steps are in order and each one says why you did it.",
)
REFER_FEEDBACK = (
    "Say which part of the Consumer Rights Act 2015 applied and why, then resubmit.",
    "Add how you recorded the outcome and where the record is kept, so the audit trail is clear.",
    "Explain how you confirmed you had understood the customer before offering a solution.",
    "Describe the escalation route you followed and who you passed the case to.",
    "Your account describes what should happen rather than what you did: rewrite it in the past "
    "tense about one real event.",
    "Give at least two methods of gathering feedback and what each one told you.",
)
POINT_COMMENTS_NOT_MET = (
    "Name the right that applied and the time limit for it.",
    "Say how you showed empathy: what did you say or do?",
    "The form is missing the condition of the item and the outcome.",
    "Explain why this was outside your authority and who you escalated to.",
    "Classify the contact and say why it was a complaint, a query or a return.",
    "Describe how you followed up and what the customer said.",
)
POINT_COMMENTS_MET = (
    "",
    "",
    "Clearly shown in the action section.",
    "Well evidenced by the record you attached.",
    "Shown in how you handled the call.",
)


def _long_text(section: SectionSpec, rng: random.Random) -> str:
    wanted = max(section.min_words, 12) + rng.randint(0, 40)
    if section.max_words:
        wanted = min(wanted, section.max_words)
    chosen: list[str] = []
    pool = list(SENTENCES)
    rng.shuffle(pool)
    words = 0
    for sentence in pool:
        if words >= wanted:
            break
        count = len(sentence.split())
        if section.max_words and words + count > section.max_words:
            continue
        chosen.append(sentence)
        words += count
    return " ".join(chosen)


def _date(day: date, rng: random.Random) -> str:
    # As people type dates: a date picker's ISO form mostly, sometimes by hand.
    style = rng.random()
    if style < 0.7:
        return day.isoformat()
    if style < 0.9:
        return f"{day.day}/{day.month}/{day.year}"
    return day.strftime("%d %B %Y").lstrip("0")


def _number(section: SectionSpec, rng: random.Random) -> str:
    low = section.min if section.min is not None else Decimal(1)
    high = section.max if section.max is not None else low + 40
    value = Decimal(rng.randint(int(max(low, Decimal(1))), int(max(high, Decimal(1)))))
    return (
        f"{value + Decimal(rng.choice((0, 0.49, 0.99))):.2f}"
        if (section.type is FieldType.MONEY)
        else str(value)
    )


def _value(section: SectionSpec, rng: random.Random, day: date) -> Any:
    kind = section.type
    if kind is FieldType.LONG_TEXT:
        return _long_text(section, rng)
    if kind is FieldType.TEXT:
        fits = [t for t in SHORT_TEXT if len(t.split()) <= (section.max_words or 99)]
        if section.max_words and section.max_words <= 3:
            # A time or a short code: "10:15", "about 2pm".
            minutes = rng.choice(("00", "15", "30", "45"))
            fits = [f"{rng.randint(8, 17)}:{minutes}", "[order number]"]
        return rng.choice(fits)
    if kind is FieldType.DATE:
        return _date(day - timedelta(days=rng.randint(0, 20)), rng)
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        return _number(section, rng)
    if kind is FieldType.CHOICE:
        return rng.choice(section.options).id
    if kind is FieldType.YES_NO:
        return rng.choice(("yes", "no"))
    if kind is FieldType.MULTI_CHOICE:
        return sorted({rng.choice(section.options).id for _ in range(2)})
    raise ValueError(kind)


def fill(spec: EvidenceTypeSpec, rng: random.Random, day: date) -> dict[str, Any]:
    """A whole, submittable content for `spec`, its dates shortly before `day`."""
    content: dict[str, Any] = {}
    for section in spec.sections:
        if section.type is FieldType.ROWS:
            content[section.id] = [
                {c.id: _value(c, rng, day) for c in section.columns}
                for _ in range(max(section.min_rows, 1) + rng.randint(0, 1))
            ]
        else:
            content[section.id] = _value(section, rng, day)
    return content


def redate(
    spec: EvidenceTypeSpec, content: dict[str, Any], rng: random.Random, day: date
) -> dict[str, Any]:
    """A copy of `content` with every date moved to shortly before `day`: the same variant of
    text, written about another event. (Dates are not free text: the checks do not read them.)"""
    copy: dict[str, Any] = {}
    for section in spec.sections:
        value = content[section.id]
        if section.type is FieldType.DATE:
            value = _date(day - timedelta(days=rng.randint(0, 20)), rng)
        elif section.type is FieldType.ROWS:
            value = [
                {
                    c.id: _date(day - timedelta(days=rng.randint(0, 20)), rng)
                    if c.type is FieldType.DATE
                    else row[c.id]
                    for c in section.columns
                }
                for row in value
            ]
        copy[section.id] = value
    return copy
