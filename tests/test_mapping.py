"""Source mappings: each shipped mapping on a small hand-written export, and bundle folders.

The exports are written byte for byte in the test, so the expected ``_origin`` lines can be
checked against the text right above them (a quoted field spanning lines moves the next
record's line on).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

from graph360.errors import MappingError
from graph360.ingest.mapping import (
    apply_mapping,
    bundle_frames,
    canonical_files,
    load_mapping,
    materialize,
    shipped_mappings,
)


def write(folder: Path, name: str, text: str, newline: str = "\n") -> Path:
    """Write an export exactly as given (``newline`` ends each line, "\\r\\n" for Excel)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, str]]:
    return frame[columns].to_dict("records")


# --------------------------------------------------------------------------- the shipped set


def test_every_shipped_mapping_loads_and_declares_its_columns() -> None:
    mappings = {m.name: m for m in shipped_mappings()}
    assert set(mappings) >= {
        "canonical",
        "crm_contacts",
        "crm_activities",
        "email_activity",
        "support_tickets",
        "ecommerce_orders",
        "shop_customers",
        "web_events",
        "survey_responses",
    }
    for mapping in mappings.values():
        assert mapping.description and mapping.path is not None
        assert mapping.needed_columns <= set(mapping.columns), mapping.name
        if not mapping.passthrough:
            assert mapping.source, mapping.name
            assert set(mapping.files) <= set(canonical_files())
    assert load_mapping("email_activity").files == [
        "touchpoints.csv",
        "campaign_members.csv",
        "consents.csv",
    ]


def test_crm_contacts(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "contacts.csv",
        "\ufeffContact ID,First Name,Last Name,Email,Phone,Mobile,Mailing Street,Mailing City,"
        "Mailing State/Province,Mailing Zip/Postal Code,Mailing Country,Gender,Birthdate,"
        "Account Name,Title,Lead Source,Lifecycle Stage,Customer Segment,Persona,Email Opt Out,"
        "Created Date\n"
        '0035g0000000001,Amara,Okafor,Amara.Okafor@Example.com,+44 20 7946 0958,,"1 High Street\n'
        'Flat 2",London,Greater London,E1 1AA,United Kingdom,Female,03/04/1985,,,Referral,'
        "Evangelist,Premium,Long-form reader,0,01/02/2016 09:30\n"
        "0035g0000000002,Ravi,Shah,ravi.shah@acme.example.com,020 7946 0959,07412 345678,"
        "2 Mill Lane,Dublin,Leinster,D02 X285,Republic of Ireland,M,31/02/1990,Acme Ltd,"
        "Director,Web,Customer,Business,Business professional,1,15/03/2026 14:05\n",
        newline="\r\n",
    )
    out = apply_mapping(load_mapping("crm_contacts"), export)
    assert list(out) == ["customers.csv", "consents.csv"]
    rows = out["customers.csv"]
    assert list(rows.columns[:13]) == [
        "source",
        "customer_id",
        "name",
        "email",
        "phone",
        "gender",
        "birth_date",
        "city",
        "region",
        "country",
        "segment",
        "persona",
        "created_at",
    ]
    assert rows.columns[-1] == "_origin"
    assert rows.to_dict("records") == [
        {
            "source": "crm",
            "customer_id": "0035g0000000001",
            "name": "Amara Okafor",
            "email": "Amara.Okafor@Example.com",
            "phone": "+44 20 7946 0958",
            "gender": "female",
            "birth_date": "1985-04-03",
            "city": "London",
            "region": "Greater London",
            "country": "GB",
            "segment": "premium",
            "persona": "Long-form reader",
            "created_at": "2016-02-01T09:30:00",
            "lifecycle_stage": "evangelist",
            "address": "1 High Street\r\nFlat 2",
            "postcode": "E1 1AA",
            "company": "",
            "job_title": "",
            "lead_source": "referral",
            "email_opt_out": "false",
            "_origin": "contacts.csv:2",
        },
        {
            "source": "crm",
            "customer_id": "0035g0000000002",
            "name": "Ravi Shah",
            "email": "ravi.shah@acme.example.com",
            "phone": "07412 345678",
            "gender": "male",
            # 31 February does not exist: kept raw, so the loader rejects the row and says why
            "birth_date": "31/02/1990",
            "city": "Dublin",
            "region": "Leinster",
            "country": "IE",
            "segment": "business",
            "persona": "Business professional",
            "created_at": "2026-03-15T14:05:00",
            "lifecycle_stage": "customer",
            "address": "2 Mill Lane",
            "postcode": "D02 X285",
            "company": "Acme Ltd",
            "job_title": "Director",
            "lead_source": "web",
            "email_opt_out": "true",
            "_origin": "contacts.csv:4",
        },
    ]


def test_crm_activities(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "activities.csv",
        "Activity ID,Contact ID,Type,Subject,Activity Date,Team,Campaign ID,Call Result,"
        "Duration (min),Journey Step,Comments\n"
        "00T1,0035g0000000001,Call,Renewal call,05/09/2026 10:15,Business Sales,cmp_bs,"
        "Left voicemail,1,,\n"
        "00T2,0035g0000000002,Social,Replied to @DailyLedger,06/09/2026 21:40,Brand,,,,,"
        '"Nice thread,\n'
        'shared twice"\n'
        "00T3,0035g0000000001,Carrier pigeon,Follow-up: poor survey score,07/09/2026 11:00,"
        "Customer Care,,Connected,5,poor_rating_follow_up,\n",
    )
    rows = apply_mapping(load_mapping("crm_activities"), export)["touchpoints.csv"]
    columns = ["touchpoint_id", "source", "customer_id", "at", "channel", "kind",
               "department_id", "campaign_id", "step_id", "outcome", "notes", "duration_min",
               "assigned_to", "_origin"]  # fmt: skip
    assert records(rows, columns) == [
        {"touchpoint_id": "crm:00T1", "source": "crm", "customer_id": "0035g0000000001",
         "at": "2026-09-05T10:15:00", "channel": "phone", "kind": "call",
         "department_id": "business_sales", "campaign_id": "cmp_bs", "step_id": "",
         "outcome": "left_voicemail", "notes": "", "duration_min": "1", "assigned_to": "",
         "_origin": "activities.csv:2"},
        {"touchpoint_id": "crm:00T2", "source": "crm", "customer_id": "0035g0000000002",
         "at": "2026-09-06T21:40:00", "channel": "social", "kind": "social_engagement",
         "department_id": "brand", "campaign_id": "", "step_id": "", "outcome": "",
         "notes": "Nice thread,\nshared twice", "duration_min": "", "assigned_to": "",
         "_origin": "activities.csv:3"},
        # an activity type nobody mapped: the default says so instead of dropping the row
        {"touchpoint_id": "crm:00T3", "source": "crm", "customer_id": "0035g0000000001",
         "at": "2026-09-07T11:00:00", "channel": "other", "kind": "activity",
         "department_id": "customer_care", "campaign_id": "", "step_id": "poor_rating_follow_up",
         "outcome": "connected", "notes": "", "duration_min": "5", "assigned_to": "",
         "_origin": "activities.csv:5"},
    ]  # fmt: skip


def test_email_activity(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "activity.csv",
        "Email Address,Subscriber ID,Campaign ID,Campaign Title,Automation,Event,Event Time,"
        "Link URL,Device\n"
        "Jane.Doe@Example.com,s1,cmp_a,Spring,,sent,2026-03-02 06:30:00,,\n"
        "jane.doe@example.com,s1,cmp_a,Spring,,open,2026-03-02 07:45:10,,mobile\n"
        "Jane.Doe@Example.com,s1,cmp_a,Spring,,sent,2026-03-09 06:30:00,,\n"
        "bob@example.org,s2,cmp_b,Basket,abandoned_cart,click,2026-03-05 08:00:00,"
        "https://shop.example.com/cart,desktop\n",
    )
    out = apply_mapping(load_mapping("email_activity"), export)
    columns = ["touchpoint_id", "email", "campaign_id", "at", "channel", "kind", "step_id",
               "text", "device", "_origin"]  # fmt: skip
    assert records(out["touchpoints.csv"], columns) == [
        {"touchpoint_id": "esp:cmp_a:s1:sent:2026-03-02 06:30:00", "email": "Jane.Doe@Example.com",
         "campaign_id": "cmp_a", "at": "2026-03-02T06:30:00", "channel": "email",
         "kind": "email_sent", "step_id": "", "text": "", "device": "",
         "_origin": "activity.csv:2"},
        {"touchpoint_id": "esp:cmp_a:s1:open:2026-03-02 07:45:10", "email": "jane.doe@example.com",
         "campaign_id": "cmp_a", "at": "2026-03-02T07:45:10", "channel": "email",
         "kind": "email_open", "step_id": "", "text": "", "device": "mobile",
         "_origin": "activity.csv:3"},
        {"touchpoint_id": "esp:cmp_a:s1:sent:2026-03-09 06:30:00", "email": "Jane.Doe@Example.com",
         "campaign_id": "cmp_a", "at": "2026-03-09T06:30:00", "channel": "email",
         "kind": "email_sent", "step_id": "", "text": "", "device": "",
         "_origin": "activity.csv:4"},
        {"touchpoint_id": "esp:cmp_b:s2:click:2026-03-05 08:00:00", "email": "bob@example.org",
         "campaign_id": "cmp_b", "at": "2026-03-05T08:00:00", "channel": "email",
         "kind": "email_click", "step_id": "abandoned_checkout_follow_up",
         "text": "https://shop.example.com/cart", "device": "desktop",
         "_origin": "activity.csv:5"},
    ]  # fmt: skip
    assert (out["touchpoints.csv"]["source"] == "esp").all()
    # The distribution list: "sent" rows only, the second send to the same address collapses.
    assert out["campaign_members.csv"].to_dict("records") == [
        {"source": "esp", "campaign_id": "cmp_a", "email": "Jane.Doe@Example.com",
         "added_at": "2026-03-02T06:30:00", "_origin": "activity.csv:2"},
    ]  # fmt: skip


TICKETS_HEADER = (
    "Id,Requester id,Requester,Requester email,Requester phone,Created at,Via,Subject,Status,"
    "Priority,Group,First reply at,Solved at,Satisfaction Score,Resolution,Product SKU\n"
)


def test_support_tickets(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "tickets.csv",
        TICKETS_HEADER + "101,u1,Jane Doe,JANE.DOE@EXAMPLE.COM,(020) 7946-0958,2026-03-01 09:00:00,"
        "Phone call (incoming),Parcel arrived damaged,solved,high,Customer Care,"
        "2026-03-01 09:05:00,2026-03-02 10:00:00,bad,Replacement dispatched,MER-MUG\n"
        "102,u1,Jane,jane.doe@example.com,,2026-03-03 20:15:00,Twitter DM,Can't log in,new,"
        "normal,Customer Care,,,unoffered,,\n",
    )
    out = apply_mapping(load_mapping("support_tickets"), export)
    tps = out["touchpoints.csv"]
    columns = ["touchpoint_id", "source", "customer_id", "email", "at", "channel", "kind",
               "step_id", "department_id", "product_id", "text", "outcome", "resolution",
               "sentiment", "_origin"]  # fmt: skip
    assert records(tps, columns) == [
        {"touchpoint_id": "zd:101", "source": "support", "customer_id": "u1",
         "email": "JANE.DOE@EXAMPLE.COM", "at": "2026-03-01T09:00:00", "channel": "phone",
         "kind": "ticket", "step_id": "support_contact", "department_id": "customer_care",
         "product_id": "MER-MUG", "text": "Parcel arrived damaged", "outcome": "resolved",
         "resolution": "Replacement dispatched", "sentiment": "-1", "_origin": "tickets.csv:2"},
        {"touchpoint_id": "zd:102", "source": "support", "customer_id": "u1",
         "email": "jane.doe@example.com", "at": "2026-03-03T20:15:00", "channel": "social",
         "kind": "ticket", "step_id": "support_contact", "department_id": "customer_care",
         "product_id": "", "text": "Can't log in", "outcome": "open", "resolution": "",
         "sentiment": "", "_origin": "tickets.csv:3"},
        {"touchpoint_id": "zd:101:reply", "source": "support", "customer_id": "u1",
         "email": "JANE.DOE@EXAMPLE.COM", "at": "2026-03-01T09:05:00", "channel": "phone",
         "kind": "reply", "step_id": "support_triage", "department_id": "customer_care",
         "product_id": "", "text": "", "outcome": "", "resolution": "", "sentiment": "",
         "_origin": "tickets.csv:2"},
        {"touchpoint_id": "zd:101:solved", "source": "support", "customer_id": "u1",
         "email": "JANE.DOE@EXAMPLE.COM", "at": "2026-03-02T10:00:00", "channel": "phone",
         "kind": "resolution", "step_id": "support_resolution", "department_id": "customer_care",
         "product_id": "", "text": "", "outcome": "resolved",
         "resolution": "Replacement dispatched", "sentiment": "", "_origin": "tickets.csv:2"},
    ]  # fmt: skip
    # One customer record per requester, from the first ticket it appears on.
    assert out["customers.csv"].to_dict("records") == [
        {"source": "support", "customer_id": "u1", "name": "Jane Doe",
         "email": "JANE.DOE@EXAMPLE.COM", "phone": "(020) 7946-0958", "_origin": "tickets.csv:2"},
    ]  # fmt: skip


def test_ecommerce_orders(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "orders.csv",
        "Id,Name,Email,Financial Status,Fulfillment Status,Created at,Fulfilled at,"
        "Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Source,Customer ID\n"
        "5001,#1001,jane@example.com,paid,fulfilled,2026-07-01 08:15:00 +0100,"
        "2026-07-02 14:00:00 +0100,2,Enamel mug,£10.00,MER-MUG,web,7001\n"
        "5001,#1001,jane@example.com,paid,fulfilled,2026-07-01 08:15:00 +0100,"
        "2026-07-02 14:00:00 +0100,1,Cookbook,22.00,BK-COOK,web,7001\n"
        "5002,#1002,Guest@Example.org,refunded,,2026-01-10 19:00:00 +0000,,1,Gift card,25,"
        "GFT-CARD25,pos,\n",
    )
    tps = apply_mapping(load_mapping("ecommerce_orders"), export)["touchpoints.csv"]
    columns = ["touchpoint_id", "source", "customer_id", "email", "at", "channel", "kind",
               "value", "product_id", "step_id", "outcome", "_origin"]  # fmt: skip
    assert records(tps, columns) == [
        {"touchpoint_id": "shop:5001:MER-MUG", "source": "shop", "customer_id": "7001",
         "email": "jane@example.com", "at": "2026-07-01T08:15:00+01:00", "channel": "web",
         "kind": "purchase", "value": "20", "product_id": "MER-MUG", "step_id": "payment",
         "outcome": "completed", "_origin": "orders.csv:2"},
        {"touchpoint_id": "shop:5001:BK-COOK", "source": "shop", "customer_id": "7001",
         "email": "jane@example.com", "at": "2026-07-01T08:15:00+01:00", "channel": "web",
         "kind": "purchase", "value": "22", "product_id": "BK-COOK", "step_id": "payment",
         "outcome": "completed", "_origin": "orders.csv:3"},
        # a guest checkout: no shop customer id, the e-mail is the reference
        {"touchpoint_id": "shop:5002:GFT-CARD25", "source": "shop", "customer_id": "",
         "email": "Guest@Example.org", "at": "2026-01-10T19:00:00+00:00", "channel": "store",
         "kind": "purchase", "value": "25", "product_id": "GFT-CARD25", "step_id": "payment",
         "outcome": "refunded", "_origin": "orders.csv:4"},
        # one delivery per fulfilled order, from its first line
        {"touchpoint_id": "shop:5001:delivery", "source": "shop", "customer_id": "7001",
         "email": "jane@example.com", "at": "2026-07-02T14:00:00+01:00", "channel": "delivery",
         "kind": "delivery", "value": "", "product_id": "", "step_id": "delivery",
         "outcome": "fulfilled", "_origin": "orders.csv:2"},
    ]  # fmt: skip


def test_shop_customers(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "customers.csv",
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Address1,"
        "Default Address Address2,Default Address City,Default Address Country Code,"
        "Default Address Zip,Default Address Phone,Phone,Total Spent\n"
        "7001,Jane,Doe ,jane@example.com,yes,12 Oak Avenue,,Leeds,GB,LS6 2AB,0113 496 0000,,"
        '"1,234.50"\n'
        "7002,Ravi,Shah,ravi@example.net,no,,,Dublin,ie,,,+353 1 234 5678,0.00\n",
    )
    rows = apply_mapping(load_mapping("shop_customers"), export)["customers.csv"]
    columns = ["source", "customer_id", "name", "email", "phone", "city", "country", "address",
               "postcode", "accepts_email_marketing", "total_spent", "_origin"]  # fmt: skip
    assert records(rows, columns) == [
        {"source": "shop", "customer_id": "7001", "name": "Jane Doe", "email": "jane@example.com",
         "phone": "0113 496 0000", "city": "Leeds", "country": "GB", "address": "12 Oak Avenue",
         "postcode": "LS6 2AB", "accepts_email_marketing": "true", "total_spent": "1234.50",
         "_origin": "customers.csv:2"},
        {"source": "shop", "customer_id": "7002", "name": "Ravi Shah", "email": "ravi@example.net",
         "phone": "+353 1 234 5678", "city": "Dublin", "country": "IE", "address": "",
         "postcode": "", "accepts_email_marketing": "false", "total_spent": "0.00",
         "_origin": "customers.csv:3"},
    ]  # fmt: skip


def test_web_events(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "events.csv",
        "event_time,event_name,user_id,session_id,page_location,item_id\n"
        "2026-03-01 12:00:00,page_view,7001,s9,https://shop.example.com/,\n"
        "2026-03-01 12:01:00,view_item,7001,s9,https://shop.example.com/products/mug,MER-MUG\n"
        "2026-03-01 12:02:00,add_to_cart,,s8,https://shop.example.com/cart,MER-MUG\n"
        "2026-03-01 21:30:00,page_view,7001,s7,https://www.example.com/news/article-1,\n"
        "2026-03-01 12:03:00,begin_checkout,7001,s9,https://shop.example.com/checkouts/1,\n",
    )
    tps = apply_mapping(load_mapping("web_events"), export)["touchpoints.csv"]
    columns = ["touchpoint_id", "source", "customer_id", "at", "channel", "kind", "step_id",
               "product_id", "_origin"]  # fmt: skip
    # The anonymous event (line 4, no user_id) cannot be tied to anybody: filtered on purpose.
    assert records(tps, columns) == [
        {"touchpoint_id": "web:s9:2026-03-01 12:00:00:page_view:", "source": "shop",
         "customer_id": "7001", "at": "2026-03-01T12:00:00", "channel": "web",
         "kind": "page_view", "step_id": "browse", "product_id": "", "_origin": "events.csv:2"},
        {"touchpoint_id": "web:s9:2026-03-01 12:01:00:view_item:MER-MUG", "source": "shop",
         "customer_id": "7001", "at": "2026-03-01T12:01:00", "channel": "web",
         "kind": "product_view", "step_id": "product_view", "product_id": "MER-MUG",
         "_origin": "events.csv:3"},
        {"touchpoint_id": "web:s9:2026-03-01 12:03:00:begin_checkout:", "source": "shop",
         "customer_id": "7001", "at": "2026-03-01T12:03:00", "channel": "web",
         "kind": "checkout", "step_id": "checkout", "product_id": "", "_origin": "events.csv:6"},
        {"touchpoint_id": "web:s7:2026-03-01 21:30:00:page_view:", "source": "shop",
         "customer_id": "7001", "at": "2026-03-01T21:30:00", "channel": "web",
         "kind": "article_view", "step_id": "", "product_id": "", "_origin": "events.csv:5"},
    ]  # fmt: skip


def test_survey_responses(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "responses.csv",
        "Response ID,Survey,Question Type,Submitted At,Respondent Email,Score,Comment,"
        "Collector,step\n"
        'R_1,Relationship NPS,NPS,04/11/2025 08:10:00,jane@example.com,3,"Paywall everywhere.\n'
        "I'll read elsewhere.\",Email invitation,\n"
        "R_2,Support CSAT,CSAT,05/11/2025 19:45:30,ravi@example.net,5,,In-app,support_survey\n"
        "R_3,Support CSAT,Rating 1-5,05/11/2025 25:61:00,bob@example.org,2,Slow,Web link,"
        "support_survey\n",
    )
    tps = apply_mapping(load_mapping("survey_responses"), export)["touchpoints.csv"]
    columns = ["touchpoint_id", "source", "email", "at", "channel", "kind", "rating",
               "rating_scale", "step_id", "text", "_origin"]  # fmt: skip
    assert records(tps, columns) == [
        {"touchpoint_id": "survey:R_1", "source": "survey", "email": "jane@example.com",
         "at": "2025-11-04T08:10:00", "channel": "email", "kind": "survey", "rating": "3",
         "rating_scale": "10", "step_id": "", "text": "Paywall everywhere.\nI'll read elsewhere.",
         "_origin": "responses.csv:2"},
        {"touchpoint_id": "survey:R_2", "source": "survey", "email": "ravi@example.net",
         "at": "2025-11-05T19:45:30", "channel": "app", "kind": "survey", "rating": "5",
         "rating_scale": "5", "step_id": "support_survey", "text": "",
         "_origin": "responses.csv:4"},
        # 25:61 is no time of day: the row is kept with the raw value, for the loader to reject
        {"touchpoint_id": "survey:R_3", "source": "survey", "email": "bob@example.org",
         "at": "05/11/2025 25:61:00", "channel": "web", "kind": "survey", "rating": "2",
         "rating_scale": "5", "step_id": "support_survey", "text": "Slow",
         "_origin": "responses.csv:5"},
    ]  # fmt: skip


def test_canonical_passthrough_keeps_every_column(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "customers.csv",
        "source,customer_id,name,loyalty_tier\ncrm,c1,Jane Doe,gold\nlegacy,c2,,\n",
    )
    out = apply_mapping(load_mapping("canonical"), export)
    assert out["customers.csv"].to_dict("records") == [
        {"source": "crm", "customer_id": "c1", "name": "Jane Doe", "loyalty_tier": "gold",
         "_origin": "customers.csv:2"},
        {"source": "legacy", "customer_id": "c2", "name": "", "loyalty_tier": "",
         "_origin": "customers.csv:3"},
    ]  # fmt: skip
    other = write(tmp_path, "legacy_people.csv", "source,customer_id\ncrm,c3\n")
    with pytest.raises(MappingError, match="not a canonical bundle file"):
        apply_mapping(load_mapping("canonical"), other)
    assert list(apply_mapping(load_mapping("canonical"), other, target="customers.csv")) == [
        "customers.csv"
    ]
    missing = write(tmp_path, "touchpoints.csv", "touchpoint_id,at,channel\nt1,2026-01-01,web\n")
    with pytest.raises(MappingError, match=r"missing columns \['kind'\]"):
        apply_mapping(load_mapping("canonical"), missing)


# --------------------------------------------------------------------------- contract rules


def test_missing_export_column_names_the_mapping_the_export_and_the_columns(
    tmp_path: Path,
) -> None:
    export = write(
        tmp_path, "activity.csv", "Email Address,Campaign ID,Event\nx@example.com,c,open\n"
    )
    with pytest.raises(MappingError) as error:
        apply_mapping(load_mapping("email_activity"), export)
    message = str(error.value)
    assert "email_activity.toml" in message and "activity.csv" in message
    assert "['Event Time', 'Subscriber ID']" in message


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "activity.csv",
        "Email Address,Subscriber ID,Campaign ID,Event,Event Time\n"
        "x@example.com,s1,c1,open,2026-01-05 07:00:00\n",
    )
    rows = apply_mapping(load_mapping("email_activity"), export)["touchpoints.csv"]
    assert rows.loc[0, "step_id"] == "" and rows.loc[0, "device"] == ""


def test_a_line_with_the_wrong_field_count_is_kept_once_with_an_error(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "tickets.csv",
        TICKETS_HEADER
        + "101,u1,Jane Doe,jane@example.com,,2026-03-01 09:00:00,Email,Hi,solved,low,"
        "Customer Care,2026-03-01 10:00:00,2026-03-01 11:00:00,good,Done,\n"
        "102,u2,Bob,bob@example.org,,2026-03-02 09:00:00,Email,Refund, not received,solved,low,"
        "Customer Care,2026-03-02 10:00:00,2026-03-02 11:00:00,good,Done,\n",
    )
    out = apply_mapping(load_mapping("support_tickets"), export)
    tps = out["touchpoints.csv"]
    broken = tps[tps["_error"] != ""]
    # written once (to the first output), never to the reply, solve or customer outputs
    assert broken[["touchpoint_id", "_error", "_origin"]].to_dict("records") == [
        {"touchpoint_id": "zd:102", "_error": "line 3 has 17 fields, the header has 16",
         "_origin": "tickets.csv:3"},
    ]  # fmt: skip
    assert sorted(tps["touchpoint_id"]) == ["zd:101", "zd:101:reply", "zd:101:solved", "zd:102"]
    assert out["customers.csv"]["customer_id"].tolist() == ["u1"]
    assert "_error" not in out["customers.csv"].columns


def test_blank_lines_and_crlf_keep_physical_line_numbers(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "customers.csv",
        'source,customer_id,name\n\ncrm,c1,"Jane\nDoe"\n\ncrm,c2,Bob\n',
        newline="\r\n",
    )
    rows = apply_mapping(load_mapping("canonical"), export)["customers.csv"]
    assert rows["_origin"].tolist() == ["customers.csv:3", "customers.csv:6"]
    assert rows["name"].tolist() == ["Jane\r\nDoe", "Bob"]


def test_transforms_in_a_custom_mapping(tmp_path: Path) -> None:
    mapping_file = write(
        tmp_path,
        "legacy.toml",
        """
name = "legacy"
description = "a legacy system, semicolon separated"
source = "legacy"
delimiter = ";"

[columns]
"Ref" = "record reference"
"Who" = "person"
"Kind" = "A / B / C"
"When" = "dd.mm.yyyy"
"Amount" = "1.234,50"
"Units" = "count"

[[outputs]]
file = "touchpoints.csv"
where = [{ column = "Kind", in = ["a", "b"], ignore_case = true },
         { column = "Who", not_empty = true }]
distinct_on = ["touchpoint_id"]

[outputs.fields]
touchpoint_id = { id = "legacy:{Ref}:{{x}}", digest = 8 }
customer_id = { column = "Who", lower = true }
at = { column = "When", date = ["%d.%m.%Y", "%Y-%m-%d"] }
channel = { const = "store" }
kind = { column = "Kind", map = { A = "visit" }, default = "other" }
value = { column = "Amount", number = true, decimal = ",", multiply_by = "Units" }
text = { template = "{Kind}  at line {_line} of {_file}" }
""",
    )
    export = write(
        tmp_path,
        "legacy.csv",
        "Ref;Who;Kind;When;Amount;Units\n"
        "1;Ann;A;01.02.2026;1.234,50;2\n"
        "2;Bob;b;2026-02-03;x;1\n"
        "3;;A;01.02.2026;1;1\n"
        "4;Cy;C;01.02.2026;1;1\n"
        "1;Ann;A;01.02.2026;1;1\n",
    )
    mapping = load_mapping(mapping_file)

    def sha1_8(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()[:8]

    assert mapping.needed_columns == {"Ref", "Who", "Kind", "When", "Amount", "Units"}
    rows = apply_mapping(mapping, export)["touchpoints.csv"]
    assert rows.to_dict("records") == [
        {"source": "legacy", "touchpoint_id": "legacy:" + sha1_8("legacy:1:{x}"),
         "customer_id": "ann",
         "at": "2026-02-01", "channel": "store", "kind": "visit", "value": "2469",
         "text": "A at line 2 of legacy.csv", "_origin": "legacy.csv:2"},
        {"source": "legacy", "touchpoint_id": "legacy:" + sha1_8("legacy:2:{x}"),
         "customer_id": "bob",
         "at": "2026-02-03", "channel": "store", "kind": "other", "value": "x",
         "text": "b at line 3 of legacy.csv", "_origin": "legacy.csv:3"},
    ]  # fmt: skip


COLUMNS = '[columns]\n"A" = "a"\n'


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("bogus = 1\n", "unknown top-level keys ['bogus']"),
        (COLUMNS, "no [[outputs]]"),
        (
            COLUMNS + '[[outputs]]\nfile = "people.csv"\n[outputs.fields]\nx = "A"\n',
            "not a canonical",
        ),
        (
            COLUMNS + '[[outputs]]\nfile = "customers.csv"\n[outputs.fields]\nname = "A"\n',
            "required canonical columns not set: ['customer_id']",
        ),
        (
            COLUMNS + '[[outputs]]\nfile = "customers.csv"\n[outputs.fields]\ncustomer_id = "B"\n',
            "reads columns not declared in [columns]: ['B']",
        ),
        (
            COLUMNS + '[[outputs]]\nfile = "customers.csv"\n[outputs.fields]\n'
            'customer_id = { column = "A", const = "x" }\n',
            "give exactly one of",
        ),
        (
            COLUMNS + '[[outputs]]\nfile = "customers.csv"\n[outputs.fields]\n'
            'customer_id = { template = "{A" }\n',
            "unbalanced brace",
        ),
        (
            COLUMNS + '[[outputs]]\nfile = "customers.csv"\nwhere = { column = "A" }\n'
            '[outputs.fields]\ncustomer_id = "A"\n',
            "a where condition needs exactly one of",
        ),
        ("[[outputs]\n", "not valid TOML"),
    ],
)
def test_malformed_mappings_are_refused(tmp_path: Path, body: str, complaint: str) -> None:
    path = write(tmp_path, "bad.toml", 'name = "bad"\ndescription = "d"\nsource = "s"\n' + body)
    with pytest.raises(MappingError, match=re.escape(complaint)) as error:
        load_mapping(path)
    assert "bad.toml" in str(error.value)


def test_unknown_shipped_mapping_lists_the_shipped_ones() -> None:
    with pytest.raises(MappingError, match="crm_contacts"):
        load_mapping("salesforce_v7")


# --------------------------------------------------------------------------- bundle folders


def test_materialize_a_bundle_folder(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    write(
        bundle,
        "bundle.toml",
        '[[sources]]\nfile = "crm/contacts.csv"\nmapping = "crm_contacts"\n\n'
        '[[sources]]\nfile = "esp/activity.csv"\nmapping = "email_activity"\n\n'
        '[[sources]]\nfile = "legacy/people.csv"\nmapping = "canonical"\n'
        'target = "customers.csv"\n\n'
        '[[sources]]\nfile = "eu/contacts.csv"\nmapping = "crm_contacts"\nsource = "crm_eu"\n',
    )
    contacts = (
        "Contact ID,First Name,Last Name,Email,Phone,Mailing City,Mailing Country,Created Date\n"
        "c1,Jane,Doe,jane@example.com,020 7946 0958,London,UK,01/02/2026 10:00\n"
    )
    write(bundle, "crm/contacts.csv", contacts)
    write(bundle, "eu/contacts.csv", contacts.replace("c1,Jane", "e9,Eva"))
    write(
        bundle,
        "esp/activity.csv",
        "Email Address,Subscriber ID,Campaign ID,Event,Event Time\n"
        "jane@example.com,s1,cmp_1,sent,2026-02-02 06:00:00\n",
    )
    write(bundle, "legacy/people.csv", "source,customer_id,name\nlegacy,L1,Old Record\n")
    write(bundle, "customers.csv", "source,customer_id,name,vip\nweb,w1,Walk In,yes\n")
    write(bundle, "campaigns.csv", "campaign_id,name,channel\ncmp_1,Launch,email\n")
    write(bundle, "notes.txt", "not part of the bundle\n")

    out = materialize(bundle, tmp_path / "canonical")
    assert out == tmp_path / "canonical"
    assert sorted(p.name for p in out.iterdir()) == [
        "campaign_members.csv",
        "campaigns.csv",
        "consents.csv",
        "customers.csv",
        "touchpoints.csv",
    ]
    customers = pd.read_csv(out / "customers.csv", dtype=str, keep_default_na=False)
    assert list(customers.columns[:3]) == ["source", "customer_id", "name"]
    assert customers.columns[-1] == "_origin"
    # canonical files in the folder first, then the sources in manifest order
    assert records(customers, ["source", "customer_id", "name", "vip", "_origin"]) == [
        {"source": "web", "customer_id": "w1", "name": "Walk In", "vip": "yes",
         "_origin": "customers.csv:2"},
        {"source": "crm", "customer_id": "c1", "name": "Jane Doe", "vip": "",
         "_origin": "crm/contacts.csv:2"},
        {"source": "legacy", "customer_id": "L1", "name": "Old Record", "vip": "",
         "_origin": "legacy/people.csv:2"},
        {"source": "crm_eu", "customer_id": "e9", "name": "Eva Doe", "vip": "",
         "_origin": "eu/contacts.csv:2"},
    ]  # fmt: skip
    members = pd.read_csv(out / "campaign_members.csv", dtype=str, keep_default_na=False)
    assert members["_origin"].tolist() == ["esp/activity.csv:2"]

    # A second run replaces its own output; a folder without a manifest is returned as it is.
    (bundle / "campaigns.csv").unlink()
    assert materialize(bundle, out) == out
    assert not (out / "campaigns.csv").exists()
    assert materialize(out, tmp_path / "unused") == out
    assert not (tmp_path / "unused").exists()
    parquet = materialize(bundle, tmp_path / "pq", format="parquet")
    assert pd.read_parquet(parquet / "customers.parquet")["customer_id"].tolist() == [
        "w1",
        "c1",
        "L1",
        "e9",
    ]


def test_bundle_frames_reads_a_plain_canonical_folder(tmp_path: Path) -> None:
    write(tmp_path, "customers.csv", "source,customer_id\ncrm,c1\n")
    frames = bundle_frames(tmp_path)
    assert list(frames) == ["customers.csv"]
    assert frames["customers.csv"]["_origin"].tolist() == ["customers.csv:2"]


def test_manifest_errors_name_the_problem(tmp_path: Path) -> None:
    write(tmp_path, "bundle.toml", '[[sources]]\nfile = "missing.csv"\nmapping = "crm_contacts"\n')
    with pytest.raises(MappingError, match=r"missing\.csv does not exist"):
        materialize(tmp_path, tmp_path / "out")
    write(tmp_path, "bundle.toml", '[[sources]]\nfile = "x.csv"\n')
    with pytest.raises(MappingError, match="needs 'file' and 'mapping'"):
        materialize(tmp_path, tmp_path / "out")
    write(tmp_path, "bundle.toml", "")
    with pytest.raises(MappingError, match="overwrite the bundle itself"):
        materialize(tmp_path, tmp_path)


def test_a_declared_timezone_turns_wall_clock_times_into_instants(tmp_path: Path) -> None:
    """London wall-clock times get London's offset of the day; the loader then stores UTC."""
    from graph360.ingest.mapping import bundle_frames

    (tmp_path / "web.csv").write_text(
        "session_id,event_time,event_name,user_id,page_location\n"
        "s1,2026-07-01 08:15:00,page_view,u1,https://shop.example.com/a\n"
        "s2,2026-01-01 08:15:00,page_view,u1,https://shop.example.com/b\n",
        encoding="utf-8",
    )
    (tmp_path / "bundle.toml").write_text(
        '[[sources]]\nfile = "web.csv"\nmapping = "web_events"\ntimezone = "Europe/London"\n',
        encoding="utf-8",
    )
    frames = bundle_frames(tmp_path)
    times = sorted(frames["touchpoints.csv"]["at"])
    assert times == ["2026-01-01T08:15:00+00:00", "2026-07-01T08:15:00+01:00"]
