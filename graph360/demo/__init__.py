"""The demo data set: a seeded, realistic bundle of a fictional publisher, *The Daily Ledger*.

``generate_demo(out_dir, customers=2000, seed=360)`` writes a bundle folder the way an
organisation would actually hand one over: each source system's own export in its own shape,
a ``bundle.toml`` naming the shipped mapping for each, and canonical CSVs for what no source
system exports. ``graph360.ingest.mapping.materialize`` turns it into a canonical bundle. The
same ``customers`` and ``seed`` always give byte-identical files; nothing depends on today's
date (eighteen months of activity, 2025-05-01 to 2026-10-31 inclusive). ``customers`` is the
number of real people; it runs from 50 to 200,000 and beyond (numpy throughout).

The generators, one module per source system, run in a fixed order over one random generator
(so the order is part of the output): ``world`` draws every person and which systems know them
(a frozen :class:`~graph360.demo.world.World`), ``network`` their accounts and relationships,
then ``email``, ``shop`` (and the web), ``support``, ``surveys`` and ``crm``, each reading the
world and what the systems before it produced; ``vocabulary`` and ``shapes`` hold what they
share. :func:`_files` below is that order.

Files::

    bundle.toml               the manifest
    demo.json                 the facts below, with the planted rows' export lines
    crm/contacts.csv          CRM contacts report (crm_contacts; UTF-8 BOM, CRLF, dd/mm/yyyy)
    crm/activities.csv        CRM activity history: calls, meetings, social (crm_activities)
    email/activity.csv        e-mail platform campaign activity (email_activity)
    shop/customers.csv        online shop accounts (shop_customers)
    shop/orders.csv           online shop orders, one row per line item (ecommerce_orders)
    web/events.csv            web analytics events of logged-in visitors (web_events)
    support/tickets.csv       support desk tickets (support_tickets)
    surveys/responses.csv     survey responses, NPS and 5-point (survey_responses)
    departments.csv accounts.csv holdings.csv relationships.csv campaigns.csv
    campaign_members.csv (phone campaigns) journeys.csv journey_steps.csv products.csv

Facts a test can rely on (also returned by :func:`describe_demo`):

- Departments (7) in three divisions: Sales (``retail_sales``, ``business_sales``), Editorial
  (``newsroom``, ``magazines``), Marketing (``brand``, ``lifecycle_crm``, ``customer_care``).
- Journeys ``online_purchase`` (browse → product_view → add_to_cart → checkout → payment →
  delivery → review, then the recovery branch abandoned_checkout_follow_up at position 8) and
  ``support_resolution`` (support_contact → support_triage → support_resolution →
  support_survey → poor_rating_follow_up). Unowned steps: ``delivery``,
  ``abandoned_checkout_follow_up``, ``poor_rating_follow_up``. Exactly one conflict: ``review``
  is owned by ``brand;customer_care``. Article reading, campaign e-mails, NPS surveys and
  social activity are orphan touchpoints (no step). About 5% of purchase episodes run out of
  order (item added to the basket before it was viewed; reviews before delivery); recovered
  baskets skip checkout.
- The top influencer is person 0, CRM contact ``0035g0000000001`` (Amara Okafor,
  amara.okafor@example.com, a one-person household): max(10, 2.5% of customers) people were
  referred by her and max(15, 6%) follow her, the most of anybody; she has the highest
  weighted PageRank (DESIGN.md §3 directions). Persons 1 and 2 (``0035g0000000002``,
  ``0035g0000000003``) have max(5, 1.2%) and max(4, 0.8%) referrals and are among the top five
  referrers; below them referral and follower counts are heavy-tailed (Pareto, capped).
- Placeholder identifiers, each carried by ``max(10, customers // 100)`` customer records of
  different people (more than the loader's default ``--max-shared 8``): e-mails
  ``test@example.com`` and ``no-email@example.com`` (CRM contacts and support requesters),
  phones ``0000 000000`` (CRM) and ``+44 20 7946 0000`` (a switchboard number support agents
  type; valid, so only the count gives it away). No genuine e-mail or phone is carried by more
  than four customer records (CRM, a CRM duplicate, shop, support).
- The same person appears in several systems with e-mail in different letter case
  (``Jane.Doe@example.com`` / ``jane.doe@example.com`` / ``JANE.DOE@EXAMPLE.COM``), phones in
  national and international formats (``+44 20 7946 0958``, ``020 7946 0958``,
  ``(020) 7946-0958``, ``+442079460958``), names with small typos or only a first name;
  business contacts use a work e-mail in the CRM and a personal one in the shop (linked by
  phone); ~1.5% of CRM contacts are duplicated (a name often typo'd; a duplicate without
  its e-mail has no phone either, so only probabilistic matching finds it: ``demo.json``
  lists them under ``crm_duplicates``); ~5% of support requesters use an e-mail no
  other system knows but give their phone. Everyone has a CRM contact or a shop account; some
  people are known to only one system. E-mails are all under example.com/.org/.net.
- Households of 2-5 people share an address and (mostly) a surname; colleagues share a
  company (CRM "Account Name", work-mail domain). relationships.csv (source ``crm``) holds
  referred (from = the referred person, to = the referrer), household, colleague, follows
  (from follower to followed) and knows rows.
- Contact collisions: between 2026-09-07 and 2026-09-10 six campaigns of five departments hit
  overlapping lists (cmp_rs_autumn, cmp_mag_autumn, cmp_lc_renewal, cmp_nr_podcast by e-mail;
  cmp_bs_renewals and cmp_rs_winback_calls by phone).
- Hour-of-day differs by channel: e-mail opens peak 07-09, social in the evening (19-22),
  phone only in office hours (08-18, almost never at weekends), web at lunchtime and evening;
  weekday effects too (phone on weekdays, social and web heavier at weekends).
- Every unowned step and the conflict step have traffic, at every size; about 60% of
  touchpoints are orphans (campaign e-mails, article reading, social, relationship NPS).
- Shop order times carry the UTC offset (+0100 in summer time); every other export is London
  wall-clock time without an offset, which bundle.toml declares (``timezone``) so that the
  loader stores every time in UTC.

Planted bad rows (8, each yields exactly one canonical row the loader must reject; the rest of
the data is clean, every reference resolves):

1. support/tickets.csv: a ticket created "2026-02-30 09:12:00" (no such day) → its ticket
   touchpoint keeps the raw value in ``at``: unparseable date.
2. support/tickets.csv: a line whose subject holds an unquoted comma → one field too many →
   ``_error`` is set on its (ticket) touchpoint row: wrong field count.
3. surveys/responses.csv: an NPS score of 11 → rating outside its 0-10 scale.
4. surveys/responses.csv: a "Rating 1-5" score of 0 → rating outside its 1-5 scale.
5. email/activity.csv: a click on campaign ``cmp_spring_2024_archive``, which campaigns.csv does
   not have → unknown campaign reference.
6. shop/orders.csv: a hand-keyed phone order created "31/10/2026 14:03" (wrong format, one line
   item, not fulfilled) → its purchase touchpoint keeps the raw value: unparseable date.
7. web/events.csv: an event with an empty event_time → touchpoint without its required ``at``.
8. crm/activities.csv: a call logged on Contact ID ``0035g00000ZZZZZ``, which no contact has →
   unknown customer reference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from graph360.demo.crm import Crm
from graph360.demo.email import Email
from graph360.demo.network import Network, make_network
from graph360.demo.shop import Shop
from graph360.demo.support import Support
from graph360.demo.surveys import Surveys
from graph360.demo.vocabulary import (
    _BROKEN_SUBJECT,
    _PRODUCT_NAME,
    _SKU,
    BUNDLES,
    CAMPAIGNS,
    COLLISION_CAMPAIGNS,
    COLLISION_WINDOW,
    DEPARTMENTS,
    JOURNEYS,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_PHONES,
    PRODUCTS,
    STEPS,
    TOP_INFLUENCER,
    UNKNOWN_CAMPAIGN,
    UNKNOWN_CONTACT,
)
from graph360.demo.world import make_world

__all__ = ["describe_demo", "generate_demo"]


def describe_demo() -> dict[str, Any]:
    """The facts every generated demo bundle holds, whatever its size and seed.

    ``demo.json`` in a generated bundle repeats them and adds the export line of each planted
    bad row, which depends on the size and seed.
    """
    return {
        "period": {"start": "2025-05-01", "end": "2026-10-31"},
        "departments": [
            {"department_id": d, "name": name, "division": div} for d, name, div in DEPARTMENTS
        ],
        "journeys": [j for j, _, _ in JOURNEYS],
        "unowned_steps": [s[0] for s in STEPS if not s[5]],
        "conflict_step": {"step_id": "review", "owners": ["brand", "customer_care"]},
        "top_influencer": {
            "source": "crm",
            "customer_id": TOP_INFLUENCER,
            "name": "Amara Okafor",
            "email": "amara.okafor@example.com",
        },
        "next_influencers": ["0035g0000000002", "0035g0000000003"],
        "placeholder_emails": list(PLACEHOLDER_EMAILS),
        "placeholder_phones": list(PLACEHOLDER_PHONES),
        "placeholder_records": "max(10, customers // 100) customer records each",
        "collision_window": list(COLLISION_WINDOW),
        "collision_campaigns": list(COLLISION_CAMPAIGNS),
        "unknown_campaign": UNKNOWN_CAMPAIGN,
        "unknown_contact": UNKNOWN_CONTACT,
        "planted": [{"file": f, "id": i, "reason": r} for f, i, _, r in _PLANTED],
        "sources": [{"file": f, "mapping": m} for f, m in SOURCES],
    }


#: (export file, canonical touchpoint id of the planted row, a text that marks its line, why the
#: loader rejects it)
_PLANTED = [
    ("support/tickets.csv", "zd:9990001", "\n9990001,", "unparseable date in at (2026-02-30)"),
    ("support/tickets.csv", "zd:9990002", "\n9990002,", "wrong field count (unquoted comma)"),
    ("surveys/responses.csv", "survey:R_PLANTED_NPS11", "R_PLANTED_NPS11", "NPS 11 outside 0-10"),
    ("surveys/responses.csv", "survey:R_PLANTED_CSAT0", "R_PLANTED_CSAT0", "rating 0 outside 1-5"),
    ("email/activity.csv", f"esp:{UNKNOWN_CAMPAIGN}:", UNKNOWN_CAMPAIGN, "unknown campaign"),
    ("shop/orders.csv", "shop:9990000000001:MER-MUG", "\n9990000000001,", "unparseable date in at"),
    ("web/events.csv", "web:9990001::page_view:", ",9990001,", "empty at"),
    ("crm/activities.csv", "crm:00T5gPLANTED01", "00T5gPLANTED01", "unknown customer reference"),
]

SOURCES = [
    ("crm/contacts.csv", "crm_contacts"),
    ("crm/activities.csv", "crm_activities"),
    ("shop/customers.csv", "shop_customers"),
    ("shop/orders.csv", "ecommerce_orders"),
    ("web/events.csv", "web_events"),
    ("email/activity.csv", "email_activity"),
    ("support/tickets.csv", "support_tickets"),
    ("surveys/responses.csv", "survey_responses"),
]


def generate_demo(out_dir: Path, customers: int = 2000, seed: int = 360) -> Path:
    """Write the demo bundle folder into ``out_dir`` and return it (see the module docstring)."""
    if customers < 50:
        raise ValueError("the demo needs at least 50 customers")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    files, crm_duplicates = _files(np.random.default_rng(seed), customers, counts)
    planted = []
    for rel, (frame, crlf) in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = _csv_text(frame, "\r\n" if crlf else "\n")
        if rel == "support/tickets.csv":
            text = text.replace(f'"{_BROKEN_SUBJECT}"', _BROKEN_SUBJECT, 1)
        planted += [
            {"file": rel, "id": tid, "origin": f"{rel}:{_line_of(text, marker)}", "reason": why}
            for file, tid, marker, why in _PLANTED
            if file == rel
        ]
        # newline="" keeps the line endings exactly as written (byte-identical everywhere).
        with path.open("w", encoding="utf-8-sig" if crlf else "utf-8", newline="") as handle:
            handle.write(text)
    (out / "bundle.toml").write_text(_manifest(), encoding="utf-8")
    facts = describe_demo()
    facts["customers"] = customers
    facts["seed"] = seed
    facts["planted"] = planted
    facts["counts"] = counts
    # The CRM's typo'd duplicates (original and duplicate contact ids; identifier: whether the
    # duplicate shares an e-mail or phone with anyone): the truth probabilistic matching is
    # measured against.
    facts["crm_duplicates"] = crm_duplicates
    (out / "demo.json").write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    return out


def _csv_text(frame: pd.DataFrame, eol: str) -> str:
    """The frame as CSV text, quoting only where needed (what pandas writes, only faster).

    pyarrow writes a file that needs no quoting at all (most big exports) an order of magnitude
    faster; it refuses a value with a comma, quote or line break, and pandas writes that file.
    """
    options = pacsv.WriteOptions(quoting_style="none", quoting_header="none", eol=eol)
    try:
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buffer, options)
    except pa.ArrowInvalid:
        return frame.to_csv(index=False, lineterminator=eol)
    return buffer.getvalue().to_pybytes().decode("utf-8")


def _line_of(text: str, marker: str) -> int:
    """The physical line (header = 1) on which ``marker`` first appears."""
    start = text.index(marker) + (len(marker) - len(marker.lstrip("\n")))
    return text.count("\n", 0, start) + 1


def _manifest() -> str:
    lines = [
        "# The Daily Ledger demo bundle, written by graph360.demo.generate_demo.",
        "# Each source system's own export, and the shipped mapping that reads it. The",
        "# canonical CSVs beside this file (departments.csv, campaigns.csv, ...) are",
        "# taken as they are.",
        "",
    ]
    for file, mapping in SOURCES:
        lines += ["[[sources]]", f'file = "{file}"', f'mapping = "{mapping}"']
        # The shop writes UTC offsets; every other system writes London wall-clock time.
        lines += ['timezone = "Europe/London"', ""] if mapping != "ecommerce_orders" else [""]
    return "\n".join(lines)


def _files(
    rng: np.random.Generator, n: int, counts: dict[str, int]
) -> tuple[dict[str, tuple[pd.DataFrame, bool]], list[dict[str, Any]]]:
    """Every file of the demo in memory (its frame, and whether it has CRLF line ends), and
    the CRM's duplicates. Each generator draws from the one ``rng`` in turn, so the order below
    is part of the output: the world first, then each system over it and what came before."""
    world = make_world(rng, n)
    network = make_network(rng, world)
    email = Email(rng, world, counts)
    shop = Shop(rng, world, network, email, counts)
    support = Support(rng, world, shop)
    surveys = Surveys(rng, world, shop, support, counts)
    crm = Crm(rng, world, network, email, shop, surveys)
    files = {
        "crm/contacts.csv": (crm.contacts(), True),
        "crm/activities.csv": (crm.activities, True),
        "shop/customers.csv": (shop.export(), False),
        "shop/orders.csv": (shop.orders, False),
        "web/events.csv": (shop.web, False),
        "email/activity.csv": (email.export(), False),
        "support/tickets.csv": (support.tickets, False),
        "surveys/responses.csv": (surveys.surveys, False),
    }
    files.update({name: (frame, False) for name, frame in canonical(network, email).items()})
    counts.update({rel: len(frame) for rel, (frame, _) in files.items()})
    return files, crm.crm_duplicates


def canonical(network: Network, email: Email) -> dict[str, pd.DataFrame]:
    products = pd.DataFrame(
        {
            "product_id": _SKU,
            "name": _PRODUCT_NAME,
            "category": [p[2] for p in PRODUCTS],
            "price": [f"{p[3]:.2f}" for p in PRODUCTS],
            "physical": ["true" if p[4] else "false" for p in PRODUCTS],
            "bundle": [
                next((b for b, items in BUNDLES.items() if items[0] == p[0]), "") for p in PRODUCTS
            ],
        }
    )
    return {
        "departments.csv": pd.DataFrame(DEPARTMENTS, columns=["department_id", "name", "division"]),
        "accounts.csv": network.accounts,
        "holdings.csv": network.holdings,
        "relationships.csv": network.relationships,
        "campaigns.csv": pd.DataFrame(
            [c[:7] for c in CAMPAIGNS],
            columns=[
                "campaign_id",
                "name",
                "channel",
                "department_id",
                "objective",
                "started_at",
                "ended_at",
            ],
        ),
        "campaign_members.csv": email.campaign_members,
        "journeys.csv": pd.DataFrame(JOURNEYS, columns=["journey_id", "name", "persona"]),
        "journey_steps.csv": pd.DataFrame(
            STEPS,
            columns=[
                "step_id",
                "journey_id",
                "name",
                "position",
                "stage",
                "owner_department_ids",
            ],
        ),
        "products.csv": products,
    }
