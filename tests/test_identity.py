"""Identity resolution on its own: normalising, clustering, blocking, explaining."""

from __future__ import annotations

import pandas as pd

from graph360.ingest.identity import (
    customer_id_for,
    normalize_emails,
    normalize_phones,
    resolve,
)


def test_emails_in_any_letter_case_are_one_address() -> None:
    values = pd.Series(
        [" Ada@Example.ORG ", "ada@example.org", "not an email", None, "zoë@exämple.de"]
    )
    normalized, reasons = normalize_emails(values)
    assert list(normalized[:2]) == ["ada@example.org", "ada@example.org"]
    assert normalized[2] is None or pd.isna(normalized[2])
    assert "must have an @-sign" in reasons[2]
    assert pd.isna(normalized[3]) and pd.isna(reasons[3])
    assert normalized[4] == "zoë@exämple.de"


def test_phones_in_national_and_international_formats_are_one_number() -> None:
    values = pd.Series(
        [
            "+44 20 7946 0958",
            "020 7946 0958",
            "(020) 7946-0958",
            "0044 20 7946 0958",
            "(212) 555-0100",
            "12",
            "not a phone",
        ]
    )
    regions = pd.Series(["GB", "GB", "United Kingdom", None, "US", "GB", "GB"])
    normalized, reasons = normalize_phones(values, regions)
    assert list(normalized[:4]) == ["+442079460958"] * 4
    assert normalized[4] == "+12125550100"
    assert pd.isna(normalized[5]) and "not a possible number" in reasons[5]
    assert pd.isna(normalized[6]) and reasons[6].startswith("invalid phone")


def _records(*rows: tuple[str, str | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_key", "email", "phone"])


def test_records_link_through_email_and_phone_chains_with_explanations() -> None:
    records = _records(
        ("crm:1", "a@x.org", "+441"),
        ("shop:9", "a@x.org", None),
        ("desk:5", None, "+441"),
        ("esp:7", None, None),
    )
    result = resolve(records, existing={})
    ada = customer_id_for("crm:1")
    assert result.customer_of == {
        "crm:1": ada,
        "shop:9": ada,
        "desk:5": ada,
        "esp:7": customer_id_for("esp:7"),
    }
    assert result.rule_of == {
        "crm:1": "source_id",
        "desk:5": "phone",
        "shop:9": "email",
        "esp:7": "source_id",
    }
    assert result.via_of["desk:5"] == "crm:1"
    assert result.new_customers == {ada, customer_id_for("esp:7")}
    assert result.records_merged() == 2


def test_placeholders_are_blocked_and_merge_nobody() -> None:
    records = _records(*[(f"crm:{i}", "test@example.com", None) for i in range(5)])
    result = resolve(records, existing={}, max_shared=4)
    assert result.blocked == {"email:test@example.com": 5}
    assert len(set(result.customer_of.values())) == 5


def test_a_new_record_bridging_two_customers_merges_them_into_the_smaller_id() -> None:
    records = _records(
        ("crm:1", "a@x.org", None), ("shop:2", None, "+442"), ("desk:3", "a@x.org", "+442")
    )
    result = resolve(records, existing={"crm:1": "C-B", "shop:2": "C-A"})
    assert set(result.customer_of.values()) == {"C-A"}
    assert result.merged_customers == {"C-B": "C-A"}
    assert result.new_customers == set()


def test_resolution_does_not_depend_on_row_order() -> None:
    rows = [("b:2", "e@x.org", None), ("a:1", None, "+44"), ("c:3", "e@x.org", "+44")]
    first = resolve(_records(*rows), existing={})
    second = resolve(_records(*reversed(rows)), existing={})
    assert first.customer_of == second.customer_of
    assert first.rule_of == second.rule_of


def test_the_vectorised_national_path_agrees_with_the_phonenumbers_parser() -> None:
    from graph360.contacts import _parse_phone

    samples = [
        (pattern.format(n), region)
        for region, pattern in [
            ("GB", "020 7946 {:04d}"),
            ("GB", "07700 9{:05d}"),
            ("GB", "0800 123 {:04d}"),
            ("US", "(212) 555-{:04d}"),
            ("US", "1-800-555-{:04d}"),
            ("DE", "030 1234{:04d}"),
            ("FR", "01 23 45 67 {:02d}"),
            ("IT", "06 6982{:04d}"),
            ("ES", "91 123 {:04d}"),
            ("NL", "020 123 {:04d}"),
            ("IE", "01 234 {:04d}"),
        ]
        for n in range(0, 100, 7)
    ]
    values = pd.Series([v for v, _ in samples])
    regions = pd.Series([r for _, r in samples])
    normalized, _ = normalize_phones(values, regions)
    for (value, region), got in zip(samples, normalized, strict=True):
        want, _ = _parse_phone(value, region)
        assert (got if isinstance(got, str) else None) == want, (value, region)


# --- conflicting evidence -----------------------------------------------------------------


def _named(rows: list[tuple[str, str | None, str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_key", "email", "phone", "name"])


def test_a_shared_landline_does_not_make_two_people_one() -> None:
    """The HubSpot case: Hannah Scott (no e-mail) and Daniel Evans share 0117 496 0555."""
    landline = "+441174960555"
    result = resolve(
        _named(
            [
                ("hubspot:1", None, landline, "Hannah Scott"),
                ("hubspot:2", "dan.evans@example.com", landline, "Daniel Evans"),
                ("shop:7", "dan.evans@example.com", None, "Dan Evans"),
            ]
        ),
        {},
    )
    customer = result.customer_of
    assert customer["hubspot:1"] != customer["hubspot:2"] == customer["shop:7"]
    assert result.conflicts == {f"phone:{landline}": [["hubspot:1"], ["hubspot:2"]]}
    assert result.rule_of["shop:7"] == "email"


def test_names_that_may_be_one_person_still_link() -> None:
    result = resolve(
        _named(
            [
                ("a:1", "jo@example.com", None, "John Smith"),
                ("a:2", "jo@example.com", None, "Jon Smith"),  # a slip
                ("a:3", "jo@example.com", None, "J. Smith"),  # an initial
                ("a:4", "jo@example.com", None, "Mr John Smith"),  # a title
                ("a:5", "jo@example.com", None, None),  # no name: no evidence against
            ]
        ),
        {},
    )
    assert len(set(result.customer_of.values())) == 1 and result.conflicts == {}


def test_a_shared_inbox_splits_into_groups_of_agreeing_names() -> None:
    result = resolve(
        _named(
            [
                ("m:1", "family@example.com", None, "Anna Berg"),
                ("m:2", "family@example.com", None, "Erik Berg"),
                ("m:3", "family@example.com", None, "Ana Berg"),
                ("m:4", "family@example.com", None, "Erik B."),
            ]
        ),
        {},
    )
    customer = result.customer_of
    assert customer["m:1"] == customer["m:3"] != customer["m:2"] == customer["m:4"]
    assert result.conflicts == {"email:family@example.com": [["m:1", "m:3"], ["m:2", "m:4"]]}
