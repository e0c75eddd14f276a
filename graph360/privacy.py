"""Who is looking, and what of a person's contact details they may see.

An :class:`Audience` is the one place every surface (the card in the CLI, GraphQL, the views,
exports) asks how to show a value: an e-mail address or phone number in a field, inside free
text (a ticket's words, a flag's reason), inside extra attributes, or inside an identifier
(a record key ``mailchimp:kim@example.com``). A caller without ``pii:read`` gets them masked;
everything else is shown as stored.

Phones in text are found with the phonenumbers library's ``PhoneNumberMatcher`` (region
aware), after every Unicode space and dash is read as a plain one and a line break inside a
number as a space, so ``07700 900 461`` written with non-breaking or thin spaces, en dashes or
across two lines is one number. A candidate counts when the library holds it valid, or when it
is a possible number of nine digits or more written like a phone (a ``+``, a leading ``0`` or
separators between its groups) and not like a date or a time: so a date in a flag's reason
(``2026-01-31``) and an order number stay as they are. E-mail addresses are matched with the
separators people and systems write: ``@``, the full-width at sign (U+FF20) and the
URL-encoded ``%40``; a domain needs no dot (``jane@localhost``). ``tests/test_privacy.py``
holds the table of formats.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers

from graph360.contacts import DEFAULT_REGION

MASK = "•••"
_EMAIL = re.compile(r"[\w.+'-]+(?:@|\uff20|%40)[\w-]+(?:\.[\w-]+)*", re.IGNORECASE)
_SEPARATOR = re.compile(r"@|\uff20|%40", re.IGNORECASE)
_DATE_OR_TIME = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
#: Attribute names whose whole value is a contact detail, whatever it looks like.
_CONTACT_NAME = re.compile(r"e-?mail|phone|mobile|\btel|fax|whatsapp|contact", re.IGNORECASE)


@dataclass(frozen=True)
class Audience:
    """Whose eyes a card, page or export is for: whether they see contact details."""

    sees_contacts: bool
    region: str = DEFAULT_REGION

    def contact(self, value: str | None) -> str | None:
        """An e-mail address or phone number as this audience may see it."""
        if value is None or self.sees_contacts:
            return value
        return mask_contact(value)

    def text(self, value: str | None) -> str | None:
        """Free text (or an identifier) with every contact detail in it masked."""
        if value is None or self.sees_contacts:
            return value
        return mask_text(value, self.region)

    def attributes(self, value: Any) -> Any:
        """Extra attributes (parsed JSON, or its text) with every contact detail masked."""
        if isinstance(value, str) and value[:1] in "{[":
            value = json.loads(value)
        if self.sees_contacts:
            return value
        return self._masked(value)

    def _masked(self, value: Any, name: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._masked(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._masked(v, name) for v in value]
        if isinstance(value, str):
            return mask_contact(value) if _CONTACT_NAME.search(name) else self.text(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return mask_contact(str(value)) if _CONTACT_NAME.search(name) else value
        return value


#: The operator at the machine: the CLI's own output and files (no API key behind them).
OPERATOR = Audience(sees_contacts=True)
#: Someone who may not see contact details (an analyst's key).
MASKED = Audience(sees_contacts=False)


def mask_contact(value: str) -> str:
    """``k•••@example.com`` for an e-mail address, ``•••• 61`` for a phone number."""
    found = _EMAIL.search(value)
    if found:
        return _mask_email(found.group())
    digits = re.sub(r"\D", "", value)
    return f"•••• {digits[-2:]}" if len(digits) > 4 else "••••"


def mask_text(value: str, region: str = DEFAULT_REGION) -> str:
    """``value`` with every e-mail address and phone number in it masked."""
    value = _EMAIL.sub(lambda m: _mask_email(m.group()), value)
    plain = _plain(value)
    spans = [
        (m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(
            plain, region, leniency=phonenumbers.Leniency.POSSIBLE
        )
        if _counts(m)
    ]
    for start, end in reversed(spans):
        value = value[:start] + mask_contact(value[start:end]) + value[end:]
    return value


def _mask_email(address: str) -> str:
    local, domain = _SEPARATOR.split(address, maxsplit=1)
    return f"{local[:1]}{MASK}@{domain}"


def _plain(text: str) -> str:
    """``text`` with Unicode spaces and dashes as ASCII ones and a line break between digits
    as a space: same length, so positions found in it are positions in ``text``."""
    out = []
    for i, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Zs":
            char = " "
        elif category == "Pd":
            char = "-"
        elif char in "\r\n" and 0 < i < len(text) - 1:
            before, after = text[i - 1], text[i + 1]
            if (before.isdigit() or before in " -") and (after.isdigit() or after in "\r\n "):
                char = " "
        out.append(char)
    return "".join(out)


def _counts(match: phonenumbers.PhoneNumberMatch) -> bool:
    """Whether a candidate the matcher found is a phone number rather than a date or an id."""
    if phonenumbers.is_valid_number(match.number):
        return True
    raw = match.raw_string.strip()
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 9 or _DATE_OR_TIME.match(raw):
        return False
    return raw.startswith(("+", "0", "(")) or bool(re.search(r"\d[ .()-]+\d", raw))
