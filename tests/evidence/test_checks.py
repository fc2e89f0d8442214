"""The checks on a learner's text as pure functions: personal details found and labelled, false
alarms left alone, and hypothetical wording told from past tense."""

from __future__ import annotations

import pytest

from portfolio.evidence.checks import (
    NameLabeller,
    collect_customer_names,
    find_hypothetical,
    find_personal_data,
    luhn_valid,
)
from tests.factories import ACCOUNT


def _found(text: str, known: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_personal_data(text, known)]


@pytest.mark.parametrize(
    ("text", "kind", "found", "label"),
    [
        (
            "Email me at jo.bloggs+shop@example.co.uk today",
            "email",
            "jo.bloggs+shop@example.co.uk",
            "[email address]",
        ),
        ("She rang from 07700 900123 twice.", "phone", "07700 900123", "[phone number]"),
        ("She rang from 07700900123.", "phone", "07700900123", "[phone number]"),
        ("Call +44 7700 900123 back.", "phone", "+44 7700 900123", "[phone number]"),
        ("The shop is on 020 7946 0018.", "phone", "020 7946 0018", "[phone number]"),
        ("Her landline, 0161 496 0000, was busy.", "phone", "0161 496 0000", "[phone number]"),
        ("Or +44 (0)20 7946 0018 at work.", "phone", "+44 (0)20 7946 0018", "[phone number]"),
        ("Sent to SW1A 1AA by courier.", "postcode", "SW1A 1AA", "[postcode]"),
        ("Delivered to M1 1AE on Friday.", "postcode", "M1 1AE", "[postcode]"),
        ("She lives near b33 8th street? no: b33 8TH.", "postcode", "b33 8TH", "[postcode]"),
        ("typed as sw1a 1aa in lower case", "postcode", "sw1a 1aa", "[postcode]"),
        ("Paid by 4111 1111 1111 1111 on Monday.", "card", "4111 1111 1111 1111", "[card number]"),
        ("Card 5500-0000-0000-0004 declined.", "card", "5500-0000-0000-0004", "[card number]"),
        ("Order number ORD-55821 was late.", "order_number", "ORD-55821", "[order number]"),
        ("Her order no. 4471983 arrived.", "order_number", "4471983", "[order number]"),
        ("Quote ref: AB12345 please.", "order_number", "AB12345", "[order number]"),
        (
            "The tracking number is JD0002233445GB.",
            "order_number",
            "JD0002233445GB",
            "[order number]",
        ),
        ("See invoice #INV-2024-0007.", "order_number", "INV-2024-0007", "[order number]"),
        ("It was #55231 in the system.", "order_number", "55231", "[order number]"),
        ("Her account 12345678 was credited.", "account_number", "12345678", "[account number]"),
        ("acc no. CX-88812 on file", "account_number", "CX-88812", "[account number]"),
        ("I spoke to Mrs Patel at the till.", "name", "Mrs Patel", "Customer A"),
        ("I spoke to Dr. Anita Patel-Shah.", "name", "Dr. Anita Patel-Shah", "Customer A"),
        ("mr O'Brien was upset.", "name", "mr O'Brien", "Customer A"),
        ("Prof McDonald called.", "name", "Prof McDonald", "Customer A"),
    ],
)
def test_each_kind_is_found_with_its_label(text: str, kind: str, found: str, label: str) -> None:
    flags = find_personal_data(text)
    assert [(f.kind, f.text, f.label) for f in flags] == [(kind, found, label)]
    assert text[flags[0].start : flags[0].end] == found


def test_a_planted_account_has_every_detail_found() -> None:
    text = (
        "Customer: Anita Patel rang on 07700 900123 and emailed anita.patel@example.com about "
        "order ORD-55821. She lives at SW1A 1AA and paid with 4111 1111 1111 1111. "
        "Mrs Patel was upset and Mr Jones helped. Later Anita said thanks."
    )
    assert _found(text) == [
        ("name", "Anita Patel"),
        ("phone", "07700 900123"),
        ("email", "anita.patel@example.com"),
        ("order_number", "ORD-55821"),
        ("postcode", "SW1A 1AA"),
        ("card", "4111 1111 1111 1111"),
        ("name", "Mrs Patel"),
        ("name", "Mr Jones"),
        ("name", "Anita"),
    ]


def test_each_person_keeps_one_label() -> None:
    flags = find_personal_data("Mrs Patel rang; Mr Jones answered; Mrs Patel rang again.")
    assert [f.label for f in flags] == ["Customer A", "Customer B", "Customer A"]


def test_labels_already_in_the_text_are_not_given_again() -> None:
    text = "Customer A was refunded. Then Mr Jones complained."
    flags = find_personal_data(text, labeller=NameLabeller.for_texts([text]))
    assert [(f.text, f.label) for f in flags] == [("Mr Jones", "Customer B")]


def test_one_labeller_keeps_labels_across_fields() -> None:
    labeller = NameLabeller()
    first = find_personal_data("Mr Jones rang.", labeller=labeller)
    second = find_personal_data("Mrs Patel and then Mr Jones.", labeller=labeller)
    assert [f.label for f in first] == ["Customer A"]
    assert [f.label for f in second] == ["Customer B", "Customer A"]


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("5500000000000004", True),
        ("378282246310005", True),  # 15 digits
        ("4111111111111112", False),
        ("1234567812345678", False),
        ("41111111111111x1", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_a_run_of_digits_failing_luhn_is_not_a_card() -> None:
    assert _found("The code was 4111 1111 1111 1112 on the box.") == []
    assert _found("Barcode 1234567812345678.") == []


@pytest.mark.parametrize(
    "text",
    [
        "QQ1 1AA",  # no area starts with Q
        "SW1A 1CI",  # C and I are never inward letters
        "AB1 1",
        "the A1 2nd exit",  # an ordinal, not an inward code
        "model ab12cd in stock",  # no space and lower case: a product code
    ],
)
def test_postcode_look_alikes_are_not_flagged(text: str) -> None:
    assert [k for k, _ in _found(text)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Under the Consumer Rights Act 2015 she had 30 days to reject it.",
        "It was bought on 12/03/2024 and returned on 2026-03-14 for £45.99 (£1,299.00 in total).",
        "I used the LAST method: listen, apologise, solve, thank.",
        "I logged it with the RA number and the order reference, and told my manager.",
        "Tracking 1234 was wrong.",  # too short to be a reference
        "The order of events was clear; her account was accurate.",
        "She bought Dr Martens boots and a Dr Pepper.",
        "I will miss Tuesday's meeting.",
        "She called at 10 30 on 3 March 2026 and paid 24.99.",
        "Call 0800 123 4567, our freephone number.",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert _found(text) == []


def test_the_shared_test_account_has_nothing_to_fix() -> None:
    for text in ACCOUNT.values():
        assert find_personal_data(text) == []
        assert find_hypothetical(text) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("The customer, Anita Patel, rang about her kettle.", {"Anita Patel"}),
        ("Customer: John Smith (repeat buyer)", {"John Smith"}),
        ("A customer called Priya rang.", {"Priya"}),
        ("a caller named Tom Hughes", {"Tom Hughes"}),
        ("I helped Mrs Patel.", {"Patel"}),
        ("The customer called back. The customer, however, was calm.", set()),
        ("The customer: The kettle was broken.", set()),
    ],
)
def test_customers_names_are_collected(text: str, names: set[str]) -> None:
    assert collect_customer_names(text) == names


def test_a_name_typed_elsewhere_is_found_in_full_and_in_part() -> None:
    text = "Anita Patel came back. Anita was happier and Patel thanked me. In May I left."
    flags = find_personal_data(text, ("Anita Patel",))
    assert [(f.text, f.label) for f in flags] == [
        ("Anita Patel", "Customer A"),
        ("Anita", "Customer A"),
        ("Patel", "Customer A"),
    ]


def test_a_reference_field_needs_no_keyword_and_masked_codes_pass() -> None:
    def found(text: str, label: str) -> list[tuple[str, str]]:
        return [(f.kind, f.text) for f in find_personal_data(text, field_label=label)]

    assert found("ORD-55821-913", "Order or receipt reference") == [
        ("order_number", "ORD-55821-913")
    ]
    assert found("RA-10023-482", "RA number") == [("order_number", "RA-10023-482")]
    assert found("RA-XXXX-482", "RA number") == []  # hidden as the form's guidance asks
    assert found("ORD-55821-913", "Description") == []  # not a reference field: no keyword
    assert _found("It was order ORD-XXXXX-913.") == []


def test_a_known_name_is_only_a_whole_word() -> None:
    assert _found("Tomorrow I saw Tom.", ("Tom",)) == [("name", "Tom")]


def test_overlaps_keep_the_surer_kind() -> None:
    # The email holds a postcode-like part and a known name; the email wins whole.
    assert _found("Write to patel.sw1a1aa@example.com", ("Patel",)) == [
        ("email", "patel.sw1a1aa@example.com")
    ]


# --- Real work -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I would check the receipt first.", [("conditional", "I would")]),
        ("I'd offer a refund.", [("conditional", "I'd")]),
        ("I\u2019d offer a refund.", [("conditional", "I\u2019d")]),
        ("I will call her back tomorrow.", [("future", "I will")]),
        ("I'll log it.", [("future", "I'll")]),
        ("I could offer a voucher.", [("conditional", "I could")]),
        ("I should escalate it.", [("conditional", "I should")]),
        ("You should always listen first.", [("second_person", "You should")]),
        ("you would then check the policy", [("second_person", "you would")]),
        ("You need to log every return.", [("second_person", "You need to")]),
        ("you must apologise", [("second_person", "you must")]),
        ("The adviser should escalate it.", [("general", "adviser should")]),
        (
            "The advisor should too, and staff must log it.",
            [("general", "advisor should"), ("general", "staff must")],
        ),
        ("A colleague should check.", [("general", "colleague should")]),
        ("The assistant needs to confirm.", [("general", "assistant needs to")]),
        ("One should always apologise.", [("general", "One should")]),
    ],
)
def test_hypothetical_wording_is_flagged(text: str, found: list[tuple[str, str]]) -> None:
    flags = find_hypothetical(text)
    assert [(f.kind, f.text) for f in flags] == found
    assert all(f.why for f in flags)


def test_the_why_says_what_to_write_instead() -> None:
    (flag,) = find_hypothetical("I would check the receipt.")
    assert "past tense" in flag.why and "I checked" in flag.why


@pytest.mark.parametrize(
    "text",
    [
        "I checked the receipt and offered a refund.",
        "I called her back the next day.",
        "I'd already checked the stock.",
        "I'd been told to escalate it.",
        "I could see she was upset.",
        "I could not find the order.",
        "I should have asked for the receipt sooner.",
        "I would have liked more time.",
        "Next time I would ask for the receipt first.",
        "In future I will check the batch number.",
        'She said "you need to refund me now".',
        "She said “you should have told me”.",
        "Will I be refunded? she asked.",
    ],
)
def test_past_tense_and_reflection_are_not_flagged(text: str) -> None:
    assert find_hypothetical(text) == []
