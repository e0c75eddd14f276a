"""Exact answers of the privacy part's named queries (consent, erasure, export, retention,
access log), on each backend, on a small graph built in the test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from graph360.ingest.load import load_bundle
from graph360.store import GraphStore

AT = dt.datetime(2025, 3, 1, 9, 0)


def _graph(store: GraphStore, folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.csv").write_text(
        "source,customer_id,name,email\ncrm,1,Ada Lovelace,ada@example.org\ncrm,2,Grace,\n"
    )
    load_bundle(store, folder, rejects_path=folder / "r.csv")
    return {
        row["record_key"]: store.query("customer_by_record", record_key=row["record_key"])[0][
            "customer_id"
        ]
        for row in [{"record_key": "crm:1"}, {"record_key": "crm:2"}]
    }


def test_customer_exists(store: GraphStore, tmp_path: Path) -> None:
    ids = _graph(store, tmp_path / "b")
    assert store.query("customer_exists", customer_id=ids["crm:1"]) == [
        {"customer_id": ids["crm:1"]}
    ]
    assert store.query("customer_exists", customer_id="nobody") == []


ROW = {"purpose": "sms", "channel": "sms", "status": "refused", "at": AT, "source": "desk"}


def _record(store: GraphStore, customer_id: str) -> list[dict]:
    return store.write(
        "consent_record",
        customer_id=customer_id,
        consent_id=f"desk:{customer_id}:sms:sms",
        history="[]",
        **ROW,
    )


def test_consent_record(store: GraphStore, tmp_path: Path) -> None:
    ada = _graph(store, tmp_path / "b")["crm:1"]
    assert _record(store, ada) == [{"consent_id": f"desk:{ada}:sms:sms"}]
    assert _record(store, ada) == [{"consent_id": f"desk:{ada}:sms:sms"}]  # replaced, not added
    assert len(store.all_nodes("Consent")) == 1
    assert _record(store, "nobody") == []


def test_customer_consents(store: GraphStore, tmp_path: Path) -> None:
    ids = _graph(store, tmp_path / "b")
    _record(store, ids["crm:1"])
    assert store.query("customer_consents", customer_id=ids["crm:1"]) == [
        {"customer_id": ids["crm:1"], **ROW, "history": "[]"}
    ]
    assert store.query("customer_consents", customer_id=ids["crm:2"]) == []


def test_consents_of_purposes(store: GraphStore, tmp_path: Path) -> None:
    ids = _graph(store, tmp_path / "b")
    _record(store, ids["crm:2"])
    assert store.query("consents_of_purposes", purposes=["sms", "phone"]) == [
        {"customer_id": ids["crm:2"], **ROW, "history": "[]"}
    ]
    assert store.query("consents_of_purposes", purposes=["profiling"]) == []
