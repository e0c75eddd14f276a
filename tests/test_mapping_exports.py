"""Each product's own export shape, loaded end to end (tests/exports/<product>/).

The fixtures carry the header each product's documentation gives (see each mapping's header
comment) and the mess real exports have: a byte-order mark, CRLF line ends, quoted values
spanning lines, blank lines between records, e-mails in any letter case, national and
international phone numbers (where the export has those: a JSON export has no BOM or quoting,
a deals or ticket events export no phone numbers). Every test loads the bundle folder (its
bundle.toml says which mapping reads which file, and what the departments and steps are)
into a real store and checks the rows in, the rows loaded, the rejects with their reasons,
and that the reject file holds each rejected record as the export has it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

from graph360 import merges
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore

EXPORTS = Path(__file__).parent / "exports"


def rejects_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def export_line(file: Path, line: int, lines: int = 1) -> str:
    """Physical lines ``line`` … of ``file`` as the export has them (CRLF and all), no BOM."""
    text = file.read_bytes().decode("utf-8-sig")
    import io

    physical = io.StringIO(text, newline="").readlines()
    return "".join(physical[line - 1 : line - 1 + lines]).rstrip("\r\n")


def load(store: GraphStore, name: str, tmp_path: Path):
    rejects = tmp_path / "rejects.csv"
    report = load_bundle(store, EXPORTS / name, rejects_path=rejects)
    return report, (rejects_of(rejects) if rejects.exists() else [])


def counts(report) -> dict[str, tuple[int, int, int]]:
    """file -> (read, loaded, rejected)."""
    return {
        name: (f.rows_read, f.loaded, f.rejected)
        for name, f in report.files.items()
        if name != "Customer"
    }


def test_salesforce_data_export_contacts_and_accounts(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "salesforce_export", tmp_path)
    assert counts(report) == {
        "departments": (1, 1, 0),
        "accounts": (2, 2, 0),
        # the deleted contact (IsDeleted true) is not written at all
        "customers": (3, 2, 1),
        "holdings": (2, 1, 1),
        # Amara's DoNotCall; Ravi's HasOptedOutOfEmail goes with his rejected record
        "consents": (2, 1, 1),
    }
    assert report.notes == [
        "Contact.csv: 1 blank line(s) skipped",
        "Account.csv: created 1 departments: business_sales",
    ]
    contact = EXPORTS / "salesforce_export" / "Contact.csv"
    assert [(r["file"], r["reason"], r["origin"]) for r in rejects] == [
        (
            "consents.csv",
            "no customer with e-mail 'RAVI.SHAH@brightwater.example.org'",
            "Contact.csv:5",
        ),
        ("customers.csv", "unparseable date in birth_date: '1990-02-31'", "Contact.csv:5"),
        ("holdings.csv", "unknown customer 'salesforce:0035g00000A1b3CAAR'", "Contact.csv:5"),
    ]
    assert {r["raw"] for r in rejects} == {export_line(contact, 5)}
    consents = store.all_nodes("Consent")
    assert consents[["purpose", "channel", "status", "source"]].values.tolist() == [
        ["phone", "phone", "refused", "salesforce"]
    ]
    records = store.all_nodes("SourceRecord").set_index("record_key")
    amara = records.loc["salesforce:0035g00000A1b2CAAR"]
    assert amara["email"] == "amara.okafor@example.com"
    assert amara["phone"] == "+442079460958"


def test_salesforce_report_footer_is_skipped_with_a_note(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "salesforce_report", tmp_path)
    assert counts(report) == {"customers": (3, 3, 0), "consents": (2, 2, 0)}
    assert rejects == []
    assert report.rejected == 0
    assert report.notes == ["report1733130000000.csv: 5 footer line(s) skipped (lines 7-11)"]
    assert not (tmp_path / "rejects.csv").exists()


def test_hubspot_contacts(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "hubspot", tmp_path)
    assert counts(report)["customers"] == (3, 2, 1)
    assert counts(report)["consents"] == (1, 1, 0)
    export = EXPORTS / "hubspot" / "hubspot-crm-exports-all-contacts-2026-12-01.csv"
    mine = [r for r in rejects if r["file"] == "customers.csv"]
    assert [(r["reason"], r["origin"]) for r in mine] == [
        ("unparseable date in created_at: '14/07/2026'", export.name + ":6")
    ]
    assert mine[0]["raw"] == export_line(export, 6)
    customers = store.all_nodes("Customer").set_index("email")
    # 01:30 on 29 March 2026 does not exist in London (the clocks went forward at 01:00 GMT):
    # read as 02:00 BST, which is 01:00 UTC
    assert str(customers.loc["hannah.price@gmail.com", "created_at"]) == "2026-03-29 01:00:00"
    assert customers.loc["tomas.obriain@example.ie", "lifecycle_stage"] == (
        "marketing_qualified_lead"
    )
    records = store.all_nodes("SourceRecord").set_index("record_key")
    assert records.loc["hubspot:52", "phone"] == "+353871234567"  # the mobile, "087 123 4567"


def test_hubspot_deals_are_accounts_their_associated_contacts_hold(
    store: GraphStore, tmp_path: Path
) -> None:
    report, rejects = load(store, "hubspot", tmp_path)
    assert counts(report) == {
        "departments": (1, 1, 0),
        # one row per deal, however many contacts it has
        "accounts": (4, 3, 1),
        "customers": (3, 2, 1),
        # one per associated contact: 51;52, 53 (whose contact was rejected), " 52 ; 99 "
        "holdings": (5, 3, 2),
        "consents": (1, 1, 0),
    }
    # the blank line between contacts is no record (pyarrow's read); the deals' is noted
    assert report.notes == [
        "hubspot-crm-exports-all-deals-2026-12-01.csv: created 1 departments: sales"
    ]
    deals = EXPORTS / "hubspot" / "hubspot-crm-exports-all-deals-2026-12-01.csv"
    assert [
        (r["file"], r["reason"], r["origin"]) for r in rejects if r["file"] != "customers.csv"
    ] == [
        ("accounts.csv", "not a number in value: 'TBD'", deals.name + ":6"),
        ("holdings.csv", "unknown customer 'hubspot:53'", deals.name + ":4"),
        ("holdings.csv", "unknown customer 'hubspot:99'", deals.name + ":7"),
    ]
    assert [r["raw"] for r in rejects if r["file"] == "holdings.csv"] == [
        export_line(deals, 4),
        export_line(deals, 7),
    ]
    accounts = store.all_nodes("Account").set_index("account_id")
    renewal = accounts.loc["hubspot_deal:9001"]
    # the quoted name spanning two lines, the amount with a thousands separator
    assert (renewal["name"], renewal["kind"], renewal["status"]) == (
        "Team licences (renewal)",
        "deal",
        "closed_won",
    )
    assert renewal["value"] == pytest.approx(1250.0)
    assert str(renewal["opened_at"]) == "2026-07-01 08:00:00"  # 09:00 in London, BST
    holds = store.all_relationships("HOLDS")
    hannah, tomas = (customer_id_for(f"hubspot:{n}") for n in (51, 52))
    assert sorted(zip(holds["from"], holds["to"], strict=True)) == sorted(
        [
            (hannah, "hubspot_deal:9001"),
            (tomas, "hubspot_deal:9001"),
            (tomas, "hubspot_deal:9004"),
        ]
    )
    managed = store.all_relationships("MANAGED_BY")
    assert set(managed["to"]) == {"sales"}


def test_mailchimp_audience_status_files_and_activity(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "mailchimp", tmp_path)
    assert counts(report) == {
        "campaigns": (1, 1, 0),
        "customers": (4, 4, 0),
        "campaign_members": (3, 2, 1),
        "touchpoints": (4, 3, 1),
        "consents": (4, 4, 0),
    }
    assert report.notes == ["email_activity_c1a2b3.ndjson: created 1 campaigns: c1a2b3"]
    activity = EXPORTS / "mailchimp" / "email_activity_c1a2b3.ndjson"
    assert [(r["file"], r["reason"]) for r in rejects] == [
        ("campaign_members.csv", "no customer with e-mail 'stranger@example.org'"),
        ("touchpoints.csv", "no customer with e-mail 'stranger@example.org'"),
    ]
    assert {r["raw"] for r in rejects} == {export_line(activity, 5)}
    records = store.all_nodes("SourceRecord").set_index("record_key")
    import json

    status = {
        key: json.loads(attrs)["email_status"] for key, attrs in records["attributes"].items()
    }
    assert status == {
        "mailchimp:a1b2c3d4e5": "subscribed",
        "mailchimp:b2c3d4e5f6": "subscribed",
        "mailchimp:c3d4e5f6a7": "unsubscribed",
        "mailchimp:d4e5f6a7b8": "cleaned",
    }
    consents = store.all_nodes("Consent").sort_values("at")
    assert consents[["purpose", "status"]].values.tolist() == [
        ["email_marketing", "granted"],  # Hannah, confirmed 2025-01-10
        ["email_marketing", "granted"],  # Priya, 2026-02-02
        ["email_marketing", "refused"],  # Sam's address was cleaned on 2026-04-04
        ["email_marketing", "refused"],  # Tomás unsubscribed on 2026-06-01
    ]
    assert [str(t) for t in consents["at"]] == [
        "2025-01-10 08:05:12",
        "2026-02-02 12:01:00",
        "2026-04-04 04:04:04",
        "2026-06-01 18:30:00",
    ]


def test_zendesk_tickets_with_departments_and_step_from_the_bundle(
    store: GraphStore, tmp_path: Path
) -> None:
    report, rejects = load(store, "zendesk", tmp_path)
    assert counts(report) == {
        "departments": (2, 2, 0),
        "journeys": (1, 1, 0),
        "journey_steps": (1, 1, 0),
        "customers": (3, 3, 0),
        # the tickets export's 4 rows and the ticket events' 5 (test below)
        "touchpoints": (9, 7, 2),
    }
    assert report.notes == [
        "export-2026-12-01-tickets.csv: 1 blank line(s) skipped",
        "export-2026-12-01-tickets.csv: created 2 departments: customer_care, billing",
        "export-2026-12-01-tickets.csv: created journey support",
        "export-2026-12-01-tickets.csv: created 1 journey steps: support_contact",
    ]
    export = EXPORTS / "zendesk" / "export-2026-12-01-tickets.csv"
    mine = [r for r in rejects if r["origin"].startswith(export.name)]
    assert [(r["reason"], r["origin"]) for r in mine] == [
        ("unparseable date in at: '05/06/2026 18:00'", export.name + ":6")
    ]
    assert mine[0]["raw"] == export_line(export, 6)
    touchpoints = store.all_nodes("Touchpoint").set_index("touchpoint_id")
    assert touchpoints.loc["zendesk:1042", "text"] == "Refund query\r\nOrder #1002, charged twice"
    assert set(store.all_nodes("JourneyStep")["step_id"]) == {"support_contact"}


def test_zendesk_ticket_events_comments_replies_and_ratings(
    store: GraphStore, tmp_path: Path
) -> None:
    _, rejects = load(store, "zendesk", tmp_path)
    events = EXPORTS / "zendesk" / "ticket_events-2026-06.ndjson"
    mine = [r for r in rejects if r["origin"].startswith(events.name)]
    # ticket 1050 was created before the export began: its requester is not in it
    assert [(r["reason"], r["origin"]) for r in mine] == [
        ("no customer reference: give source and customer_id, or email", events.name + ":6")
    ]
    assert mine[0]["raw"] == export_line(events, 6)
    touchpoints = store.all_nodes("Touchpoint").set_index("touchpoint_id")
    from_events = touchpoints[touchpoints.index.str.startswith("zendesk_event:")].sort_values("at")
    # the internal note (6004) and the field changes are no touchpoints
    assert from_events[["kind", "channel", "source"]].reset_index().values.tolist() == [
        ["zendesk_event:6003", "comment", "email", "zendesk"],
        ["zendesk_event:6005", "reply", "web", "zendesk"],
        ["zendesk_event:6007", "csat", "web", "zendesk"],
        ["zendesk_event:6009", "comment", "phone", "zendesk"],
    ]
    # every event of a ticket took the requester of its Create event (fill_down)
    had = store.all_relationships("HAD")
    owner = dict(zip(had["to"], had["from"], strict=True))
    hannah, tomas = (customer_id_for(f"zendesk:{n}") for n in (900001, 900002))
    assert [owner[t] for t in from_events.index] == [hannah, hannah, hannah, tomas]
    first = from_events.loc["zendesk_event:6003"]
    assert first["text"] == "My parcel has not arrived.\r\nOrder #1001, due on Monday."
    assert str(first["at"]) == "2026-06-03 09:12:44"
    assert from_events.loc["zendesk_event:6007", "sentiment"] == pytest.approx(1.0)
    handled = store.all_relationships("HANDLED_BY")
    assert {
        t for t, d in zip(handled["from"], handled["to"], strict=True) if d == "customer_care"
    } >= set(from_events.index)


def test_shopify_orders_line_items_inherit_the_order(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "shopify", tmp_path)
    assert counts(report) == {
        "departments": (1, 1, 0),
        "products": (4, 4, 0),
        "customers": (2, 2, 0),
        "touchpoints": (5, 4, 1),
        "consents": (2, 2, 0),  # Accepts Email Marketing (shop_customers)
    }
    orders = EXPORTS / "shopify" / "orders_export_1.csv"
    assert [(r["reason"], r["origin"]) for r in rejects] == [
        ("not a number in value: 'twelve'", orders.name + ":7")
    ]
    assert rejects[0]["raw"] == export_line(orders, 7)
    touchpoints = store.all_nodes("Touchpoint")
    wrap = touchpoints[touchpoints["text"] == "Gift wrap"].iloc[0]
    # the gift wrap's line left the order's fields blank: it took them from the order's first
    assert str(wrap["at"]).startswith("2026-07-01 07:15:00")
    assert wrap["value"] == pytest.approx(4.99)
    assert wrap["outcome"] == "completed"
    assert set(touchpoints["kind"]) == {"purchase", "delivery"}


def test_typeform_and_surveymonkey_responses(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "surveys", tmp_path)
    assert counts(report) == {"customers": (3, 3, 0), "touchpoints": (4, 3, 1)}
    assert report.notes == [
        "Customer Satisfaction Survey.csv: 1 record(s) after the header skipped (line 2)"
    ]
    typeform = EXPORTS / "surveys" / "responses-NPS-2026.csv"
    assert [(r["reason"], r["origin"]) for r in rejects] == [
        ("rating 11 outside its scale 0..10", typeform.name + ":4")
    ]
    assert rejects[0]["raw"] == export_line(typeform, 4)
    touchpoints = store.all_nodes("Touchpoint").set_index("touchpoint_id")
    assert touchpoints.loc["surveymonkey:118340011223", "text"] == "The refund took\r\ntwo weeks."
    assert str(touchpoints.loc["surveymonkey:118340011224", "at"]).startswith("2026-07-09 13:02:00")


def test_freshdesk_tickets(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "freshdesk", tmp_path)
    assert counts(report) == {
        "departments": (2, 2, 0),
        "customers": (3, 3, 0),
        "touchpoints": (4, 3, 1),
    }
    export = EXPORTS / "freshdesk" / "tickets-export.csv"
    assert [(r["reason"], r["origin"]) for r in rejects] == [
        ("unparseable date in at: '2026-08-03 24:10:00'", export.name + ":6")
    ]
    assert rejects[0]["raw"] == export_line(export, 6)


def test_intercom_conversations_messages_ratings_and_group_conversations(
    store: GraphStore, tmp_path: Path
) -> None:
    report, rejects = load(store, "intercom", tmp_path)
    # one row per contact in a conversation; a rating is a touchpoint of its own
    assert counts(report) == {
        "departments": (1, 1, 0),
        "customers": (3, 3, 0),
        "touchpoints": (8, 7, 1),
    }
    export = EXPORTS / "intercom" / "conversations-2026-07.ndjson"
    # an admin wrote to a contact no export holds
    assert [(r["reason"], r["origin"]) for r in rejects] == [
        ("unknown customer 'intercom:6329bdc3fe4e5e2aa8b9a3f0'", export.name + ":5")
    ]
    assert rejects[0]["raw"] == export_line(export, 5)
    touchpoints = store.all_nodes("Touchpoint").set_index("touchpoint_id").sort_index()
    touchpoints = touchpoints.sort_values("at", kind="stable")
    hannah, tomas, priya = (
        customer_id_for(f"intercom:{c}")
        for c in (
            "6329bd9ffe4e5e2aa8b9a3c4",
            "6329bda1fe4e5e2aa8b9a3d7",
            "6329bdb0fe4e5e2aa8b9a3e1",
        )
    )
    had = store.all_relationships("HAD")
    owner = dict(zip(had["to"], had["from"], strict=True))
    seen = [
        (owner[t], row["kind"], row["channel"], row["outcome"], row["rating"])
        for t, row in touchpoints.iterrows()
    ]
    nan = pytest.approx(float("nan"), nan_ok=True)
    assert seen == [
        (hannah, "message", "chat", "resolved", nan),
        (tomas, "message", "email", "open", nan),
        (hannah, "outbound", "email", "waiting", nan),
        (hannah, "csat", "chat", None, 2.0),
        (tomas, "conversation", "chat", "resolved", nan),  # Priya's group conversation
        (priya, "message", "chat", "resolved", nan),
        (priya, "csat", "chat", None, 5.0),
    ]
    # HTML bodies as the text a person reads
    texts = touchpoints[touchpoints["kind"] == "message"]["text"].tolist()
    assert texts[:2] == [
        "Hi, my order #1001 has not arrived.\nCan you check?",
        "Invoice query & refund\nOrder #1002 was charged twice.",
    ]
    customers = store.all_nodes("Customer").set_index("customer_id")
    assert customers.loc[tomas, "email"] == "tomas.obriain@example.ie"
    assert customers.loc[hannah, "email"] == "hannah.price@gmail.com"


def test_ga4_ndjson_events_with_microsecond_times(store: GraphStore, tmp_path: Path) -> None:
    report, rejects = load(store, "ga4", tmp_path)
    # Hannah's canonical record, two devices' visitor records, one device's sign-in as her
    assert counts(report) == {"customers": (4, 4, 0), "touchpoints": (6, 5, 1)}
    events = EXPORTS / "ga4" / "events_20260701.ndjson"
    assert [(r["reason"], r["origin"]) for r in rejects] == [
        ("unparseable date in at: '17828940x0000000'", events.name + ":7")
    ]
    assert rejects[0]["raw"] == export_line(events, 7)
    touchpoints = store.all_nodes("Touchpoint").sort_values("at")
    first = touchpoints.iloc[0]
    assert str(first["at"]) == "2026-07-01 08:15:00.123456"
    assert first["kind"] == "page_view"
    hannah = customer_id_for("shop:7001234567890")
    records = {r["record_key"]: r for r in store.query("identity_records")}
    device = "1234567890.1782893700"
    assert {k: r["customer_id"] for k, r in records.items()} == {
        "shop:7001234567890": hannah,
        f"ga4_visitor:{device}": hannah,
        f"ga4_signin:{device}>7001234567890": hannah,
        # a device that never signs in stays a visitor of its own
        "ga4_visitor:5550001111.1782894000": customer_id_for("ga4_visitor:5550001111.1782894000"),
    }
    # the sign-in names the user by the source bundle.toml gives the export ({_source})
    assert records[f"ga4_signin:{device}>7001234567890"]["identified_as"] == "shop:7001234567890"
    # the device's two anonymous events before the login joined Hannah, logged as identify
    had = store.all_relationships("HAD")
    owner = dict(zip(had["to"], had["from"], strict=True))
    mine = touchpoints[touchpoints["touchpoint_id"].map(owner) == hannah]
    assert mine[["source", "kind"]].values.tolist() == [
        ["ga4_visitor", "page_view"],
        ["ga4_visitor", "view_item"],
        ["shop", "login"],
        ["shop", "add_to_cart"],
    ]
    (entry,) = merges.merge_log(store)
    assert (entry.kind, entry.customer_id, entry.records) == (
        "identify",
        hannah,
        [f"ga4_visitor:{device}"],
    )


def test_ga4_parquet_export_maps_as_the_ndjson_one(tmp_path: Path) -> None:
    from graph360.ingest.mapping import apply_mapping, load_mapping

    table = pajson.read_json(EXPORTS / "ga4" / "events_20260701.ndjson")
    pq.write_table(table, tmp_path / "events_20260701.parquet")
    mapping = load_mapping("ga4_events")
    from_json = apply_mapping(mapping, EXPORTS / "ga4" / "events_20260701.ndjson")
    from_parquet = apply_mapping(mapping, tmp_path / "events_20260701.parquet")
    for file in ("touchpoints.csv", "customers.csv"):
        columns = [c for c in from_json[file].columns if c != "_origin"]
        assert from_parquet[file][columns].to_dict("records") == (
            from_json[file][columns].to_dict("records")
        )
    rows = from_json["touchpoints.csv"].to_dict("records")
    home = [r for r in rows if r["page"] == "https://shop.example.com/"]
    assert [(r["source"], r["customer_id"], r["session_id"], r["device"]) for r in home] == [
        ("ga4_visitor", "1234567890.1782893700", "1720000000", "mobile")
    ]
    assert home[0]["at"] == "2026-07-01T08:15:00.123456+00:00"
    sign_ins = from_json["customers.csv"]
    sign_ins = sign_ins[sign_ins["source"] == "ga4_signin"]
    # no bundle names the user ids' source here: the mapping's own ("web")
    assert sign_ins[["customer_id", "pseudo_id", "identified_as"]].values.tolist() == [
        ["1234567890.1782893700>7001234567890", "1234567890.1782893700", "web:7001234567890"]
    ]
    assert isinstance(table.schema.field("event_params").type, pa.ListType)


def test_a_clean_load_removes_the_reject_file_an_earlier_one_left(
    store: GraphStore, tmp_path: Path
) -> None:
    stale = tmp_path / "rejects.csv"
    stale.write_text("file,line,reason,raw,origin\ncustomers.csv,2,old,old,\n", encoding="utf-8")
    report = load_bundle(store, EXPORTS / "salesforce_report", rejects_path=stale)
    assert report.rejected == 0
    assert not stale.exists()
    # a file at that path that is not a reject file is left alone
    other = tmp_path / "notes.csv"
    other.write_text("mine\n", encoding="utf-8")
    load_bundle(store, EXPORTS / "salesforce_report", rejects_path=other, recheck=True)
    assert other.read_text(encoding="utf-8") == "mine\n"
