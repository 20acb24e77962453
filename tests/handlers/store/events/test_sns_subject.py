"""store.events.sns_subject: a subject SNS accepts, for any product name the contract allows.

The rules below are SNS's, written out from its Publish reference: "Subjects must be UTF-8 text
with no line breaks or control characters, and less than 100 characters long", and in its
earlier wording "ASCII text that begins with a letter, number, or punctuation mark". A subject
that keeps to both keeps to whichever SNS applies.
"""

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from store.events.sns_subject import sns_subject
from store.spec.schemas import NOT_BLANK_PATTERN

PREFIX = "Low stock: "
# What may open a subject: a letter, a number or a punctuation mark (ASCII's).
OPENING = set(string.ascii_letters + string.digits + string.punctuation)
# Hostile characters, drawn often: line breaks and other control characters (C0, DEL, C1),
# Unicode's line and paragraph separators, spaces of other widths, accents, other scripts.
HOSTILE = "\n\r\t\x00\x07\x1b\x1f\x7f\x85\x9f\u2028\u2029\u00a0\u3000\ufeffé漢😀 ~"
# A product name as the contract allows it: 1..200 characters, not all white space.
NAMES = st.one_of(
    st.text(min_size=1, max_size=200),
    st.text(alphabet=st.sampled_from(HOSTILE + "Aa1."), min_size=1, max_size=200),
).filter(lambda name: re.search(NOT_BLANK_PATTERN, name))


def accepted_by_sns(subject: str) -> bool:
    """SNS's rules for a Subject, as its documentation states them."""
    return (
        0 < len(subject) < 100
        and all(0x20 <= ord(char) <= 0x7E for char in subject)  # ASCII, no control, no break
        and subject[0] in OPENING
    )


@settings(max_examples=400, deadline=None)
@given(NAMES)
def test_every_name_the_contract_allows_makes_a_subject_sns_accepts(name):
    subject = sns_subject(PREFIX, name)
    assert accepted_by_sns(subject), repr(subject)
    assert subject.startswith("Low stock:")


def test_a_plain_name_is_kept_as_it_is():
    assert sns_subject(PREFIX, "Blue pen (10 pack)") == "Low stock: Blue pen (10 pack)"


def test_line_breaks_and_control_characters_become_one_space():
    assert sns_subject(PREFIX, "Pen\r\n\x00\x1b\tblue\u2028") == "Low stock: Pen blue"


def test_accents_are_dropped_and_what_has_no_ascii_form_is_a_question_mark():
    assert sns_subject(PREFIX, "Café 漢字") == "Low stock: Cafe ??"


def test_a_long_name_is_cut_to_99_characters_ending_in_dots():
    subject = sns_subject(PREFIX, "x" * 200)
    assert subject == "Low stock: " + "x" * 85 + "..."
    assert len(subject) == 99


def test_the_longest_name_that_fits_is_not_cut():
    assert sns_subject(PREFIX, "y" * 88) == "Low stock: " + "y" * 88
