"""Checks on a learner's own text, as pure functions (no Flask, no database): personal details
to anonymise, hypothetical wording where a reflective account needs what was done, and which
marking points the text seems to address."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from portfolio.evidence.coverage import Hint, coverage

__all__ = [
    "Flag",
    "Hint",
    "NameLabeller",
    "collect_customer_names",
    "coverage",
    "find_hypothetical",
    "find_personal_data",
    "luhn_valid",
]

PERSONAL_LABELS = {
    "email": "[email address]",
    "phone": "[phone number]",
    "postcode": "[postcode]",
    "card": "[card number]",
    "order_number": "[order number]",
    "account_number": "[account number]",
}
KIND_NAMES = {
    "email": "an email address",
    "phone": "a phone number",
    "postcode": "a postcode",
    "card": "a card number",
    "order_number": "an order or reference number",
    "account_number": "an account number",
    "name": "a person's name",
}


@dataclass(frozen=True)
class Flag:
    """One finding: `text` is exactly `source[start:end]`. Personal-data flags carry the neutral
    `label` that replaces it; real-work flags carry `why` instead."""

    kind: str
    start: int
    end: int
    text: str
    label: str = ""
    why: str = ""


# --- Names -----------------------------------------------------------------------------------

_NAME_WORD = r"(?:Mc|Mac|O['\u2019])?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?"
_NAMES = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?"
# "miss" is a common verb, so only the capitalised title counts; the others are unambiguous.
_TITLED = re.compile(rf"\b(?:(?i:mrs|mr|ms|mx|dr|prof)|Miss)\.?[ \t]+(?P<name>{_NAMES})")
# How learners introduce a customer by name elsewhere in their portfolio.
_INTRODUCED = (
    re.compile(rf"(?i:\b(?:customer|client|caller)\s+(?:called|named))\s+(?P<name>{_NAMES})"),
    re.compile(rf"(?i:\bnamed)\s+(?P<name>{_NAMES})"),
    re.compile(rf"(?i:\b(?:customer|client|caller))\s*:[ \t]*(?P<name>{_NAMES})"),
    re.compile(rf"(?i:\b(?:customer|client|caller)),[ \t]+(?P<name>{_NAMES}),"),
)
# Capitalised words that start sentences or name things, never people: a "name" made only of
# these is not one, and a trailing one is not part of the name ("Mrs Patel Then I ...").
_NOT_NAMES = frozenset(
    """a an and the then so but when after before while although because however i he she they
    we it this that these those his her their our my your there here what which who yes no not
    if as at by for from in into of on to with about customer customers client caller store
    shop manager supervisor team services service company act consumer rights refund return
    returns order account thanks thank hello hi dear sorry please monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august
    september october november december christmas easter pepper martens oetker""".split()  # noqa: SIM905
)
_LABEL_TAKEN = re.compile(r"\bCustomer ([A-Z])\b")


def _clean_name(name: str) -> str:
    """Drop trailing sentence words from a matched name; '' if nothing name-like remains."""
    words = name.split()
    while words and words[-1].casefold() in _NOT_NAMES:
        words.pop()
    return " ".join(words) if words and words[0].casefold() not in _NOT_NAMES else ""


def collect_customer_names(text: str) -> set[str]:
    """Names the learner has given a customer ("the customer, Anita Patel," / "named Jo Bloggs" /
    "Mrs Patel"), so the same names can be found in their other evidence."""
    found = set()
    for pattern in (*_INTRODUCED, _TITLED):
        for match in pattern.finditer(text):
            name = _clean_name(match.group("name"))
            if name:
                found.add(name)
    return found


def _person_key(name: str) -> str:
    # The surname: "Mrs Patel", "Anita Patel" and "Dr A Patel" are the same customer.
    return name.split()[-1].casefold()


@dataclass
class NameLabeller:
    """Hands out "Customer A", "Customer B" ... one letter per distinct person, skipping letters
    the text already uses, so two people never end up with the same label after a redaction."""

    taken: set[str] = field(default_factory=set)
    given: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_texts(cls, texts: Iterable[str]) -> NameLabeller:
        return cls({m.group(1) for t in texts for m in _LABEL_TAKEN.finditer(t)})

    def label(self, key: str) -> str:
        if key not in self.given:
            letter = next(
                c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in self.taken
            )  # 26 distinct customers in one account is beyond any real one
            self.taken.add(letter)
            self.given[key] = f"Customer {letter}"
        return self.given[key]


# --- Numbers and addresses -------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+44[ -]?(?:\(0\)[ -]?)?|\(0|0)\d{1,4}\)?(?:[ -]?\d){6,9}(?!\d)")
_NATIONAL = re.compile(r"0(?:7\d{9}|[123]\d{8,9})")
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
# The real shape of a UK postcode: outward A9, A99, AA9, AA99, A9A or AA9A (with the letters
# each position allows), then 9AA where the inward letters never include C, I, K, M, O or V.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)"
    r" ?\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_ORDINAL = frozenset({"st", "nd", "rd", "th"})
_REFERENCE = re.compile(
    r"\b(?P<kw>order|invoice|tracking|ref|reference|booking|receipt|ra|account|acc|acct|a/c)"
    r"(?:\s+(?:number|no|num|nr|id|code|ref|reference))?\.?"
    r"[ \t]*(?:[:#][ \t]*|(?:is|was)[ \t]+)?#?"
    r"(?P<code>(?=[A-Z0-9/-]*\d)[A-Z0-9](?:[A-Z0-9/-]*[A-Z0-9])?)(?![\w/-])"
    r"|(?<![\w&#])#[ \t]?(?P<hash>(?=[A-Z0-9-]*\d)[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?)(?![\w-])",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{1,4}[/-]\d{1,2}[/-]\d{1,4}")
# "RA-XXXX-482": the learner has already hidden it, as the evidence types ask.
_MASKED = re.compile(r"x{3,}", re.IGNORECASE)
_ACCOUNT_WORDS = frozenset({"account", "acc", "acct", "a/c"})
# A field whose label names a reference ("Order or receipt reference", "RA number") holds codes
# with no keyword before them: there the label is the keyword.
_REFERENCE_FIELD = re.compile(
    r"\b(?:order|invoice|tracking|ref|reference|booking|receipt|RA|account)\b", re.IGNORECASE
)
_BARE_CODE = re.compile(
    r"(?<![\w/-])(?=[A-Z0-9/-]*\d)[A-Z0-9](?:[A-Z0-9/-]*[A-Z0-9])?(?![\w/-])", re.IGNORECASE
)


def luhn_valid(digits: str) -> bool:
    """The check digit card numbers carry: a mistyped or made-up run of digits fails it."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _trimmed(span: str) -> Iterable[str]:
    """The span, then the span without its last group of digits, and so on: a greedy match
    may have run on into a date or a quantity written after the number."""
    while span:
        yield span
        cut = max(span.rfind(" "), span.rfind("-"))
        if cut <= 0:
            return
        span = span[:cut].rstrip(" -")


def _phone_ok(span: str) -> bool:
    digits = re.sub(r"\D", "", span)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
        if digits.startswith("00"):  # +44 (0)20 ...
            digits = digits[1:]
    return bool(_NATIONAL.fullmatch(digits))


def _is_reference(code: str) -> bool:
    return not (len(re.sub(r"[/-]", "", code)) < 5 or _DATE.fullmatch(code) or _MASKED.search(code))


def _spans(text: str, field_label: str) -> Iterable[tuple[int, int, str, str]]:
    """(start, end, kind, person key) for every candidate, overlapping ones included."""
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "email", ""
    for m in _CARD.finditer(text):
        for span in _trimmed(m.group()):
            digits = re.sub(r"\D", "", span)
            if len(digits) >= 13 and luhn_valid(digits):
                yield m.start(), m.start() + len(span), "card", ""
                break
    for m in _PHONE.finditer(text):
        for span in _trimmed(m.group()):
            if _phone_ok(span):
                yield m.start(), m.start() + len(span), "phone", ""
                break
    for m in _POSTCODE.finditer(text):
        code = m.group()
        inward = code.replace(" ", "")[-2:]
        if not code.isupper() and (" " not in code or inward in _ORDINAL):
            continue  # "a1 2nd", "ab12cd": lower-case look-alikes, not addresses
        yield m.start(), m.end(), "postcode", ""
    for m in _REFERENCE.finditer(text):
        group = "code" if m.group("code") else "hash"
        if not _is_reference(m.group(group)):
            continue
        kw = (m.group("kw") or "").casefold()
        kind = "account_number" if kw in _ACCOUNT_WORDS else "order_number"
        yield m.start(group), m.end(group), kind, ""
    if labelled := _REFERENCE_FIELD.search(field_label):
        kind = "account_number" if labelled.group().casefold() == "account" else "order_number"
        for m in _BARE_CODE.finditer(text):
            if _is_reference(m.group()):
                yield m.start(), m.end(), kind, ""


def _name_spans(text: str, known_names: Iterable[str]) -> Iterable[tuple[int, int, str, str]]:
    for m in _TITLED.finditer(text):
        name = _clean_name(m.group("name"))
        if name:
            end = m.start("name") + len(m.group("name").split(name, 1)[0]) + len(name)
            yield m.start(), end, "name", _person_key(name)
    # Each known name and its parts ("Anita Patel", "Anita", "Patel"), longest first so the
    # full name wins; every part points at the same person.
    parts: dict[str, str] = {}
    for name in sorted({*known_names, *collect_customer_names(text)}, key=len, reverse=True):
        key = _person_key(name)
        parts.setdefault(name, key)
        for word in name.split():
            if word.casefold() not in _NOT_NAMES and len(word) > 1:
                parts.setdefault(word, key)
    yield from _find_parts(text, parts)


# The runs a name part must fill exactly: a part is found only where what comes before and after
# it could not continue a word.
_WORD_RUN = re.compile(r"[\w'\u2019-]+")


def _find_parts(text: str, parts: dict[str, str]) -> Iterable[tuple[int, int, str, str]]:
    """Each part where it stands alone in the text, the longest first where parts overlap, in one
    pass over the text's words (not one search of the whole text per name): a part is one word
    or words with one space between, so it is looked up word by word in a dict."""
    simple = {p: k for p, k in parts.items() if all(_WORD_RUN.fullmatch(w) for w in p.split(" "))}
    others = {p: k for p, k in parts.items() if p not in simple}
    if simple:
        most = max(p.count(" ") for p in simple) + 1
        runs = [(m.start(), m.end()) for m in _WORD_RUN.finditer(text)]
        i = 0
        while i < len(runs):
            for n in range(min(most, len(runs) - i), 0, -1):
                last = i + n - 1
                if any(
                    runs[k][1] + 1 != runs[k + 1][0] or text[runs[k][1]] != " "
                    for k in range(i, last)
                ):
                    continue
                found = text[runs[i][0] : runs[last][1]]
                if found in simple:
                    yield runs[i][0], runs[last][1], "name", simple[found]
                    i = last
                    break
            i += 1
    if others:  # not from a learner's text (names there are words and single spaces)
        alternation = "|".join(re.escape(p) for p in sorted(others, key=len, reverse=True))
        for m in re.finditer(rf"(?<![\w'\u2019-])(?:{alternation})(?![\w'\u2019-])", text):
            yield m.start(), m.end(), "name", others[m.group()]


_PRIORITY = {"email": 0, "card": 1, "phone": 2, "postcode": 3, "order_number": 4}


def find_personal_data(
    text: str,
    known_names: Iterable[str] = (),
    labeller: NameLabeller | None = None,
    field_label: str = "",
) -> list[Flag]:
    """Personal details in `text`, in order, none overlapping. Names are those after a title
    (Mr, Mrs, Dr ...) and `known_names` (customers' names from the learner's other text).
    Pass one `labeller` for all of a draft's fields so a person keeps one label throughout, and
    the `field_label` the text was typed under (a reference field's codes need no keyword)."""
    labeller = labeller or NameLabeller.for_texts([text])
    candidates = [*_spans(text, field_label), *_name_spans(text, known_names)]
    # The more certain kind wins an overlap (an email holds what looks like a name), then the
    # longer match ("Mrs Anita Patel" over "Anita Patel").
    candidates.sort(key=lambda c: (_PRIORITY.get(c[2], 5), c[0] - c[1]))
    kept: list[tuple[int, int, str, str]] = []
    starts: list[int] = []  # of `kept`, sorted: they never overlap, so a neighbour tells
    ends: list[int] = []
    for candidate in candidates:
        start, end = candidate[0], candidate[1]
        at = bisect_right(starts, start)
        if (at and ends[at - 1] > start) or (at < len(starts) and starts[at] < end):
            continue
        kept.append(candidate)
        starts.insert(at, start)
        ends.insert(at, end)
    flags = []
    for start, end, kind, key in sorted(kept):
        label = labeller.label(key) if kind == "name" else PERSONAL_LABELS[kind]
        flags.append(Flag(kind, start, end, text[start:end], label=label))
    return flags


# --- Real work -------------------------------------------------------------------------------

_WHY_CONDITIONAL = (
    "A reflective account needs what you did, in the past tense: write “I checked…”, "
    "not “I would check…”."
)
_WHY_FUTURE = (
    "This reads as a plan. Say what you did at the time: “I called the customer back”, "
    "not “I will call…”. Plans belong in your reflection, after “next time”."
)
_WHY_COULD = (
    "“I could…” says what was possible, not what happened. Say what you actually did: “I offered…”."
)
_WHY_SHOULD = "“I should…” says what ought to happen. Say what you actually did, in the past tense."
_WHY_YOU = (
    "This reads as advice to someone else (“you should…”). A reflective account is about you: "
    "say what you did, in the first person (“I…”)."
)
_WHY_STAFF = (
    "This says what staff in general should do. Your assessor needs what you did yourself: "
    "write “I…”."
)
_A = "['\u2019]"
_HYPOTHETICAL = [
    ("conditional", re.compile(rf"\bI\s+would\b|\bI{_A}d\b", re.I), _WHY_CONDITIONAL),
    ("future", re.compile(rf"\bI\s+will\b|\bI{_A}ll\b|\bI\s+am\s+going\s+to\b", re.I), _WHY_FUTURE),
    ("conditional", re.compile(r"\bI\s+could\b", re.I), _WHY_COULD),
    ("conditional", re.compile(r"\bI\s+should\b", re.I), _WHY_SHOULD),
    (
        "second_person",
        re.compile(rf"\byou\s+(?:should|would|must|need\s+to|have\s+to)\b|\byou{_A}d\b", re.I),
        _WHY_YOU,
    ),
    (
        "general",
        re.compile(
            r"\b(?:adviser|advisor|assistant|staff|colleague|agent|employee)s?"
            r"\s+(?:should|must|ought\s+to|needs?\s+to)\b|\bone\s+(?:should|must)\b",
            re.I,
        ),
        _WHY_STAFF,
    ),
]
# Reflection legitimately looks ahead ("next time I would ...") or back ("I should have ...").
_FORWARD = re.compile(
    r"\bnext time\b|\bin (?:the )?future\b|\bfrom now on\b|\bgoing forward\b|\bdifferently\b"
    r"|\bif (?:it|this|that) happen(?:s|ed)? again\b",
    re.I,
)
# "I'd already checked" is "I had": past perfect, what happened.
# Possessive spaces (\s++): no backtracking through a run of them, whatever follows.
_HAD = re.compile(
    r"\s++(?:not\s++)?(?:already|just|been|never|had|previously|done|seen|given|taken|spoken|"
    r"sent|told|made|got|forgotten|written|known|\w{3,}ed)\b",
    re.I,
)
# "I could see she was upset", "I could not find the order": the narrative past of "can".
_COULD_PAST = re.compile(
    r"\s++(?:not|n['\u2019]t|see|hear|tell|sense|feel|understand|find|only)\b", re.I
)
_HAVE = re.compile(rf"\s++(?:have\b|{_A}ve\b)", re.I)
_SENTENCE_END = re.compile(r"[.!?\n]")


_QUOTE_MARKS = re.compile('["“”]')


class _Positions:
    """Where a text's sentences end and its quotation marks are, found once, so that each
    match is placed by bisection rather than by counting through the text before it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentence_ends = [m.start() for m in _SENTENCE_END.finditer(text)]
        marks: dict[str, list[int]] = {'"': [], "“": [], "”": []}
        for m in _QUOTE_MARKS.finditer(text):
            marks[m.group()].append(m.start())
        self.straight, self.opening, self.closing = marks['"'], marks["“"], marks["”"]
        self.forward: dict[tuple[int, int], bool] = {}  # sentence -> looks ahead or back

    def looks_forward(self, start: int, end: int) -> bool:
        """_FORWARD in the sentence holding start..end, searched once per sentence."""
        k = bisect_left(self.sentence_ends, start)
        before = self.sentence_ends[k - 1] + 1 if k else 0
        k = bisect_left(self.sentence_ends, end)
        after = self.sentence_ends[k] if k < len(self.sentence_ends) else len(self.text)
        if (before, after) not in self.forward:
            found = _FORWARD.search(self.text[before:after])
            self.forward[(before, after)] = found is not None
        return self.forward[(before, after)]

    def quoted(self, pos: int) -> bool:
        """Inside quotation marks: the customer's words reported, not the learner's account."""
        if bisect_left(self.straight, pos) % 2:
            return True
        return _last_before(self.opening, pos) > _last_before(self.closing, pos)


def _last_before(positions: list[int], pos: int) -> int:
    k = bisect_left(positions, pos)
    return positions[k - 1] if k else -1


def _exempt(kind: str, where: _Positions, match: re.Match[str]) -> bool:
    text, found, after = where.text, match.group().casefold(), match.end()
    if where.quoted(match.start()):
        return True
    if re.fullmatch(rf"i{_A}d", found) and _HAD.match(text, after):
        return True
    if found.endswith("could") and _COULD_PAST.match(text, after):
        return True
    # Looking back ("I should have asked") or ahead ("next time I would") is what a
    # reflection is for; only first-person wording gets this pass, advice to "you" does not.
    return kind in ("conditional", "future") and bool(
        _HAVE.match(text, after) or where.looks_forward(match.start(), match.end())
    )


def find_hypothetical(text: str) -> list[Flag]:
    """Hypothetical, future or second-person wording, each with why it weakens the account."""
    where = _Positions(text)
    flags = [
        Flag(kind, m.start(), m.end(), m.group(), why=why)
        for kind, pattern, why in _HYPOTHETICAL
        for m in pattern.finditer(text)
        if not _exempt(kind, where, m)
    ]
    return sorted(flags, key=lambda f: f.start)
