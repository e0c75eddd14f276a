"""Erasure in both modes, the suppression list respected by loads and events, lifting it, and
a search of the store, the facts projection and the views for the erased person afterwards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import TINY

from graph360 import erasure, facts, suppression
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.facts.files import facts_dir
from graph360.ingest.events import apply_events
from graph360.ingest.load import load_bundle
from graph360.privacy import Audience
from graph360.store import GraphStore
from graph360.views import VIEWS

#: Every spelling of Ada Lovelace's personal data in the tiny bundle (three records merge).
ADA = ("ada@example.org", "lovelace", "+442079460001", "7946 0001", "79460001")


def _load(store: GraphStore, tmp_path: Path, name: str = "r") -> None:
    bundle = tmp_path / "bundle"
    if not bundle.exists():
        shutil.copytree(TINY, bundle)
        (bundle / "consents.csv").write_text(
            "source,customer_id,email,purpose,channel,status,at\n"
            "crm,1,,email_marketing,,refused,2024-05-01\n"
        )
    load_bundle(store, bundle, rejects_path=tmp_path / f"{name}.csv", max_shared=2)


def _ada(store: GraphStore) -> str:
    return store.query("customer_by_record", record_key="crm:1")[0]["customer_id"]


def _everything(store: GraphStore) -> str:
    """The whole graph as text, lower-cased: every property of every node and relationship."""
    from graph360 import model

    parts = []
    for label in model.NODES:
        parts.append(store.all_nodes(label).to_json(orient="records", date_format="iso"))
    for rel_type in model.RELATIONSHIPS:
        frame = store.all_relationships(rel_type)
        parts.append(frame.to_json(orient="records", date_format="iso"))
    return "\n".join(parts).lower().replace("\\u002b", "+")


def _facts_text(store: GraphStore) -> str:
    facts.current(store)
    folder = facts_dir(store)
    return (
        b"\n".join(p.read_bytes() for p in sorted(folder.glob("*")))
        .decode("utf-8", "replace")
        .lower()
    )


def _views_text(store: GraphStore, customer_id: str) -> str:
    operator = Audience(sees_contacts=True)
    pages = [
        VIEWS["customer"].render(store, audience=operator, ref=customer_id),
        VIEWS["overlap"].render(store, audience=operator),
        VIEWS["influence"].render(store, audience=operator),
    ]
    return "\n".join(pages).lower()


@pytest.mark.parametrize("mode", ["delete", "anonymise"])
def test_erase_leaves_nothing_of_the_person(store: GraphStore, tmp_path: Path, mode: str) -> None:
    from graph360 import merges

    _load(store, tmp_path)
    ada = _ada(store)
    grace = store.query("customer_by_record", record_key="crm:2")[0]["customer_id"]
    merges.never_merge(store, ["crm:1"], ["crm:3"], who="ops")  # her identity's history
    before = _everything(store)
    assert ada.lower() in before
    assert all(term in before for term in ("ada@example.org", "lovelace", "+442079460001"))
    assert ada.lower() in _facts_text(store)  # the projection holds her before
    touchpoints = len(store.all_nodes("Touchpoint"))
    footprint = erasure.footprint(store, ada)

    report = erasure.erase(store, ada, mode=mode, by="desk-7", reason="request")

    assert report.counts == footprint and footprint["records"] == 3
    assert report.suppressed == 5  # three record keys, one e-mail, one phone
    assert store.query("customer_profile", customer_id=ada) == []
    text = _everything(store)
    for term in ADA:
        assert term not in text, term
    assert ada.lower() not in text and '"crm:1"' not in text
    assert len(store.all_nodes("NeverMerge")) == 0
    projection = _facts_text(store)
    for term in (*ADA, ada.lower()):
        assert term not in projection, term
    views = _views_text(store, grace)
    for term in ADA:
        assert term not in views, term
    kept = len(store.all_nodes("Touchpoint"))
    if mode == "delete":
        assert kept == touchpoints - footprint["touchpoints"]
        assert report.anonymous_customer is None
    else:  # the touchpoints stay, on a customer with no property but its key
        assert kept == touchpoints
        anonymous = store.query("customer_profile", customer_id=report.anonymous_customer)[0]
        assert {k for k, v in anonymous.items() if v is not None} == {"customer_id"}
        activity = store.query("customer_activity", customer_id=report.anonymous_customer,
                               since=__import__("datetime").datetime(2000, 1, 1))  # fmt: skip
        assert activity[0]["touchpoints"] == footprint["touchpoints"]
    # The log says what went, who asked and when, and nothing about whom.
    (entry,) = erasure.erasure_log(store)
    assert (entry["mode"], entry["by"], entry["counts"]) == (mode, "desk-7", footprint)
    logged = json.dumps(entry, default=str).lower()
    assert ada.lower() not in logged and "ada" not in logged.replace("erasure", "")


def test_erase_refuses_an_unknown_customer_and_mode(store: GraphStore, tmp_path: Path) -> None:
    _load(store, tmp_path)
    with pytest.raises(NotFoundError, match="no customer 'nobody'"):
        erasure.erase(store, "nobody")
    with pytest.raises(InvalidRequestError, match="unknown erasure mode 'shred'"):
        erasure.erase(store, _ada(store), mode="shred")
    assert len(store.all_nodes("ErasureLog")) == 0


def test_a_load_after_an_erasure_does_not_bring_the_person_back(
    store: GraphStore, tmp_path: Path
) -> None:
    _load(store, tmp_path)
    customers = len(store.all_nodes("Customer"))
    erasure.erase(store, _ada(store))
    bundle = tmp_path / "bundle"
    report = load_bundle(store, bundle, rejects_path=tmp_path / "again.csv", max_shared=2)
    # customers.csv has three records of Ada (crm:1, shop by e-mail, support by phone; the
    # repeated crm:1 line is the same row)
    assert report.suppressed == {
        "campaign_members": 2,
        "consents": 1,
        "customers": 3,
        "holdings": 2,
        "relationships": 4,
        "touchpoints": 4,
    }
    assert len(store.all_nodes("Customer")) == customers - 1
    for term in ADA:
        assert term not in _everything(store), term
    # A new record elsewhere with her e-mail is not created either.
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "customers.csv").write_text(
        "source,customer_id,name,email\nnewsletter,n1,A Lovelace,ADA@example.org\n"
        "newsletter,n2,Someone Else,else@example.org\n"
    )
    report = load_bundle(store, extra, rejects_path=tmp_path / "extra.csv")
    assert report.suppressed == {"customers": 1}
    assert report.files["customers"].loaded == 1
    # Lifting the suppression of the e-mail lets that record in.
    assert suppression.lift(store, " Ada@Example.org ") == ["email"]
    with pytest.raises(suppression.SuppressionError, match="is not on the suppression list"):
        suppression.lift(store, "ada@example.org")
    report = load_bundle(store, extra, rejects_path=tmp_path / "extra2.csv")
    assert report.suppressed == {}
    assert store.query("customers_by_email", email="ada@example.org") != []


def test_events_naming_an_erased_person_are_suppressed(store: GraphStore, tmp_path: Path) -> None:
    _load(store, tmp_path)
    erasure.erase(store, _ada(store))
    outcomes, _ = apply_events(
        store,
        [
            {"touchpoint_id": "E1", "at": "2025-01-01T10:00:00", "channel": "web",
             "kind": "view", "email": "ADA@example.org"},
            {"touchpoint_id": "E2", "at": "2025-01-01T10:00:00", "channel": "web",
             "kind": "view", "source": "crm", "customer_id": "1"},
            {"touchpoint_id": "E3", "at": "2025-01-01T10:00:00", "channel": "phone",
             "kind": "call", "customer": {"source": "callcentre", "customer_id": "x1",
                                          "phone": "020 7946 0001"}},
            {"touchpoint_id": "E4", "at": "2025-01-01T10:00:00", "channel": "web",
             "kind": "view", "source": "crm", "customer_id": "2"},
        ],
    )  # fmt: skip
    assert [(o.touchpoint_id, o.status) for o in outcomes] == [
        ("E1", "suppressed"),
        ("E2", "suppressed"),
        ("E3", "suppressed"),
        ("E4", "recorded"),
    ]
    ids = set(store.all_nodes("Touchpoint")["touchpoint_id"])
    assert "E4" in ids and not {"E1", "E2", "E3"} & ids
    assert store.query("customer_by_record", record_key="callcentre:x1") == []


def test_an_event_can_change_consent_with_history(store: GraphStore, tmp_path: Path) -> None:
    from graph360 import consent

    _load(store, tmp_path)
    ada = _ada(store)
    refusal = [{"purpose": "email_marketing", "status": "granted"}]
    outcomes, _ = apply_events(
        store,
        [
            {"touchpoint_id": "C1", "at": "2025-02-01T10:00:00Z", "channel": "web",
             "kind": "preferences", "source": "crm", "customer_id": "1", "consent": refusal},
            {"touchpoint_id": "C2", "at": "2025-02-01T10:00:00Z", "channel": "web",
             "kind": "preferences", "source": "crm", "customer_id": "2",
             "consent": [{"purpose": "fax", "status": "granted"}]},
        ],
    )  # fmt: skip
    assert [(o.touchpoint_id, o.status) for o in outcomes] == [
        ("C1", "recorded"),
        ("C2", "rejected"),
    ]
    assert "unknown consent purpose 'fax'" in outcomes[1].reasons[0]
    (statement,) = consent.customer_consents(store, ada)["statements"]
    assert (statement["status"], statement["source"], statement["at"]) == (
        "granted",
        "crm",
        __import__("datetime").datetime(2025, 2, 1, 10, 0),
    )
    assert statement["history"] == [{"status": "refused", "at": "2024-05-01T00:00:00",
                                      "source": "crm"}]  # fmt: skip


def test_retention_lists_then_erases_the_inactive(store: GraphStore, tmp_path: Path) -> None:
    import datetime as dt

    from graph360.retention import retention

    _load(store, tmp_path)
    now = dt.datetime(2027, 3, 16)  # the tiny graph's last touchpoint: 2024-03-16
    dry = retention(store, "3y", dry_run=True, now=now)
    ids = {p["customer_id"] for p in dry.people}
    lasts = {p["customer_id"]: p["last_activity"] for p in dry.people}
    assert dry.cutoff == dt.datetime(2024, 3, 16, 0, 0) and dry.erased == 0
    assert _ada(store) in ids  # her last touchpoint: 2024-03-11
    assert lasts[_ada(store)] == dt.datetime(2024, 3, 11, 10, 0)
    alan = store.query("customer_by_record", record_key="crm:3")[0]["customer_id"]
    assert alan not in ids  # 2024-03-16T10:00, after the cutoff
    assert all(store.query("customer_exists", customer_id=i) for i in ids)
    real = retention(store, "3y", dry_run=False, now=now, mode="anonymise")
    assert real.erased == len(ids) and real.removed["records"] >= len(ids)
    assert not any(store.query("customer_exists", customer_id=i) for i in ids)
    assert store.query("customer_exists", customer_id=alan)
    # the anonymous customers they left are not people: a second run finds nobody new
    assert retention(store, "3y", dry_run=True, now=now).inactive == 0


def test_an_identifier_someone_else_carries_is_not_suppressed(
    store: GraphStore, tmp_path: Path
) -> None:
    folder = tmp_path / "family"
    folder.mkdir()
    (folder / "customers.csv").write_text(
        "source,customer_id,name,email,phone\n"
        "crm,1,Hannah Smith,hannah@example.org,020 7946 0100\n"
        "crm,2,Daniel Smith,daniel@example.org,020 7946 0100\n"
    )
    load_bundle(store, folder, rejects_path=tmp_path / "r.csv")
    hannah = store.query("customer_by_record", record_key="crm:1")[0]["customer_id"]
    daniel = store.query("customer_by_record", record_key="crm:2")[0]["customer_id"]
    assert hannah != daniel  # their first names disagree: the landline merges nobody
    report = erasure.erase(store, hannah)
    assert report.suppressed == 2  # her record key and her e-mail, not the family's landline
    assert store.query("identifier_exists", key="+442079460100") != []
    again = load_bundle(store, folder, rejects_path=tmp_path / "r2.csv", recheck=True)
    assert again.suppressed == {"customers": 1}
    assert again.files["customers"].unchanged == 1  # Daniel, untouched


def test_the_quick_hash_is_the_same_for_a_value_wherever_it_sits() -> None:
    """The screen's prefilter must give a value the hash it was stored with, whether the value
    comes alone, in a slice, after nulls or in a chunked column; and tell values apart."""
    import pyarrow as pa

    from graph360.suppression import quick_hash

    alone = {v: int(quick_hash(pa.array([v]))[0]) for v in ("ada@example.org", "+442079460001")}
    mixed = pa.array([None, "x", "ada@example.org", "", "+442079460001", None])
    hashed = quick_hash(mixed.slice(1, 4)).tolist()
    assert hashed[1] == alone["ada@example.org"] and hashed[3] == alone["+442079460001"]
    chunked = pa.chunked_array([["ada@example.org"], ["+442079460001"]])
    assert quick_hash(chunked).tolist() == list(alone.values())
    many = [f"person{i}@example.org" for i in range(20_000)]
    assert len(set(quick_hash(pa.array(many)).tolist())) == len(many)
