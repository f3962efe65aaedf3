"""Free text as the service stores it: no control characters, Unicode NFC.

A NUL or another C0/C1 control character in a name or an address is never what a person typed:
it breaks letters, logs and CSV exports, and PostgreSQL refuses a NUL in text (a 500 waiting to
happen). Multi-line fields (addresses, duties, messages) keep newline and tab; a CRLF becomes a
newline. Unpaired surrogates never reach here: pydantic refuses them as `string_unicode`.

NFC makes "é" typed as one code point or as "e" plus an accent the same string, so names and
addresses compare, search and print the same whatever keyboard typed them.
"""

import re
import unicodedata

from pydantic import AfterValidator

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_TAB_AND_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def single_line(value: str) -> str:
    """Refuse every control character (tab and newline too); NFC."""
    if _CONTROL.search(value):
        raise ValueError("contains a control character")
    return unicodedata.normalize("NFC", value)


def multi_line(value: str) -> str:
    """Refuse control characters other than tab and newline; CRLF and CR become newlines; NFC."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL_BUT_TAB_AND_NEWLINE.search(value):
        raise ValueError("contains a control character")
    return unicodedata.normalize("NFC", value)


def printable(value: str) -> str:
    """Text that came from elsewhere (a webhook receiver's answer), made safe to store and show:
    control characters other than tab and newline become U+FFFD (PostgreSQL refuses a NUL)."""
    return _CONTROL_BUT_TAB_AND_NEWLINE.sub("\ufffd", value)


def has_control_character(value: str) -> bool:
    return _CONTROL.search(value) is not None


SingleLine = AfterValidator(single_line)
MultiLine = AfterValidator(multi_line)
