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


# --- erasure and suppression -----------------------------------------------------------------


def _tiny(store: GraphStore, tmp_path: Path) -> tuple[str, str]:
    """The tiny bundle loaded: Ada's and Grace's customer ids."""
    from helpers import TINY

    load_bundle(store, TINY, rejects_path=tmp_path / "r.csv", max_shared=2)
    ada = store.query("customer_by_record", record_key="crm:1")[0]["customer_id"]
    grace = store.query("customer_by_record", record_key="crm:2")[0]["customer_id"]
    return ada, grace


def _count(store: GraphStore, customer_id: str) -> dict:
    return store.query("erasure_footprint", customer_id=customer_id)[0]


def test_erasure_footprint(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    assert _count(store, ada) == {
        "records": 3,
        "touchpoints": 4,
        "flags": 0,
        "actions": 0,
        "consents": 0,
        "relationships": 2,
        "accounts": 1,
        "memberships": 2,
    }
    assert store.query("erasure_footprint", customer_id="nobody") == []


def test_erasure_records(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    assert store.query("erasure_records", customer_id=ada) == [
        {"record_key": "crm:1", "email": "ada@example.org", "phone": "+442079460001"},
        {"record_key": "shop:A-77", "email": "ada@example.org", "phone": None},
        {"record_key": "support:Z9", "email": None, "phone": "+442079460001"},
    ]


def test_erasure_delete_record(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    records = len(store.all_nodes("SourceRecord"))
    store.write("erasure_delete_record", record_key="shop:A-77")
    assert len(store.all_nodes("SourceRecord")) == records - 1
    assert store.query("customer_by_record", record_key="shop:A-77") == []
    assert _count(store, ada)["records"] == 2


def test_identifier_exists(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    assert store.query("identifier_exists", key="ada@example.org") == [{"key": "ada@example.org"}]
    store.write("erasure_delete_record", record_key="crm:1")
    store.write("erasure_delete_record", record_key="shop:A-77")
    assert _count(store, ada)["records"] == 1
    store.write("drop_uncarried_identifier", key="ada@example.org")
    assert store.query("identifier_exists", key="ada@example.org") == []
    assert store.query("identifier_exists", key="+442079460001") != []  # support:Z9 has it


def test_erasure_scrub_touchpoints(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    before = store.all_nodes("Touchpoint").set_index("touchpoint_id").sort_index()
    theirs = ["T1", "T2", "T3", "T5"]
    assert before.loc[theirs, ["text", "resolution", "attributes"]].notna().any().any()
    store.write("erasure_scrub_touchpoints", customer_id=ada)
    after = store.all_nodes("Touchpoint").set_index("touchpoint_id").sort_index()
    assert after.loc[theirs, ["text", "resolution", "attributes"]].isna().all().all()
    others = before.index.difference(theirs)
    assert after.loc[others].equals(before.loc[others])
    assert (after.loc[theirs, "kind"] == before.loc[theirs, "kind"]).all()


def test_erasure_delete_touchpoints(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    before = _count(store, grace)["touchpoints"]
    store.write("erasure_delete_touchpoints", customer_id=ada)
    assert _count(store, ada)["touchpoints"] == 0
    assert _count(store, grace)["touchpoints"] == before
    assert "T1" not in set(store.all_nodes("Touchpoint")["touchpoint_id"])


def _flag_and_action(store: GraphStore, customer_id: str, n: int) -> None:
    """A flag and an action on the customer, written straight through the store."""
    import pyarrow as pa

    store.upsert_nodes(
        "Flag", pa.table({"flag_id": [f"F{n}"], "kind": ["vip"], "reason": [f"r{n}"]})
    )
    store.upsert_relationships("FLAGGED", pa.table({"from": [customer_id], "to": [f"F{n}"]}))
    store.upsert_nodes("Action", pa.table({"action_id": [f"A{n}"], "reason": [f"a{n}"]}))
    store.upsert_relationships("NEEDS", pa.table({"from": [customer_id], "to": [f"A{n}"]}))


def test_erasure_delete_flags(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    _flag_and_action(store, ada, 1)
    _flag_and_action(store, grace, 2)
    store.write("erasure_delete_flags", customer_id=ada)
    assert (_count(store, ada)["flags"], _count(store, grace)["flags"]) == (0, 1)
    assert len(store.all_nodes("Flag")) == 1


def test_erasure_delete_actions(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    _flag_and_action(store, ada, 1)
    _flag_and_action(store, grace, 2)
    store.write("erasure_delete_actions", customer_id=ada)
    assert (_count(store, ada)["actions"], _count(store, grace)["actions"]) == (0, 1)
    assert len(store.all_nodes("Action")) == 1


def test_erasure_delete_consents(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    store.write("consent_record", customer_id=ada, consent_id="k1", history="[]", **ROW)
    store.write("consent_record", customer_id=grace, consent_id="k2", history="[]", **ROW)
    store.write("erasure_delete_consents", customer_id=ada)
    assert (_count(store, ada)["consents"], _count(store, grace)["consents"]) == (0, 1)
    assert list(store.all_nodes("Consent")["consent_id"]) == ["k2"]


def test_erasure_delete_relationships(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    store.write("erasure_delete_relationships", customer_id=grace)  # Grace referred Ada
    assert _count(store, ada)["relationships"] == 1
    assert _count(store, grace)["relationships"] == 1  # Alan knows her: towards her, kept


def test_erasure_delete_relationships_in(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    store.write("erasure_delete_relationships_in", customer_id=ada)  # both point at Ada
    assert _count(store, ada)["relationships"] == 0
    assert _count(store, grace)["relationships"] == 1


def test_erasure_delete_sole_accounts(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    accounts = set(store.all_nodes("Account")["account_id"])
    store.write("erasure_delete_sole_accounts", customer_id=ada)
    assert set(store.all_nodes("Account")["account_id"]) == accounts - {"ACC1"}


def test_erasure_scrub_sole_accounts(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    store.write("erasure_scrub_sole_accounts", customer_id=ada)
    accounts = store.all_nodes("Account").set_index("account_id")
    assert accounts.loc["ACC1", ["name", "attributes"]].isna().all()
    assert accounts.loc["ACC1", "plan"] == "premium"
    assert accounts.loc["ACC2", "name"] == "Grace Basic"


def test_erasure_delete_customer(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    store.write("erasure_delete_customer", customer_id=ada)
    assert store.query("customer_exists", customer_id=ada) == []
    assert store.query("customer_exists", customer_id=grace) != []


def test_erasure_anonymous_customer(store: GraphStore, tmp_path: Path) -> None:
    assert store.write("erasure_anonymous_customer", customer_id="anon-1") == [
        {"customer_id": "anon-1"}
    ]
    assert store.query("customer_exists", customer_id="anon-1") == [{"customer_id": "anon-1"}]


def test_erasure_log(store: GraphStore) -> None:
    counts = '{"records": 1}'
    logged = store.write(
        "erasure_log", erasure_id="e0", mode="anonymise", reason="retention", by="cli", at=AT,
        counts=counts,
    )  # fmt: skip
    assert logged == [{"erasure_id": "e0"}]
    assert store.all_nodes("ErasureLog").to_dict("records") == [
        {"erasure_id": "e0", "mode": "anonymise", "reason": "retention", "by": "cli", "at": AT,
         "counts": '{"records": 1}'}
    ]  # fmt: skip


def test_erasure_logs(store: GraphStore) -> None:
    for n, at in ((1, AT), (2, AT + dt.timedelta(days=1))):
        assert store.write(
            "erasure_log",
            erasure_id=f"e{n}",
            mode="delete",
            reason="request",
            by="ops",
            at=at,
            counts="{}",
        ) == [{"erasure_id": f"e{n}"}]
    rows = store.query("erasure_logs", limit=10)
    assert [r["erasure_id"] for r in rows] == ["e2", "e1"]
    assert rows[1] == {"erasure_id": "e1", "mode": "delete", "reason": "request", "by": "ops",
                       "at": AT, "counts": "{}"}  # fmt: skip
    assert [r["erasure_id"] for r in store.query("erasure_logs", limit=1)] == ["e2"]


def test_suppression_digests(store: GraphStore) -> None:
    import pyarrow as pa

    from graph360 import suppression

    assert store.query("suppression_digests") == []
    suppression.suppress(store, {"phone": {"+442079460001"}}, "e1", AT)
    assert store.query("suppression_digests") == [
        {
            "digest": suppression.digest("phone", "+442079460001"),
            "kind": "phone",
            "bucket": int(suppression.quick_hash(pa.array(["+442079460001"]))[0]),
        }
    ]


def test_suppression_lift(store: GraphStore) -> None:
    from graph360 import suppression

    assert store.query("suppression_digests") == []
    suppression.suppress(store, {"email": {"a@example.org"}, "record": {"crm:1"}}, "e1", AT)
    digests = {suppression.digest("email", "a@example.org"), suppression.digest("record", "crm:1")}
    assert {r["digest"] for r in store.query("suppression_digests")} == digests
    one = suppression.digest("record", "crm:1")
    assert store.write("suppression_lift", digest=one) == [{"digest": one}]
    assert store.write("suppression_lift", digest=one) == []
    assert len(store.query("suppression_digests")) == 1


# --- export and retention --------------------------------------------------------------------


def test_export_touchpoints(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _tiny(store, tmp_path)
    rows = store.query("export_touchpoints", customer_id=ada)
    assert [r["touchpoint_id"] for r in rows] == ["T1", "T2", "T3", "T5"]
    first = rows[0]
    assert (first["channel"], first["kind"], first["campaign_id"], first["step_id"]) == (
        "email",
        "open",
        "CMP1",
        "buy-1",
    )
    assert set(first) == {
        *model_touchpoint_columns(),
        "campaign_id",
        "step_id",
        "department_id",
        "product_id",
    }
    assert store.query("export_touchpoints", customer_id="nobody") == []


def model_touchpoint_columns() -> set[str]:
    from graph360 import model

    return {c for c in model.node("Touchpoint").columns if c != "row_hash"}


def test_retention_created(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    rows = {r["customer_id"]: r["created_at"] for r in store.query("retention_created")}
    assert len(rows) == len(store.all_nodes("Customer"))
    assert rows[ada] == dt.datetime(2023, 1, 5)  # the first non-empty by record key (crm:1)
    assert rows[grace] is not None


# --- the identity's history (graph360.merges) ------------------------------------------------


def _history(store: GraphStore, tmp_path: Path) -> tuple[str, str]:
    from graph360 import merges

    ada, grace = _tiny(store, tmp_path)
    # Ada apart from Alan (crm:3), then Ada and Grace merged: the rule and the log to erase.
    merges.never_merge(store, ["crm:1"], ["crm:3"], who="ops")
    merges.merge_customers(store, ada, grace, who="ops")
    return ada, grace


def test_export_never_merge(store: GraphStore, tmp_path: Path) -> None:
    _history(store, tmp_path)
    rows = store.query("export_never_merge", quoted='"crm:1"')
    assert [(r["records_a"], r["records_b"], r["who"]) for r in rows] == [
        ('["crm:1"]', '["crm:3"]', "ops")
    ]
    assert store.query("export_never_merge", quoted='"crm:2"') == []
    assert store.query("export_never_merge", quoted='"crm:"') == []  # a whole key only


def test_erasure_delete_never_merge(store: GraphStore, tmp_path: Path) -> None:
    _history(store, tmp_path)
    store.write("erasure_delete_never_merge", quoted='"crm:2"')
    assert len(store.all_nodes("NeverMerge")) == 1
    store.write("erasure_delete_never_merge", quoted='"crm:3"')
    assert len(store.all_nodes("NeverMerge")) == 0


def test_erasure_delete_merge_log(store: GraphStore, tmp_path: Path) -> None:
    ada, _ = _history(store, tmp_path)
    logged = store.query("merges_log_of_customer", customer_id=ada, limit=10)
    assert logged
    store.write("erasure_delete_merge_log", customer_id="nobody")
    assert store.query("merges_log_of_customer", customer_id=ada, limit=10) == logged
    store.write("erasure_delete_merge_log", customer_id=ada)
    assert store.query("merges_log_of_customer", customer_id=ada, limit=10) == []


def test_erasure_scrub_holdings(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    holds = store.all_relationships("HOLDS")
    assert holds["record_key"].notna().all()
    store.write("erasure_scrub_holdings", customer_id=ada)
    after = store.all_relationships("HOLDS").set_index("from")
    assert after.loc[[ada], "record_key"].isna().all()
    assert after.loc[[grace], "record_key"].notna().all()


def test_erasure_scrub_memberships(store: GraphStore, tmp_path: Path) -> None:
    ada, grace = _tiny(store, tmp_path)
    store.write("erasure_scrub_memberships", customer_id=ada)
    after = store.all_relationships("TARGETS").set_index("to")
    assert after.loc[[ada], "record_key"].isna().all()
    assert after.loc[[grace], "record_key"].notna().all()
