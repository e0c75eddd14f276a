"""E-mail addresses and phone numbers as one normal form, so the same contact detail written
two ways is one identifier (identity resolution, look-ups, the identifier index).

Normalising is vectorised for the common shapes (an address that is plainly ``local@domain``,
a number written with its ``+`` country code) and falls back to the ``email-validator`` and
``phonenumbers`` libraries for everything else, which is where they earn their cost.
"""

from __future__ import annotations

import re

import email_validator
import pandas as pd
import phonenumbers
from phonenumbers import PhoneMetadata

#: The region a phone number without a country code is read in.
DEFAULT_REGION = "GB"

_SIMPLE_EMAIL = re.compile(r"^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")


def normalize_emails(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(normalised address or None, reason it is invalid or None) for each value."""
    lowered = values.astype("string").str.strip().str.lower()
    simple = lowered.str.fullmatch(_SIMPLE_EMAIL.pattern).fillna(False).astype(bool)
    fixed: dict[object, str] = {}
    reasons: dict[object, str] = {}
    for index, value in lowered[~simple & lowered.notna()].items():
        try:
            checked = email_validator.validate_email(value, check_deliverability=False)
            fixed[index] = checked.normalized.lower()
        except email_validator.EmailNotValidError as error:
            reasons[index] = f"invalid e-mail {values[index]!r}: {error}"
    return _filled(lowered.where(simple), fixed), _reasons(values.index, reasons)


def normalize_phones(
    values: pd.Series, regions: pd.Series | None = None, default_region: str = DEFAULT_REGION
) -> tuple[pd.Series, pd.Series]:
    """(E.164 number or None, reason it is invalid or None) for each value.

    A national number is read in the record's country (``regions``, ISO 3166 alpha-2 or a
    country name the phonenumbers library knows), else in ``default_region``.
    """
    text = values.astype("string").str.strip()
    compact = text.str.replace(_PHONE_PUNCTUATION.pattern, "", regex=True)
    compact = compact.str.replace(r"^00", "+", regex=True)
    international = compact.str.fullmatch(r"\+[1-9]\d{7,14}").fillna(False).astype(bool)
    national = text.notna() & ~international
    region_of = pd.Series(default_region, index=values.index)
    if regions is not None and national.any():
        region_of[national] = regions[national].map(lambda c: _region(c, default_region))
    normalized = compact.where(international)
    for region, rows in region_of[national].groupby(region_of[national]).groups.items():
        normalized = normalized.fillna(_national_numbers(compact[rows], str(region)))
    fixed: dict[object, str] = {}
    reasons: dict[object, str] = {}
    parsed: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for index, value in text[national & normalized.isna()].items():
        region = region_of[index]
        if (value, region) not in parsed:
            parsed[(value, region)] = _parse_phone(value, region)
        number, problem = parsed[(value, region)]
        if number is not None:
            fixed[index] = number
        else:
            reasons[index] = f"invalid phone {values[index]!r}: {problem}"
    return _filled(normalized, fixed), _reasons(values.index, reasons)


def _national_numbers(compact: pd.Series, region: str) -> pd.Series:
    """E.164 for numbers written plainly in ``region``'s national format, by the rules of the
    phonenumbers metadata (trunk prefix, number pattern, lengths) applied to a whole column;
    anything else is left empty for the library's full parser."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return pd.Series(None, index=compact.index, dtype=compact.dtype)
    digits = compact.where(compact.str.fullmatch(r"\d+").fillna(False).astype(bool))
    prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
    if prefix:
        digits = digits.str.replace(f"^(?:{prefix})", "", regex=True)
    pattern = metadata.general_desc.national_number_pattern
    lengths = metadata.general_desc.possible_length
    plausible = digits.str.fullmatch(pattern).fillna(False).astype(bool) & digits.str.len().isin(
        lengths
    )
    return ("+" + str(metadata.country_code) + digits).where(plausible)


def _parse_phone(text: str, region: str) -> tuple[str | None, str | None]:
    """(E.164, None) or (None, what is wrong), by the phonenumbers library."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        return None, str(error)
    if not phonenumbers.is_possible_number(number):
        return None, "not a possible number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def _filled(values: pd.Series, fixed: dict[object, str]) -> pd.Series:
    """``values`` with the slow-path results put in at once (one by one is O(n) each)."""
    if not fixed:
        return values
    return values.fillna(pd.Series(fixed, dtype=values.dtype))


def _reasons(index: pd.Index, reasons: dict[object, str]) -> pd.Series:
    return pd.Series(reasons, dtype="object").reindex(index)


_COUNTRY_NAMES = {
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "united states": "US",
    "usa": "US",
    "germany": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "ireland": "IE",
    "belgium": "BE",
    "sweden": "SE",
}


def _region(country: object, default_region: str) -> str:
    if not isinstance(country, str) or not country.strip():
        return default_region
    text = country.strip()
    if len(text) == 2 and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    return _COUNTRY_NAMES.get(text.lower(), default_region)
