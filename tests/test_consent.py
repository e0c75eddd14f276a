"""Consent: the mappings' ``[[consent]]`` key, loading statements with their history, the
effective status, and recording a statement (graph360.consent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph360 import consent
from graph360.errors import MappingError
from graph360.ingest.load import load_bundle
from graph360.ingest.mapping import apply_mapping, load_mapping
from graph360.store import GraphStore

STATEMENT = ["source", "customer_id", "email", "purpose", "channel", "status", "at", "_origin"]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def statements(out: dict, columns: list[str] = STATEMENT) -> list[dict[str, str]]:
    frame = out["consents.csv"]
    return frame[[c for c in columns if c in frame]].to_dict("records")


def test_crm_contacts_email_opt_out(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "contacts.csv",
        "Contact ID,First Name,Last Name,Email,Phone,Mailing City,Mailing Country,"
        "Email Opt Out,Created Date\n"
        "c1,Jane,Doe,jane@example.com,,Leeds,UK,1,01/02/2026 10:00\n"
        "c2,Ravi,Shah,ravi@example.com,,Leeds,UK,0,01/02/2026 10:00\n"
        "c3,Eva,Ng,eva@example.com,,Leeds,UK,,01/02/2026 10:00\n",
    )
    out = apply_mapping(load_mapping("crm_contacts"), export)
    assert statements(out, ["customer_id", "email", "purpose", "channel", "status"]) == [
        {"customer_id": "c1", "email": "jane@example.com", "purpose": "email_marketing",
         "channel": "email", "status": "refused"},
        {"customer_id": "c2", "email": "ravi@example.com", "purpose": "email_marketing",
         "channel": "email", "status": "granted"},
    ]  # fmt: skip
    assert (out["consents.csv"]["source"] == "crm").all()


def test_shop_customers_accepts_email_marketing(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "customers.csv",
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address City,"
        "Default Address Country Code,Phone\n"
        "7001,Jane,Doe,jane@example.com,YES,Leeds,GB,\n"
        "7002,Ravi,Shah,ravi@example.net,no,Dublin,IE,\n",
    )
    out = apply_mapping(load_mapping("shop_customers"), export)
    assert statements(out, ["source", "customer_id", "status", "_origin"]) == [
        {"source": "shop", "customer_id": "7001", "status": "granted",
         "_origin": "customers.csv:2"},
        {"source": "shop", "customer_id": "7002", "status": "refused",
         "_origin": "customers.csv:3"},
    ]  # fmt: skip


def test_email_activity_unsubscribe_is_a_dated_refusal(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "activity.csv",
        "Email Address,Subscriber ID,Campaign ID,Event,Event Time\n"
        "jane@example.com,s1,cmp_a,sent,2026-03-02 06:30:00\n"
        "Jane@Example.com,s1,cmp_a,unsubscribe,2026-03-02 07:00:00\n"
        "bob@example.org,s2,cmp_a,spam,2026-03-03 08:00:00\n",
    )
    out = apply_mapping(load_mapping("email_activity"), export)
    assert statements(out, ["email", "purpose", "status", "at"]) == [
        {"email": "Jane@Example.com", "purpose": "email_marketing", "status": "refused",
         "at": "2026-03-02T07:00:00"},
        {"email": "bob@example.org", "purpose": "email_marketing", "status": "refused",
         "at": "2026-03-03T08:00:00"},
    ]  # fmt: skip


MAILCHIMP = """
name = "mailchimp_audience"
description = "a Mailchimp audience export"
source = "mailchimp"
[columns]
"Email Address" = "e-mail"
"Status" = "subscribed | unsubscribed | cleaned | pending"
"LAST_CHANGED" = "yyyy-mm-dd hh:mm:ss"
[[outputs]]
file = "customers.csv"
[outputs.fields]
customer_id = { id = "mc:{Email Address}" }
email = "Email Address"
[[consent]]
purpose = "email_marketing"
status = { column = "Status", ignore_case = true, map = { subscribed = "granted", \
unsubscribed = "refused", cleaned = "refused", pending = "unknown" } }
at = { column = "LAST_CHANGED", date = "%Y-%m-%d %H:%M:%S" }
"""


def test_a_custom_mapping_takes_the_person_from_its_customers_output(tmp_path: Path) -> None:
    mapping = write(tmp_path, "mc.toml", MAILCHIMP)
    export = write(
        tmp_path,
        "audience.csv",
        "Email Address,Status,LAST_CHANGED\n"
        "a@example.com,subscribed,2026-01-01 10:00:00\n"
        "b@example.com,Cleaned,2026-01-02 10:00:00\n"
        "c@example.com,pending,\n"
        "d@example.com,archived,2026-01-03 10:00:00\n",
    )
    out = apply_mapping(load_mapping(mapping), export)
    assert statements(out, ["customer_id", "email", "channel", "status", "at"]) == [
        {"customer_id": "mc:a@example.com", "email": "a@example.com", "channel": "email",
         "status": "granted", "at": "2026-01-01T10:00:00"},
        {"customer_id": "mc:b@example.com", "email": "b@example.com", "channel": "email",
         "status": "refused", "at": "2026-01-02T10:00:00"},
        {"customer_id": "mc:c@example.com", "email": "c@example.com", "channel": "email",
         "status": "unknown", "at": ""},
        # not in the map: kept raw, so the loader rejects it with its line
        {"customer_id": "mc:d@example.com", "email": "d@example.com", "channel": "email",
         "status": "archived", "at": "2026-01-03T10:00:00"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        ('purpose = "fax"\nstatus = "Status"', "purpose 'fax' is not one of"),
        ('purpose = "sms"', "'status'"),
        ('purpose = "sms"\nstatus = "Status"\ncolour = "red"', "unknown keys ['colour']"),
        ('purpose = "sms"\nstatus = "Nope"', "not declared in [columns]"),
    ],
)
def test_malformed_consent_tables_are_refused(tmp_path: Path, table: str, complaint: str) -> None:
    body = MAILCHIMP.split("[[consent]]")[0] + "[[consent]]\n" + table + "\n"
    with pytest.raises(MappingError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        load_mapping(write(tmp_path, "bad.toml", body))


def _bundle(folder: Path, consents: str) -> Path:
    write(
        folder,
        "customers.csv",
        "source,customer_id,name,email\n"
        "crm,1,Ada Lovelace,ada@example.org\n"
        "crm,2,Grace Hopper,grace@example.org\n",
    )
    write(folder, "consents.csv", "source,customer_id,email,purpose,channel,status,at\n" + consents)
    return folder


def _customer(store: GraphStore, record: str) -> str:
    return store.query("customer_by_record", record_key=record)[0]["customer_id"]


def test_load_keeps_each_sources_latest_statement_and_its_history(
    store: GraphStore, tmp_path: Path
) -> None:
    first = _bundle(
        tmp_path / "b1",
        "crm,1,,email_marketing,,granted,2024-01-01T10:00:00\n"
        "crm,1,,email_marketing,,refused,2024-05-01T10:00:00\n"
        "esp,,GRACE@example.org,email_marketing,,granted,2024-02-01\n"
        "crm,2,,fax,,refused,2024-02-01\n"
        "crm,9,,sms,,refused,2024-02-01\n",
    )
    report = load_bundle(store, first, rejects_path=tmp_path / "r.csv")
    assert report.files["consents"].rejected == 2
    rejects = (tmp_path / "r.csv").read_text()
    assert "purpose must be one of email_marketing|sms|phone|profiling, not 'fax'" in rejects
    assert "unknown customer 'crm:9'" in rejects
    ada, grace = _customer(store, "crm:1"), _customer(store, "crm:2")
    card = consent.customer_consents(store, ada)
    assert [(e["purpose"], e["status"], e["source"]) for e in card["effective"]] == [
        ("email_marketing", "refused", "crm")
    ]
    assert card["statements"][0]["history"] == [
        {"status": "granted", "at": "2024-01-01T10:00:00", "source": "crm"}
    ]
    assert consent.refusals(store, "collision_sequence").customers == {ada}
    assert consent.refusals(store, "vip_candidates").customers == frozenset()

    # A later export: the CRM grants again, the ESP refuses: the latest statement decides.
    second = _bundle(
        tmp_path / "b2",
        "crm,1,,email_marketing,,granted,2024-06-01T10:00:00\n"
        "esp,,grace@example.org,email_marketing,,refused,2024-07-01\n"
        "crm,2,,profiling,,refused,\n",
    )
    report = load_bundle(store, second, rejects_path=tmp_path / "r2.csv")
    assert (report.files["consents"].new, report.files["consents"].changed) == (1, 2)
    card = consent.customer_consents(store, ada)
    assert card["effective"][0]["status"] == "granted"
    assert [h["status"] for h in card["statements"][0]["history"]] == ["refused", "granted"]
    grace_card = consent.customer_consents(store, grace)
    assert [(e["purpose"], e["channel"], e["status"]) for e in grace_card["effective"]] == [
        ("email_marketing", "email", "refused"),
        ("profiling", "any", "refused"),
    ]
    assert grace_card["effective"][1]["at"] is not None  # stamped with the load's time
    assert consent.refusals(store, "cross_sell").customers == {grace}
    # The same export again changes nothing.
    again = load_bundle(store, second, rejects_path=tmp_path / "r3.csv", recheck=True)
    assert again.files["consents"].unchanged == 3


def test_record_replaces_the_statement_and_keeps_history(store: GraphStore, tmp_path: Path) -> None:
    import datetime as dt

    load_bundle(store, _bundle(tmp_path / "b", ""), rejects_path=tmp_path / "r.csv")
    ada = _customer(store, "crm:1")
    consent.record(store, ada, "sms", "granted", source="desk", at=dt.datetime(2025, 1, 1))
    stored = consent.record(store, ada, "sms", "refused", source="desk", at=dt.datetime(2025, 2, 1))
    assert stored["history"] == [
        {"status": "granted", "at": "2025-01-01T00:00:00", "source": "desk"}
    ]
    assert consent.customer_consents(store, ada)["effective"] == [
        {"purpose": "sms", "channel": "sms", "status": "refused",
         "at": dt.datetime(2025, 2, 1), "source": "desk"}
    ]  # fmt: skip
    with pytest.raises(consent.ConsentError, match="unknown consent status 'maybe'"):
        consent.record(store, ada, "sms", "maybe")
    with pytest.raises(consent.ConsentError, match="no customer 'nobody'"):
        consent.record(store, "nobody", "sms", "granted")
