"""An SNS message's Subject that SNS accepts, made from any text.

SNS's Publish refuses a Subject that is not less than 100 characters long, or that holds a line
break or a control character; its earlier documentation asks for ASCII text that begins with a
letter, a number or a punctuation mark. A product's name may be 200 characters of any Unicode,
control characters included, so a subject made of it is cut down to what every reading of those
rules accepts: printable ASCII (a letter with an accent loses the accent; what has no ASCII form
becomes "?"), one space for each run of white space or control characters, no space at either
end, at most 99 characters (a cut one ends in "..."). The message keeps the text whole.
"""

import unicodedata

# "Less than 100 characters long" (SNS's Publish).
MAX_SUBJECT_CHARS = 99
_CUT_MARK = "..."


def _ascii_char(char: str) -> str:
    """``char`` as printable ASCII: itself, its letter without accents, a space for white space
    or a control character, "?" for the rest."""
    if " " <= char <= "~":
        return char
    if char.isspace() or unicodedata.category(char).startswith("C"):
        return " "
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    plain = "".join(c for c in plain if " " <= c <= "~")
    return plain or "?"


def sns_subject(prefix: str, text: str) -> str:
    """``prefix`` then ``text``, as a Subject SNS accepts (the module's rules)."""
    printable = "".join(_ascii_char(char) for char in prefix + text)
    subject = " ".join(printable.split())
    if len(subject) > MAX_SUBJECT_CHARS:
        subject = subject[: MAX_SUBJECT_CHARS - len(_CUT_MARK)].rstrip() + _CUT_MARK
    return subject
