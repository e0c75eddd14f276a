"""The demo data set: a seeded, realistic bundle of a fictional publisher, *The Daily Ledger*.

``generate_demo(out_dir, customers=2000, seed=360)`` writes a bundle folder the way an
organisation would actually hand one over: each source system's own export in its own shape,
a ``bundle.toml`` naming the shipped mapping for each, and canonical CSVs for what no source
system exports. ``graph360.ingest.mapping.materialize`` turns it into a canonical bundle. The
same ``customers`` and ``seed`` always give byte-identical files; nothing depends on today's
date (eighteen months of activity, 2025-05-01 to 2026-10-31 inclusive). ``customers`` is the
number of real people; it runs from 50 to 200,000 and beyond (numpy throughout).

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

__all__ = ["describe_demo", "generate_demo"]

START_DAY = np.datetime64("2025-05-01", "D")
END_DAY = np.datetime64("2026-10-31", "D")
DAYS = int((END_DAY - START_DAY).astype(np.int64)) + 1
START = START_DAY.astype("datetime64[s]")
HORIZON = DAYS * 86400  # seconds; every event time t satisfies 0 <= t < HORIZON
_WEEKDAY = (np.arange(DAYS) + 3) % 7  # 2025-05-01 was a Thursday (Mon = 0)

TOP_INFLUENCER = "0035g0000000001"
PLACEHOLDER_EMAILS = ("test@example.com", "no-email@example.com")
PLACEHOLDER_PHONES = ("0000 000000", "+44 20 7946 0000")
UNKNOWN_CAMPAIGN = "cmp_spring_2024_archive"
UNKNOWN_CONTACT = "0035g00000ZZZZZ"

DEPARTMENTS = [
    ("retail_sales", "Retail Sales", "Sales"),
    ("business_sales", "Business Sales", "Sales"),
    ("newsroom", "Newsroom", "Editorial"),
    ("magazines", "Magazines", "Editorial"),
    ("brand", "Brand", "Marketing"),
    ("lifecycle_crm", "Lifecycle CRM", "Marketing"),
    ("customer_care", "Customer Care", "Marketing"),
]
_DEPT_NAME = {d: name for d, name, _ in DEPARTMENTS}

JOURNEYS = [
    ("online_purchase", "Online purchase", "Digital shopper"),
    ("support_resolution", "Support resolution", "Customer with a problem"),
]
#: step_id, journey_id, name, position, stage, owner_department_ids
STEPS = [
    ("browse", "online_purchase", "Browse", 1, "awareness", "brand"),
    ("product_view", "online_purchase", "Product view", 2, "consideration", "retail_sales"),
    ("add_to_cart", "online_purchase", "Add to cart", 3, "consideration", "retail_sales"),
    ("checkout", "online_purchase", "Checkout", 4, "purchase", "retail_sales"),
    ("payment", "online_purchase", "Payment", 5, "purchase", "retail_sales"),
    ("delivery", "online_purchase", "Delivery", 6, "fulfilment", ""),
    ("review", "online_purchase", "Review", 7, "advocacy", "brand;customer_care"),
    (
        "abandoned_checkout_follow_up",
        "online_purchase",
        "Abandoned-checkout follow-up",
        8,
        "recovery",
        "",
    ),
    ("support_contact", "support_resolution", "Contact support", 1, "contact", "customer_care"),
    (
        "support_triage",
        "support_resolution",
        "Triage and first reply",
        2,
        "triage",
        "customer_care",
    ),
    ("support_resolution", "support_resolution", "Resolution", 3, "resolution", "customer_care"),
    ("support_survey", "support_resolution", "Satisfaction survey", 4, "feedback", "lifecycle_crm"),
    (
        "poor_rating_follow_up",
        "support_resolution",
        "Follow-up on a poor rating",
        5,
        "recovery",
        "",
    ),
]

#: product_id, name, category, price, physical
PRODUCTS = [
    ("SUB-DIG-M", "Digital subscription (monthly)", "subscriptions", 9.99, False),
    ("SUB-DIG-A", "Digital subscription (annual)", "subscriptions", 99.00, False),
    ("SUB-PD-WE", "Print + Digital weekend (monthly)", "subscriptions", 14.99, True),
    ("MAG-GARD", "Gardening Monthly (single issue)", "magazines", 5.99, True),
    ("MAG-GARD-A", "Gardening Monthly (annual)", "magazines", 59.00, True),
    ("MAG-FOOD", "Food & Travel (single issue)", "magazines", 6.49, True),
    ("BK-XWORD-3", "Crossword Book Vol. 3", "books", 9.99, True),
    ("BK-COOK", "Cookbook: The Kitchen Table", "books", 22.00, True),
    ("BK-WALKS", "Guide: Coastal Walks", "books", 14.99, True),
    ("BK-ARCHIVE", "The Ledger Archive 1925-2025", "books", 35.00, True),
    ("MER-TOTE", "Ledger tote bag", "merchandise", 12.00, True),
    ("MER-MUG", "Enamel mug", "merchandise", 10.00, True),
    ("MER-NOTE", "Notebook set", "merchandise", 8.50, True),
    ("MER-PRINT", "Front-page print (A3)", "merchandise", 25.00, True),
    ("MER-PENCIL", "Crossword pencil set", "merchandise", 4.50, True),
    ("EVT-QA", "Live Q&A with the editors (ticket)", "events", 15.00, False),
    ("EVT-WALK", "Guided coastal walk (ticket)", "events", 30.00, False),
    ("GFT-CARD25", "Gift card 25", "gifts", 25.00, False),
    ("GFT-DIG-3M", "Gift: 3 months digital", "gifts", 27.00, False),
    ("APP-PUZ", "Puzzles app add-on", "apps", 2.99, False),
]
_SKU = np.array([p[0] for p in PRODUCTS], dtype=object)
_PRICE = np.array([p[3] for p in PRODUCTS])
_PHYSICAL = np.array([p[4] for p in PRODUCTS])
_PRODUCT_NAME = np.array([p[1] for p in PRODUCTS], dtype=object)
_SKU_INDEX = {sku: i for i, sku in enumerate(_SKU)}
#: Co-purchase structure: products bought together (first is the one people come for).
BUNDLES = {
    "kitchen": ["BK-COOK", "MER-MUG", "MER-TOTE", "MAG-FOOD"],
    "puzzles": ["BK-XWORD-3", "APP-PUZ", "MER-PENCIL", "MER-NOTE"],
    "walking": ["BK-WALKS", "EVT-WALK", "MER-TOTE"],
    "gardening": ["MAG-GARD-A", "MAG-GARD", "MER-TOTE"],
    "archive": ["BK-ARCHIVE", "MER-PRINT"],
    "subscription": ["SUB-DIG-A", "SUB-DIG-M", "APP-PUZ"],
    "print": ["SUB-PD-WE", "BK-XWORD-3"],
    "gifts": ["GFT-CARD25", "GFT-DIG-3M", "MER-MUG"],
    "events": ["EVT-QA", "BK-ARCHIVE"],
}
_BUNDLE_NAMES = list(BUNDLES)

#: campaign_id, name, channel, department, objective, start, end, audience, share, waves, hour
CAMPAIGNS = [
    ("cmp_nr_briefing", "Morning Briefing relaunch", "email", "newsroom", "engagement",
     "2025-06-03", "2025-06-30", "news", 0.45, 1, 6),
    ("cmp_rs_summer", "Summer subscription sale", "email", "retail_sales", "acquisition",
     "2025-07-08", "2025-07-31", "non_subscribers", 0.4, 1, 10),
    ("cmp_mag_food_xmas", "Food & Travel Christmas special", "email", "magazines",
     "acquisition", "2025-11-25", "2025-12-20", "food", 0.7, 1, 11),
    ("cmp_rs_black_friday", "Black Friday: half-price digital", "email", "retail_sales",
     "acquisition", "2025-11-27", "2025-12-01", "all", 0.3, 1, 8),
    ("cmp_cc_delivery", "Service update: Christmas delivery delays", "email", "customer_care",
     "service", "2025-12-16", "2025-12-23", "buyers", 0.8, 1, 12),
    ("cmp_bs_teams", "Team licences outreach", "phone", "business_sales", "acquisition",
     "2026-01-12", "2026-02-27", "business", 0.6, 1, 10),
    ("cmp_brand_newlook", "Meet the new Daily Ledger", "email", "brand", "awareness",
     "2026-02-03", "2026-02-28", "all", 0.3, 1, 9),
    ("cmp_mag_garden_spring", "Gardening Monthly spring offer", "email", "magazines",
     "acquisition", "2026-03-10", "2026-04-10", "garden", 0.7, 1, 10),
    ("cmp_nr_investigations", "Investigations weekly launch", "email", "newsroom", "engagement",
     "2026-04-21", "2026-05-31", "news", 0.4, 1, 7),
    ("cmp_lc_winback", "We miss you", "email", "lifecycle_crm", "retention",
     "2026-05-12", "2026-05-31", "lapsed", 0.9, 1, 10),
    ("cmp_bs_renewals", "Business renewals call-round", "phone", "business_sales", "retention",
     "2026-09-07", "2026-09-18", "business", 0.7, 1, 10),
    ("cmp_rs_autumn", "Autumn subscription offer", "email", "retail_sales", "acquisition",
     "2026-09-08", "2026-09-30", "all", 0.3, 1, 10),
    ("cmp_mag_autumn", "Magazines autumn bundle", "email", "magazines", "acquisition",
     "2026-09-08", "2026-09-30", "hobby", 0.8, 1, 12),
    ("cmp_lc_renewal", "Renewal reminder", "email", "lifecycle_crm", "retention",
     "2026-09-09", "2026-09-30", "subscribers", 0.9, 1, 9),
    ("cmp_rs_winback_calls", "Lapsed subscriber win-back calls", "phone", "retail_sales",
     "retention", "2026-09-09", "2026-09-25", "lapsed", 0.6, 1, 10),
    ("cmp_nr_podcast", "New podcast: The Ledger Daily", "email", "newsroom", "engagement",
     "2026-09-10", "2026-09-30", "news", 0.5, 1, 7),
    ("cmp_lc_welcome", "Welcome series", "email", "lifecycle_crm", "onboarding",
     "2025-05-01", "", "automation", 0.0, 0, 0),
    ("cmp_lc_abandoned", "Abandoned basket reminder", "email", "lifecycle_crm", "conversion",
     "2025-05-01", "", "automation", 0.0, 0, 0),
]  # fmt: skip
COLLISION_WINDOW = ("2026-09-07", "2026-09-10")
COLLISION_CAMPAIGNS = (
    "cmp_bs_renewals",
    "cmp_rs_autumn",
    "cmp_mag_autumn",
    "cmp_lc_renewal",
    "cmp_rs_winback_calls",
    "cmp_nr_podcast",
)

#: city, region, country, weight, area code, local lead digits, local length, postcode areas
CITIES = [
    ("London", "Greater London", "GB", 0.22, "20", "378", 8, "E1 N1 SE1 SW4 W2 NW3 EC1V"),
    ("Manchester", "North West", "GB", 0.08, "161", "2", 7, "M1 M4 M14 M20"),
    ("Leeds", "Yorkshire and the Humber", "GB", 0.06, "113", "234", 7, "LS1 LS6 LS7 LS17"),
    ("Birmingham", "West Midlands", "GB", 0.07, "121", "24", 7, "B1 B5 B13 B29"),
    ("Bristol", "South West", "GB", 0.05, "117", "39", 7, "BS1 BS6 BS7 BS8"),
    ("Glasgow", "Scotland", "GB", 0.06, "141", "3", 7, "G1 G3 G12 G41"),
    ("Edinburgh", "Scotland", "GB", 0.05, "131", "2", 7, "EH1 EH3 EH9 EH10"),
    ("Cardiff", "Wales", "GB", 0.04, "29", "2", 8, "CF10 CF11 CF14 CF24"),
    ("Belfast", "Northern Ireland", "GB", 0.03, "28", "9", 8, "BT1 BT7 BT9 BT15"),
    ("Newcastle upon Tyne", "North East", "GB", 0.04, "191", "2", 7, "NE1 NE2 NE4 NE6"),
    ("Nottingham", "East Midlands", "GB", 0.04, "115", "9", 7, "NG1 NG5 NG7 NG9"),
    ("Brighton", "South East", "GB", 0.04, "1273", "26", 6, "BN1 BN2 BN3"),
    ("Cambridge", "East of England", "GB", 0.03, "1223", "23", 6, "CB1 CB2 CB4"),
    ("Oxford", "South East", "GB", 0.03, "1865", "27", 6, "OX1 OX2 OX4"),
    ("Dublin", "Leinster", "IE", 0.05, "1", "248", 7, "D02 D04 D06 D08"),
    ("Cork", "Munster", "IE", 0.02, "21", "4", 7, "T12 T23"),
]


def _words(text: str, sep: str | None = None) -> list[str]:
    """Name lists kept as running text (easier to read and extend than a column of strings)."""
    return [
        word.strip() for word in text.replace("\n", "" if sep else " ").split(sep) if word.strip()
    ]


_COUNTRY_NAME = {"GB": ["United Kingdom", "UK", "England", "GB"], "IE": ["Ireland", "IE"]}

FEMALE = _words(
    """Amara Olivia Amelia Isla Ava Mia Ivy Lily Sophia Grace Freya Emily Ella Poppy Evie
Charlotte Florence Isabella Aisha Zara Priya Chloe Hannah Sophie Jessica Lucy Ruby Niamh Siobhan
Aoife Ciara Megan Laura Rachel Sarah Emma Rebecca Katherine Elizabeth Margaret Susan Helen Claire
Nicola Joanne Fatima Mariam Anjali Leila Yasmin Chiara Ewa Agnieszka Maria Ana Sofia Beatrice
Harriet Imogen Rosie Alice Eleanor Matilda Martha Jasmine Nadia Layla Maya Esther Naomi Abigail
Victoria Fiona Morag Eilidh Catriona Bethan Carys Ffion Gwen Sian Joy Patricia Linda Barbara
Jennifer Deborah Karen Gillian Alison Tracey Amanda Kirsty Louise Zoe Holly Amy Danielle"""
)
MALE = _words(
    """Oliver George Noah Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie Jack
Charlie Thomas William James Alfie Joshua Samuel Daniel David Michael Robert Richard John Peter
Paul Mark Andrew Stephen Christopher Matthew Benjamin Edward Joseph Liam Sean Ciaran Padraig
Conor Declan Eoin Rhys Dylan Owen Gareth Dafydd Callum Ewan Angus Hamish Fraser Ravi Arjun
Rohan Amir Omar Yusuf Ibrahim Hassan Kwame Kofi Chidi Emeka Tunde Marek Piotr Tomasz Luca Marco
Mateo Diego Jamal Tyler Nathan Adam Luke Ryan Jake Kieran Simon Graham Neil Ian Colin Martin
Keith Gary Alan Brian Philip Trevor Nigel Clive Dominic Rupert Hugo Felix Jasper"""
)
NEUTRAL = _words("Alex Sam Jordan Charlie Robin Jamie Morgan Casey Riley Avery Quinn Rowan")
SURNAMES = _words(
    """Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood
Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James
Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter
Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson
Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain
Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher
Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard
Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole
Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells
Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page
Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton
Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess
Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne
Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss
McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon Doyle
Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins Read Miles
Stevenson Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater Austin Sullivan
Whitehead Mann Frost Lambert Stephens Blake Akhtar Lynch Goodwin Barton Woodward Thomson Cunningham
Quinn Barnett Baxter Bibi Clayton Nash Greenwood Jennings Holt Kemp Poole Gallagher Bond Stokes
Tucker Davidson Fowler Heath Norman Middleton Lawson Banks French Stanley Jarvis Gibbs Ferguson
Hayward Carroll Douglas Dickinson Todd Barlow Peters Lucas Knowles Hartley Miah Simmons Morton
Alexander Field Morrison Horton Frazer Okafor Mensah Nowak Kowalski Rossi Silva Chen Wong Nguyen
Kim Tanaka Costa Fernandes Begum Chowdhury Rahman Iqbal Mahmood Malik Nair Menon Reddy Das"""
)
STREETS = _words(
    """High Street|Station Road|Church Lane|Victoria Road|Green Lane|Manor Road|
Park Avenue|Queens Road|Kings Road|Mill Lane|The Crescent|Grange Road|Chestnut Close|Oak Avenue|
Elm Grove|Windsor Road|Albert Street|York Road|New Street|Springfield Road|Orchard Way|
Meadow View|Riverside Walk|Castle Street|Market Place|Bridge Street|Willow Drive|Cedar Court|
Beech Road|Highfield Road|St John's Road|Clarence Street|Heathfield Road|Mount Pleasant|
North Street""",
    "|",
)
COMPANY_A = _words(
    """Northwind Blue Harbour Summit Meridian Oakridge Silverline Redwood Granite
Clearwater Brightside Ironbridge Kestrel Lighthouse Evergreen Westgate Eastfield Pennine Thames
Mersey Severn Cotswold Highland Lakeside Beacon Foundry Canal Heron Falcon Anchor"""
)
COMPANY_B = _words(
    """Logistics Analytics Engineering Consulting Media Foods Healthcare Architects
Software Energy Robotics Finance Legal Design Retail Travel Publishing Labs Construction
Pharma"""
)
COMPANY_C = ["Ltd", "LLP", "Group", "Partners", "& Co", "Holdings", "plc", "UK", "Studio",
             "Associates", "Works", "Trust"]  # fmt: skip
PERSONAL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com",
                    "post.example.org", "inbox.example.net"]  # fmt: skip
PERSONAS = ["News skimmer", "Long-form reader", "Hobbyist", "Bargain hunter",
            "Business professional"]  # fmt: skip
LEAD_SOURCES = ["Web", "Newsletter sign-up", "Event", "Partner", "Advertisement"]

#: Relative weight per hour of day (0-23) and per weekday (Mon-Sun), by channel.
HOURS = {
    "email": [0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 2.2, 5.5, 6.5, 4.8, 3.0, 2.2, 2.5, 2.0, 1.6, 1.4,
              1.3, 1.4, 1.6, 1.9, 2.0, 1.6, 0.9, 0.4],
    "social": [0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.4, 0.9, 1.1, 1.0, 1.0, 1.2, 1.5, 1.3, 1.1, 1.1,
               1.3, 1.8, 2.6, 3.8, 4.6, 4.8, 3.4, 1.6],
    "phone": [0, 0, 0, 0, 0, 0, 0, 0, 0.8, 3.5, 4.5, 4.2, 2.4, 2.6, 4.0, 3.8, 3.0, 1.6, 0.3, 0,
              0, 0, 0, 0],
    "web": [0.5, 0.3, 0.15, 0.1, 0.1, 0.2, 0.6, 1.3, 1.6, 1.4, 1.4, 2.0, 3.4, 3.2, 1.7, 1.4,
            1.4, 1.7, 2.4, 3.2, 3.7, 3.4, 2.2, 1.0],
    "chat": [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.9, 1.6, 2.0, 2.1, 2.3, 2.8, 2.6, 2.1, 2.0,
             2.0, 2.1, 2.3, 2.6, 2.7, 2.2, 1.2, 0.5],
    "store": [0, 0, 0, 0, 0, 0, 0, 0, 0.3, 1.5, 2.5, 3.2, 3.8, 3.6, 3.2, 3.0, 2.8, 2.2, 1.0, 0.3,
              0, 0, 0, 0],
    "office": [0, 0, 0, 0, 0, 0, 0, 0, 0.6, 3.0, 4.0, 4.0, 1.5, 2.5, 4.0, 3.5, 2.5, 0.8, 0, 0, 0,
               0, 0, 0],
}  # fmt: skip
WEEKDAYS = {
    "email": [1.0, 1.15, 1.15, 1.1, 0.95, 0.65, 0.6],
    "social": [0.9, 0.9, 0.95, 1.0, 1.1, 1.35, 1.45],
    "phone": [1.2, 1.1, 1.05, 1.0, 0.95, 0.03, 0.0],
    "web": [0.95, 0.95, 0.95, 0.95, 0.95, 1.1, 1.35],
    "chat": [1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8],
    "store": [0.7, 0.7, 0.75, 0.8, 1.0, 1.6, 1.3],
    "office": [1.0, 1.0, 1.0, 1.0, 0.9, 0.0, 0.0],
}


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
    demo = _Demo(np.random.default_rng(seed), customers)
    files = demo.build()
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
    facts["counts"] = demo.counts
    # The CRM's typo'd duplicates (original and duplicate contact ids; identifier: whether the
    # duplicate shares an e-mail or phone with anyone): the truth probabilistic matching is
    # measured against.
    facts["crm_duplicates"] = demo.crm_duplicates
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


_BROKEN_SUBJECT = "Refund not received, order never arrived"


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


# --------------------------------------------------------------------------- helpers


def _s(values: Any) -> pd.Series:
    """A string Series (pyarrow-backed): built through pyarrow, which is much faster."""
    if isinstance(values, pd.Series):
        return values.astype("str").reset_index(drop=True)
    array = pa.array(np.asarray(values, dtype=object), type=pa.string())
    return pd.Series(array, dtype="str")


def _pick(rng: np.random.Generator, options: Any, size: int, p: Any = None) -> np.ndarray:
    options = np.asarray(options, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return options[rng.choice(len(options), size=size, p=p)]


def _affine(i: np.ndarray, modulus: int, a: int, b: int) -> np.ndarray:
    """A bijection of 0..modulus-1 (a coprime to modulus): unique, random-looking numbers."""
    return (np.asarray(i, dtype=np.int64) * a + b) % modulus


def _capped(weights: np.ndarray, cap: float) -> np.ndarray:
    """Probabilities proportional to ``weights`` with none above ``cap`` (when that is possible).

    Keeps the heavy tail below the documented top influencers at every size.
    """
    p = weights / weights.sum()
    cap = max(cap, 1.0 / len(p))
    for _ in range(50):
        over = p > cap
        if not over.any():
            break
        p = np.where(over, cap, p)
        free = ~over
        p[free] *= (1.0 - p[over].sum()) / p[free].sum()
    return p / p.sum()


def _base36(values: np.ndarray, width: int) -> pd.Series:
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
    values = np.asarray(values, dtype=np.int64).copy()
    out = _s([""] * len(values))
    for _ in range(width):
        values, digit = np.divmod(values, 36)
        out = _s(alphabet[digit]) + out
    return out


def _digits(values: np.ndarray, width: int) -> pd.Series:
    return _s(np.asarray(values, dtype=np.int64).astype(str)).str.zfill(width)


def _day_weights(channel: str, season: bool = False) -> np.ndarray:
    w = np.asarray(WEEKDAYS[channel])[_WEEKDAY] * (1.0 + 0.35 * np.arange(DAYS) / DAYS)
    if season:  # Black Friday to Christmas
        day = np.arange(DAYS)
        lo = _day_of("2025-11-20")
        hi = _day_of("2025-12-23")
        w = np.where((day >= lo) & (day <= hi), w * 1.7, w)
    return w / w.sum()


def _clock(rng: np.random.Generator, size: int, channel: str) -> np.ndarray:
    hours = np.asarray(HOURS[channel], dtype=float)
    hour = rng.choice(24, size=size, p=hours / hours.sum())
    return hour * 3600 + rng.integers(0, 3600, size=size)


def _times(
    rng: np.random.Generator,
    size: int,
    channel: str,
    lo: Any = 0,
    hi: Any = DAYS,
    season: bool = False,
) -> np.ndarray:
    """Event times (seconds since 2025-05-01 00:00) with the channel's day and hour pattern.

    ``lo``/``hi`` (scalars or arrays, days, hi exclusive) bound each event's day; the weekday
    pattern is applied by rejection so bounded windows keep it too.
    """
    weights = _day_weights(channel, season)
    accept = weights / weights.max()
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), (size,))
    hi = np.broadcast_to(np.asarray(hi, dtype=np.int64), (size,))
    hi = np.maximum(hi, lo + 1)
    day = np.empty(size, dtype=np.int64)
    todo = np.arange(size)
    for _ in range(60):
        if not len(todo):
            break
        cand = rng.integers(lo[todo], hi[todo])
        cand = np.clip(cand, 0, DAYS - 1)
        ok = rng.random(len(todo)) < accept[cand]
        day[todo[ok]] = cand[ok]
        todo = todo[~ok]
    if len(todo):  # windows that fall on days the channel never works: keep the first day
        day[todo] = np.clip(lo[todo], 0, DAYS - 1)
    return day * 86400 + _clock(rng, size, channel)


def _stamp(secs: np.ndarray) -> pd.Series:
    moments = START + np.asarray(secs, dtype=np.int64).astype("timedelta64[s]")
    return _s(np.datetime_as_string(moments, unit="s"))


def _fmt(secs: np.ndarray, style: str) -> pd.Series:
    iso = _stamp(secs)
    if style == "iso":
        return iso
    if style == "ymd_hms":
        return iso.str.replace("T", " ", regex=False)
    dmy = iso.str[8:10] + "/" + iso.str[5:7] + "/" + iso.str[0:4] + " "
    if style == "dmy_hm":
        return dmy + iso.str[11:16]
    if style == "dmy_hms":
        return dmy + iso.str[11:19]
    if style == "shop":
        secs = np.asarray(secs, dtype=np.int64)
        summer = np.zeros(len(secs), dtype=bool)
        for a, b in (
            ("2025-03-30T02:00", "2025-10-26T02:00"),
            ("2026-03-29T02:00", "2026-10-25T02:00"),
        ):
            lo = int((np.datetime64(a, "s") - START) / np.timedelta64(1, "s"))
            hi = int((np.datetime64(b, "s") - START) / np.timedelta64(1, "s"))
            summer |= (secs >= lo) & (secs < hi)
        return iso.str.replace("T", " ", regex=False) + _s(np.where(summer, " +0100", " +0000"))
    raise ValueError(style)


def _dmy(days: np.ndarray) -> pd.Series:
    iso = _s(np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D"))
    return iso.str[8:10] + "/" + iso.str[5:7] + "/" + iso.str[0:4]


def _day_of(text: str) -> int:
    return int((np.datetime64(text, "D") - START_DAY).astype(np.int64))


def _email_case(rng: np.random.Generator, email: pd.Series, p: list[float]) -> pd.Series:
    """The same address as typed in different systems: lower, Title.Case@domain, UPPER."""
    style = rng.choice(3, size=len(email), p=p)
    local = email.str.replace(r"@.*$", "", regex=True)
    domain = email.str.replace(r"^[^@]*", "", regex=True)
    titled = local.str.title() + domain
    out = email.where(style != 1, titled)
    out = out.where(style != 2, email.str.upper())
    return out.where(email != "", "")


_NICKNAMES = {
    "Robert": "Rob", "William": "Will", "Elizabeth": "Liz", "Katherine": "Kate",
    "Christopher": "Chris", "Benjamin": "Ben", "Margaret": "Maggie", "Samuel": "Sam",
    "Matthew": "Matt", "Daniel": "Dan", "Jennifer": "Jen", "Alexander": "Alex",
    "Joseph": "Joe", "Thomas": "Tom", "Victoria": "Vicky", "Rebecca": "Becky",
    "Michael": "Mike", "Nicola": "Nicky", "Patricia": "Trish", "Stephen": "Steve",
}  # fmt: skip


def _typo(rng: np.random.Generator, names: pd.Series, share: float) -> pd.Series:
    """Small typos a person or an agent makes: a swapped, dropped or doubled letter, a nickname."""
    hit = np.flatnonzero(rng.random(len(names)) < share)
    if not len(hit):
        return names
    kinds = rng.integers(0, 4, size=len(hit))
    spots = rng.integers(1, 1000, size=len(hit))
    values = names.to_numpy(dtype=object).copy()
    for idx, kind, spot in zip(hit, kinds, spots, strict=True):
        name = values[idx]
        if kind == 3 and name in _NICKNAMES:
            values[idx] = _NICKNAMES[name]
            continue
        if len(name) < 4:
            continue
        k = 1 + spot % (len(name) - 2)
        if kind == 0:
            values[idx] = name[:k] + name[k + 1] + name[k] + name[k + 2 :]
        elif kind == 1:
            values[idx] = name[:k] + name[k + 1 :]
        else:
            values[idx] = name[:k] + name[k] + name[k:]
    return _s(values)


_PHONE_STYLES = ("intl", "national", "parens", "e164", "intl0", "compact")


def _phone_text(
    cc: pd.Series, area: pd.Series, part_a: pd.Series, part_b: pd.Series, style: np.ndarray
) -> pd.Series:
    """Render one phone number per row in a chosen style (all the shapes people type)."""
    local = (part_a + " " + part_b).str.strip()
    out = "+" + cc + " " + area + " " + local
    national = "0" + area + " " + local
    parens = "(0" + area + ") " + (part_a + "-" + part_b).str.strip("-")
    e164 = "+" + cc + area + part_a + part_b
    intl0 = "+" + cc + " (0)" + area + " " + local
    compact = "0" + area + part_a + part_b
    for code, text in zip(_PHONE_STYLES[1:], (national, parens, e164, intl0, compact), strict=True):
        out = out.where(style != _PHONE_STYLES.index(code), text)
    return out


# --------------------------------------------------------------------------- the generator


class _Demo:
    """Builds every file of the demo in memory; one generator, used in a fixed order."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.n = n
        self.counts: dict[str, int] = {}

    def build(self) -> dict[str, tuple[pd.DataFrame, bool]]:
        self._people()
        self._systems()
        self._accounts()
        self._relationships()
        self._email_campaigns()
        self._shopping()
        self._support()
        self._surveys()
        self._activities()
        files = {
            "crm/contacts.csv": (self._crm_contacts(), True),
            "crm/activities.csv": (self.activities, True),
            "shop/customers.csv": (self._shop_customers(), False),
            "shop/orders.csv": (self.orders, False),
            "web/events.csv": (self.web, False),
            "email/activity.csv": (self._esp_export(), False),
            "support/tickets.csv": (self.tickets, False),
            "surveys/responses.csv": (self.surveys, False),
        }
        files.update({name: (frame, False) for name, frame in self._canonical().items()})
        self.counts.update({rel: len(frame) for rel, (frame, _) in files.items()})
        return files

    # ----------------------------------------------------------------- people

    def _people(self) -> None:
        rng, n = self.rng, self.n
        sizes = rng.choice(5, size=n, p=[0.78, 0.12, 0.06, 0.03, 0.01]) + 1
        sizes[:3] = 1  # the three influencers live on their own
        household = np.repeat(np.arange(n), sizes)[:n]
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        head = starts[household]
        self.household, self.head = household, head
        self.is_head = head == np.arange(n)

        gender = _pick(rng, ["F", "M", "X"], n, [0.49, 0.49, 0.02])
        draw = rng.integers(0, 1 << 30, size=n)
        female, male, neutral = (np.array(x, dtype=object) for x in (FEMALE, MALE, NEUTRAL))
        first = np.where(
            gender == "F",
            female[draw % len(female)],
            np.where(gender == "M", male[draw % len(male)], neutral[draw % len(neutral)]),
        )
        zipf = 1.0 / (np.arange(len(SURNAMES)) + 8.0) ** 0.8
        own = _pick(rng, SURNAMES, n, zipf)
        last = np.where(self.is_head | (rng.random(n) > 0.85), own, own[head])
        city_weights = [c[3] for c in CITIES]
        city = rng.choice(len(CITIES), size=n, p=np.array(city_weights) / sum(city_weights))[head]
        # The top influencer is a fixed, recognisable person.
        gender[0], first[0], last[0] = "F", "Amara", "Okafor"
        city[household == 0] = 0
        self.gender, self.first, self.last, self.city = gender, _s(first), _s(last), city
        self.country = np.array([CITIES[c][2] for c in range(len(CITIES))], dtype=object)[city]

        number = rng.integers(1, 240, size=n)[head]
        street = _pick(rng, STREETS, n)[head]
        self.street = _s(number.astype(str)) + " " + _s(street)
        areas = [CITIES[c][7].split() for c in range(len(CITIES))]
        pick = rng.integers(0, 1000, size=n)[head]
        outward = _s([areas[c][k % len(areas[c])] for c, k in zip(city, pick, strict=True)])
        letters = np.array(list("ABDEFGHJLNPQRSTUWXY"), dtype=object)
        inward = (
            _s(rng.integers(1, 10, size=n).astype(str))
            + _s(letters[rng.integers(0, len(letters), size=n)])
            + _s(letters[rng.integers(0, len(letters), size=n)])
        )
        self.postcode = outward + " " + inward[head].reset_index(drop=True)

        age_days = (rng.beta(2.2, 2.6, size=n) * (85 - 18) + 18) * 365.25
        self.birth = END_DAY - age_days.astype(np.int64).astype("timedelta64[D]")

        business = rng.random(n) < 0.17
        business[0] = False
        n_comp = max(3, n // 45)
        comp_w = 1.0 / (np.arange(n_comp) + 2.0) ** 0.7
        company = np.where(business, rng.choice(n_comp, size=n, p=comp_w / comp_w.sum()), -1)
        perm = _affine(
            np.arange(n_comp), len(COMPANY_A) * len(COMPANY_B) * len(COMPANY_C), 7919, 11
        )
        a, rest = np.divmod(perm, len(COMPANY_B) * len(COMPANY_C))
        b, c = np.divmod(rest, len(COMPANY_C))
        comp_names = (
            _s(np.array(COMPANY_A, dtype=object)[a % len(COMPANY_A)])
            + " "
            + _s(np.array(COMPANY_B, dtype=object)[b])
            + " "
            + _s(np.array(COMPANY_C, dtype=object)[c])
        )
        self.company_names = comp_names
        self.company = company
        self.business = business
        comp_slug = (
            comp_names.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
        )
        self.company_name = _s(
            np.where(business, comp_names.to_numpy()[np.maximum(company, 0)], "")
        )

        age = (END_DAY - self.birth).astype(np.int64) / 365.25
        segment = np.where(business, "Business", "Consumer").astype(object)
        segment[(~business) & (age < 24) & (rng.random(n) < 0.6)] = "Student"
        segment[(segment == "Consumer") & (rng.random(n) < 0.25)] = "Premium"
        self.segment = segment
        persona = _pick(rng, PERSONAS[:4], n, [0.35, 0.25, 0.22, 0.18])
        persona[business] = "Business professional"
        self.persona = persona
        self.news = rng.random(n) < 0.7
        self.garden = rng.random(n) < np.clip((age - 20) / 150, 0.05, 0.45)
        self.food = rng.random(n) < 0.25
        self.puzzles = rng.random(n) < 0.3
        self.walking = rng.random(n) < 0.15
        self.history = rng.random(n) < 0.12

        # created: 55% long-standing customers, the rest joined during the eighteen months
        old = rng.random(n) < 0.55
        old_secs = -rng.integers(30, 365 * 11, size=n) * 86400 + _clock(rng, n, "web")
        new_secs = _times(rng, n, "web")
        created = np.where(old, old_secs, new_secs)
        created[:3] = -np.array([3650, 3500, 3300]) * 86400 + 11 * 3600
        self.created = created

        # e-mail addresses: unique by construction (a number is added to repeats)
        first_l = self.first.str.lower().str.replace(r"[^a-z\-]", "", regex=True)
        last_l = self.last.str.lower().str.replace(r"[^a-z\-]", "", regex=True)
        style = rng.choice(5, size=n, p=[0.45, 0.2, 0.15, 0.1, 0.1])
        year = _s(((self.birth.astype("datetime64[Y]").astype(np.int64) + 1970) % 100).astype(str))
        local = first_l + "." + last_l
        local = local.where(style != 1, first_l + last_l)
        local = local.where(style != 2, first_l.str[0] + "." + last_l)
        local = local.where(style != 3, first_l + "." + last_l + year.str.zfill(2))
        local = local.where(style != 4, first_l + "_" + last_l)
        domain = _s(_pick(rng, PERSONAL_DOMAINS, n, [0.4, 0.25, 0.15, 0.1, 0.05, 0.05]))
        local[0], domain[0] = "amara.okafor", "example.com"
        self.personal_email = self._unique_emails(local, domain)
        work_local = first_l + "." + last_l
        work_domain = _s(comp_slug.to_numpy()[np.maximum(company, 0)]) + ".example.com"
        work = self._unique_emails(work_local, work_domain)
        self.work_email = work.where(_s(business.astype(str)) == "True", "")

        # phones: mobiles mostly, some landlines in the city's area; unique by construction
        self._phones()

    @staticmethod
    def _unique_emails(local: pd.Series, domain: pd.Series) -> pd.Series:
        """Unique addresses: "jo.bloggs2@..." for a repeat, "jo.bloggs.<n>@..." if still taken."""
        email = local + "@" + domain
        rank = email.groupby(email).cumcount().to_numpy()
        email = email.where(rank == 0, local + _s((rank + 1).astype(str)) + "@" + domain)
        clash = email.duplicated(keep="first").to_numpy()
        index = _s(np.arange(len(email)).astype(str))
        return email.where(~clash, local + "." + index + "@" + domain)

    def _phones(self) -> None:
        rng, n = self.rng, self.n
        idx = np.arange(n)
        ie = self.country == "IE"
        u = _affine(idx, 300_000_000, 1_000_000_007, 12_345_678)
        lead = np.array(["4", "5", "8"], dtype=object)[u // 100_000_000]
        rest = _digits(u % 100_000_000, 8)
        gb_area = "7" + _s(lead) + rest.str[:2]
        gb_a, gb_b = rest.str[2:], _s([""] * n)
        v = _affine(idx, 10_000_000, 48_271, 777)
        ie_area = _s(np.array(["83", "85", "86", "87"], dtype=object)[v % 4])
        ie_rest = _digits(_affine(idx, 10_000_000, 69_621, 4242), 7)
        area = gb_area.where(~ie, ie_area)
        part_a = gb_a.where(~ie, ie_rest.str[:3])
        part_b = gb_b.where(~ie, ie_rest.str[3:])
        landline = rng.random(n) < 0.25
        for c, (_, _, _, _, code, leads, length, _) in enumerate(CITIES):
            mask = landline & (self.city == c)
            if not mask.any():
                continue
            k = np.flatnonzero(mask)
            width = length - 1
            local = _digits(_affine(k, 10**width, 1_000_003, 31 * c + 7), width)
            local = _s(np.array(list(leads), dtype=object)[k % len(leads)]) + local
            split = {8: 4, 7: 3, 6: 6}[length]
            area.iloc[k] = code
            part_a.iloc[k] = local.str[:split].to_numpy()
            part_b.iloc[k] = local.str[split:].to_numpy()
        # Irish Dublin numbers: "1 234 5678" (area 1, local 3 + 4 digits) is already the split.
        self.cc = _s(np.where(ie, "353", "44"))
        key = self.cc + area + part_a + part_b
        clash = key.duplicated(keep="first").to_numpy()  # a landline clash: use the mobile
        if clash.any():
            area[clash] = gb_area.where(~ie, ie_area)[clash]
            part_a[clash] = gb_a.where(~ie, ie_rest.str[:3])[clash]
            part_b[clash] = gb_b.where(~ie, ie_rest.str[3:])[clash]
            landline = landline & ~clash
        self.area, self.part_a, self.part_b = area, part_a, part_b
        self.landline = landline

    def phone(self, who: np.ndarray, styles: list[str], p: list[float]) -> pd.Series:
        """The phones of persons ``who``, each rendered in one of ``styles``."""
        style = np.array([_PHONE_STYLES.index(s) for s in styles])[
            self.rng.choice(len(styles), size=len(who), p=p)
        ]
        return _phone_text(
            self.cc.iloc[who].reset_index(drop=True),
            self.area.iloc[who].reset_index(drop=True),
            self.part_a.iloc[who].reset_index(drop=True),
            self.part_b.iloc[who].reset_index(drop=True),
            style,
        )

    # ----------------------------------------------------------------- systems

    def _systems(self) -> None:
        rng, n = self.rng, self.n
        in_crm = rng.random(n) < 0.85
        in_shop = rng.random(n) < 0.5
        in_crm[:3] = True
        in_shop[0] = True
        in_crm |= ~in_shop
        self.in_crm, self.in_shop = in_crm, in_shop
        idx = np.arange(n)
        self.crm_id = "0035g" + _base36(idx + 1, 10)
        self.shop_id = _s(
            (7_000_000_000_000 + _affine(idx, 10**12, 472_882_049, 91_283_746)).astype(str)
        )
        self.sup_id = _s(
            (360_000_000_000 + _affine(idx, 10**10, 1_103_515_241, 12_345)).astype(str)
        )
        self.esp_id = _s([f"{v:010x}" for v in _affine(idx, 16**10, 2_654_435_761, 97)])

        # Each placeholder sits on k records of k different people: more than any genuine
        # identifier (at most 4 records) and more than the loader's default limit (8).
        k = max(10, n // 100)
        half = (k + 1) // 2
        self.k_placeholder = k
        eligible = rng.permutation(np.arange(3, n))
        crm_pool = eligible[in_crm[eligible]]
        pools = {
            "crm_test": crm_pool[:half],
            "crm_none": crm_pool[half : 2 * half],  # one e-mail field: the two never overlap
            # the national form only reads as one number where the country is the UK
            "crm_zero": rng.permutation(crm_pool[self.country[crm_pool] == "GB"])[:k],
            "sup_test": eligible[-(k - half) :],
            "sup_none": eligible[-2 * (k - half) : -(k - half)],
            "sup_switch": rng.permutation(eligible)[:k],
        }
        used = np.zeros(n, dtype=bool)
        for arr in pools.values():
            used[arr] = True
        self.pools = pools

        crm_email = self.work_email.where(
            _s(self.business.astype(str)) == "True", self.personal_email
        )
        crm_email = crm_email.copy()
        crm_email.iloc[pools["crm_test"]] = PLACEHOLDER_EMAILS[0]
        crm_email.iloc[pools["crm_none"]] = PLACEHOLDER_EMAILS[1]
        self.crm_email = crm_email
        placeholder_crm = np.zeros(n, dtype=bool)
        placeholder_crm[np.r_[pools["crm_test"], pools["crm_none"]]] = True
        # The address marketing writes to: a real one some customer record carries.
        contact = np.where(in_crm & ~placeholder_crm, crm_email, "")
        contact = np.where(in_shop, self.personal_email, contact)
        self.contact_email = _s(contact)
        self.subscribed = (rng.random(n) < 0.7) & (self.contact_email != "").to_numpy()
        self.subscribed[0] = True
        self.esp_address = _email_case(rng, self.contact_email, [0.7, 0.25, 0.05])

        dup = in_crm & (rng.random(n) < 0.015) & ~used & ~placeholder_crm
        dup[:3] = False
        if not dup.any():
            dup[np.flatnonzero(in_crm & ~used & ~placeholder_crm)[3]] = True
        self.crm_dup = np.flatnonzero(dup)

        # subscriptions (accounts) decide who is a subscriber and who lapsed
        self.subscriber = (~self.business) & (rng.random(n) < 0.38)
        status = _pick(rng, ["active", "lapsed", "cancelled"], n, [0.78, 0.14, 0.08])
        self.sub_status = np.where(self.subscriber, status, "")
        self.lapsed = self.subscriber & (self.sub_status != "active")

    def ref(self, who: np.ndarray) -> tuple[pd.Series, pd.Series]:
        """(source, customer_id) a canonical file uses for persons: the CRM, else the shop."""
        who = np.asarray(who)
        crm = self.in_crm[who]
        source = _s(np.where(crm, "crm", "shop"))
        cid = _s(np.where(crm, self.crm_id.to_numpy()[who], self.shop_id.to_numpy()[who]))
        return source, cid

    # ----------------------------------------------------------------- accounts

    def _accounts(self) -> None:
        rng, n = self.rng, self.n
        accounts: list[pd.DataFrame] = []
        holdings: list[tuple[np.ndarray, np.ndarray, str]] = []
        counter = [0]

        def new_ids(count: int) -> np.ndarray:
            ids = np.array([f"ACC-{counter[0] + i + 1:06d}" for i in range(count)], dtype=object)
            counter[0] += count
            return ids

        def opened(count: int) -> pd.Series:
            days = -rng.integers(0, 365 * 9, size=count) + rng.integers(0, DAYS, size=count) // 3
            return _s(np.datetime_as_string(START_DAY + days.astype("timedelta64[D]"), unit="D"))

        subs = np.flatnonzero(self.subscriber)
        family = self.is_head[subs] & (
            np.bincount(self.household, minlength=n)[self.household[subs]] > 1
        )
        family &= rng.random(len(subs)) < 0.5
        plans = {
            "Digital monthly": 119.88,
            "Digital annual": 99.00,
            "Print + Digital weekend": 389.48,
            "Print + Digital daily": 649.74,
        }
        plan = _pick(rng, list(plans), len(subs), [0.4, 0.3, 0.2, 0.1])
        plan = np.where(family, "Family digital", plan)
        value = np.array([plans.get(p, 179.88) for p in plan])
        ids = new_ids(len(subs))
        accounts.append(
            pd.DataFrame(
                {
                    "account_id": ids,
                    "name": (_s(plan) + " - " + self.last.iloc[subs].reset_index(drop=True)),
                    "kind": "subscription",
                    "status": self.sub_status[subs],
                    "plan": plan,
                    "opened_at": opened(len(subs)),
                    "value": [f"{v:.2f}" for v in value],
                    "department_id": "retail_sales",
                }
            )
        )
        holdings.append((subs, ids, "owner"))
        # family plan members
        fam_heads = subs[family]
        fam_ids = ids[family]
        members = np.flatnonzero(~self.is_head & np.isin(self.head, fam_heads))
        lookup = dict(zip(fam_heads.tolist(), fam_ids.tolist(), strict=True))
        holdings.append(
            (members, np.array([lookup[h] for h in self.head[members]], dtype=object), "member")
        )

        for mask, plan_name, price in (
            (self.garden & (rng.random(n) < 0.35), "Gardening Monthly", 59.00),
            (self.food & (rng.random(n) < 0.3), "Food & Travel", 64.00),
        ):
            who = np.flatnonzero(mask)
            mids = new_ids(len(who))
            accounts.append(
                pd.DataFrame(
                    {
                        "account_id": mids,
                        "name": plan_name + " - " + self.last.iloc[who].reset_index(drop=True),
                        "kind": "magazine",
                        "status": _pick(rng, ["active", "lapsed"], len(who), [0.85, 0.15]),
                        "plan": "Annual print",
                        "opened_at": opened(len(who)),
                        "value": f"{price:.2f}",
                        "department_id": "magazines",
                    }
                )
            )
            holdings.append((who, mids, "owner"))

        crm_business = np.flatnonzero(self.business & self.in_crm)
        comps, sizes = np.unique(self.company[crm_business], return_counts=True)
        lic = comps[sizes >= 2]
        lic_ids = new_ids(len(lic))
        seats = sizes[sizes >= 2]
        accounts.append(
            pd.DataFrame(
                {
                    "account_id": lic_ids,
                    "name": "Team licence - " + self.company_names.iloc[lic].reset_index(drop=True),
                    "kind": "licence",
                    "status": _pick(rng, ["active", "active", "lapsed"], len(lic)),
                    "plan": _s([f"Team ({s} seats)" for s in seats]),
                    "opened_at": opened(len(lic)),
                    "value": [f"{450.0 * s:.2f}" for s in seats],
                    "department_id": "business_sales",
                }
            )
        )
        lic_of = dict(zip(lic.tolist(), lic_ids.tolist(), strict=True))
        holders = crm_business[np.isin(self.company[crm_business], lic)]
        admin = np.zeros(len(holders), dtype=bool)
        _, first_pos = np.unique(self.company[holders], return_index=True)
        admin[first_pos] = True
        hold_ids = np.array([lic_of[c] for c in self.company[holders]], dtype=object)
        holdings.append((holders[admin], hold_ids[admin], "admin"))
        holdings.append((holders[~admin], hold_ids[~admin], "member"))

        self.accounts = pd.concat(accounts, ignore_index=True).astype(str)
        rows = []
        for who, acc, role in holdings:
            source, cid = self.ref(who)
            rows.append(
                pd.DataFrame(
                    {"source": source, "customer_id": cid, "account_id": acc, "role": role}
                )
            )
        self.holdings = pd.concat(rows, ignore_index=True).astype(str)

    # ----------------------------------------------------------------- relationships

    def _relationships(self) -> None:
        rng, n = self.rng, self.n
        crm = self.in_crm
        edges: list[tuple[np.ndarray, np.ndarray, str, float, np.ndarray | None]] = []

        # referrals: heavy-tailed; 0, 1 and 2 are the big referrers
        candidates = np.flatnonzero(crm & (np.arange(n) >= 3))
        candidates = candidates[rng.permutation(len(candidates))]
        forced = [max(10, round(0.025 * n)), max(5, round(0.012 * n)), max(4, round(0.008 * n))]
        referred_share = int(0.2 * len(candidates))
        referred = candidates[: max(referred_share, sum(forced))]
        frm, to = [], []
        cursor = 0
        for person, count in enumerate(forced):
            frm.append(referred[cursor : cursor + count])
            to.append(np.full(count, person))
            cursor += count
        rest = referred[cursor:]
        advocates = candidates[len(referred) :][: max(1, len(candidates) // 10)]
        if len(rest) and len(advocates):
            w = rng.pareto(1.3, size=len(advocates)) + 1.0
            p = _capped(w, 0.5 * forced[2] / len(rest))
            frm.append(rest)
            to.append(rng.choice(advocates, size=len(rest), p=p))
        ref_from, ref_to = np.concatenate(frm), np.concatenate(to)
        since = np.maximum(self.created[ref_from], self.created[ref_to]) + 3600
        edges.append((ref_from, ref_to, "referred", 1.0, since))
        self.referred_mask = np.zeros(n, dtype=bool)
        self.referred_mask[ref_from] = True

        # households: every pair of members
        hf, ht = [], []
        for k in range(1, 5):
            i = np.arange(n - k)
            same = self.household[i] == self.household[i + k]
            hf.append(i[same])
            ht.append(i[same] + k)
        hf_a, ht_a = np.concatenate(hf), np.concatenate(ht)
        keep = crm[hf_a] & crm[ht_a]
        since = np.maximum(self.created[hf_a], self.created[ht_a])
        edges.append((hf_a[keep], ht_a[keep], "household", 1.0, since[keep]))

        # colleagues: a chain and one random link inside each company
        biz = np.flatnonzero(self.business & crm)
        order = biz[np.argsort(self.company[biz], kind="stable")]
        same = self.company[order[:-1]] == self.company[order[1:]]
        cf, ct = order[:-1][same], order[1:][same]
        shuffled = order[np.lexsort((rng.random(len(order)), self.company[order]))]
        same2 = self.company[order] == self.company[shuffled]
        cf2, ct2 = order[same2 & (order != shuffled)], shuffled[same2 & (order != shuffled)]
        edges.append((np.r_[cf, cf2], np.r_[ct, ct2], "colleague", 1.0, None))

        # follows: the influencers, then micro-influencers with a heavy tail
        everyone = np.flatnonzero(crm)
        ff, ft = [], []
        follower_counts = (
            max(15, round(0.06 * n)),
            max(6, round(0.02 * n)),
            max(5, round(0.015 * n)),
        )
        for person, count in enumerate(follower_counts):
            who = rng.choice(
                everyone[everyone != person], size=min(count, len(everyone) - 1), replace=False
            )
            ff.append(who)
            ft.append(np.full(len(who), person))
        others = everyone[everyone >= 3]
        micro = rng.choice(others, size=min(len(others), max(30, len(others) // 20)), replace=False)
        m = round(0.15 * n)
        p = _capped(rng.pareto(1.6, size=len(micro)) + 1.0, 0.4 * follower_counts[2] / m)
        ff.append(rng.choice(everyone[everyone >= 3], size=m))
        ft.append(rng.choice(micro, size=m, p=p))
        ff_a, ft_a = np.concatenate(ff), np.concatenate(ft)
        follow_since = _times(rng, len(ff_a), "social") // 86400 * 86400
        edges.append((ff_a, ft_a, "follows", 1.0, follow_since))

        # knows: pairs in the same city
        by_city = everyone[np.argsort(self.city[everyone], kind="stable")]
        cities = self.city[by_city]
        lo = np.searchsorted(cities, cities, side="left")
        hi = np.searchsorted(cities, cities, side="right")
        m = round(0.4 * n)
        pick = rng.integers(0, len(by_city), size=m)
        other = rng.integers(lo[pick], hi[pick])
        edges.append((by_city[pick], by_city[other], "knows", 0.5, None))
        # the influencers know many people (so no single friend inherits their rank)
        for person in range(3):
            who = rng.choice(
                everyone[everyone >= 3],
                size=min(len(everyone) - 3, max(10, n // 100)),
                replace=False,
            )
            edges.append((np.full(len(who), person), who, "knows", 0.5, None))

        frames = []
        for frm_a, to_a, kind, weight, when in edges:
            ok = frm_a != to_a
            frm_a, to_a = frm_a[ok], to_a[ok]
            if kind in ("household", "colleague", "knows"):  # one row per pair
                frm_a, to_a = np.minimum(frm_a, to_a), np.maximum(frm_a, to_a)
            since_col = (
                _s(
                    np.datetime_as_string(
                        (START + when[ok].astype("timedelta64[s]")).astype("datetime64[D]"),
                        unit="D",
                    )
                )
                if when is not None
                else _s([""] * len(frm_a))
            )
            frame = pd.DataFrame(
                {
                    "source": "crm",
                    "from_customer_id": self.crm_id.to_numpy()[frm_a],
                    "to_customer_id": self.crm_id.to_numpy()[to_a],
                    "kind": kind,
                    "weight": f"{weight:.1f}",
                    "since": since_col.to_numpy(),
                }
            )
            frames.append(frame.drop_duplicates(["from_customer_id", "to_customer_id"]))
        self.relationships = pd.concat(frames, ignore_index=True).astype(str)

    # ----------------------------------------------------------------- e-mail campaigns

    def _audience(self, name: str) -> np.ndarray:
        n = self.n
        rules = {
            "news": self.news,
            "non_subscribers": ~self.subscriber,
            "food": self.food,
            "all": np.ones(n, dtype=bool),
            "buyers": self.in_shop,
            "business": self.business & self.in_crm,
            "garden": self.garden,
            "lapsed": self.lapsed,
            "hobby": self.garden | self.food | (self.rng.random(n) < 0.1),
            "subscribers": self.subscriber & ~self.lapsed,
        }
        return rules[name]

    def _email_campaigns(self) -> None:
        """Regular campaign sends, opens, clicks; phone campaign lists (canonical members)."""
        rng = self.rng
        self.esp_rows: list[dict[str, np.ndarray]] = []
        members = []
        self.phone_members: dict[str, np.ndarray] = {}
        for (
            cid,
            _name,
            channel,
            _dept,
            _obj,
            start,
            _end,
            audience,
            share,
            waves,
            hour,
        ) in CAMPAIGNS:
            if audience == "automation":
                continue
            pool = self._audience(audience) & (rng.random(self.n) < share)
            if channel == "phone":
                who = np.flatnonzero(pool & self.in_crm)
                self.phone_members[cid] = who
                source, customer = self.ref(who)
                listed = (_day_of(start) - rng.integers(2, 6, size=len(who))) * 86400 + 9 * 3600
                members.append(
                    pd.DataFrame(
                        {
                            "campaign_id": cid,
                            "source": source,
                            "customer_id": customer,
                            "email": "",
                            "added_at": _fmt(listed, "iso"),
                        }
                    )
                )
                continue
            who = np.flatnonzero(pool & self.subscribed)
            for wave in range(waves):
                day = _day_of(start) + 7 * wave
                sent = day * 86400 + hour * 3600 + rng.integers(0, 1800, size=len(who))
                self._email_events(who, cid, "", sent)
        self.welcome()
        self.campaign_members = pd.concat(members, ignore_index=True).astype(str)

    def welcome(self) -> None:
        who = np.flatnonzero(self.subscribed & (self.created >= 0))
        sent = (
            (self.created[who] // 86400 + 1) * 86400
            + 9 * 3600
            + self.rng.integers(0, 600, size=len(who))
        )
        keep = sent < HORIZON
        self._email_events(who[keep], "cmp_lc_welcome", "welcome", sent[keep])

    def _email_events(
        self, who: np.ndarray, cid: str, automation: str, sent: np.ndarray
    ) -> np.ndarray:
        """One send per person and the opens, clicks, unsubscribes and bounces it causes.

        Returns a boolean per send: was it clicked (abandoned baskets use it to recover).
        """
        rng = self.rng
        size = len(who)
        persona_open = {
            "News skimmer": 0.45,
            "Long-form reader": 0.4,
            "Hobbyist": 0.35,
            "Bargain hunter": 0.3,
            "Business professional": 0.25,
        }
        p_open = np.array([persona_open[p] for p in self.persona[who]]) if size else np.zeros(0)
        r = rng.random(size)
        bounce = r < 0.008
        opened = (~bounce) & (r < 0.008 + p_open)
        lag = rng.geometric(0.55, size=size) - 1
        open_at = (sent // 86400 + lag) * 86400 + _clock(rng, size, "email")
        open_at = np.where(open_at <= sent, open_at + 86400, open_at)  # read it the next morning
        clicked = opened & (rng.random(size) < 0.2)
        click_at = open_at + rng.integers(5, 300, size=size)
        unsub = opened & (rng.random(size) < 0.006)
        unsub_at = open_at + rng.integers(20, 600, size=size)
        device = _pick(rng, ["mobile", "desktop", "tablet"], size, [0.55, 0.38, 0.07])
        link = f"https://www.dailyledger.example.com/{cid.replace('_', '-')}"
        for mask, event, at in (
            (np.ones(size, dtype=bool), "sent", sent),
            (bounce, "bounce", sent + 5),
            (opened, "open", open_at),
            (clicked, "click", click_at),
            (unsub, "unsubscribe", unsub_at),
        ):
            mask = mask & (at < HORIZON)
            self.esp_rows.append(
                {
                    "who": who[mask],
                    "campaign": np.full(mask.sum(), cid, dtype=object),
                    "automation": np.full(mask.sum(), automation, dtype=object),
                    "event": np.full(mask.sum(), event, dtype=object),
                    "at": at[mask],
                    "link": np.full(mask.sum(), link if event == "click" else "", dtype=object),
                    "device": np.where(event in ("open", "click"), device[mask], ""),
                }
            )
        return clicked & (click_at < HORIZON)

    def _esp_export(self) -> pd.DataFrame:
        rows = {k: np.concatenate([r[k] for r in self.esp_rows]) for k in self.esp_rows[0]}
        who, at = rows["who"], rows["at"]
        ids = [c[0] for c in CAMPAIGNS]
        campaign = pd.Series(rows["campaign"]).map({c: i for i, c in enumerate(ids)}).to_numpy()
        # Nobody is mailed after unsubscribing: drop later sends and what followed them.
        unsub = rows["event"] == "unsubscribe"
        first_unsub = np.full(self.n, HORIZON, dtype=np.int64)
        np.minimum.at(first_unsub, who[unsub], at[unsub])
        send_key = campaign.astype(np.int64) * self.n + who
        late = (rows["event"] == "sent") & (at > first_unsub[who])
        keep = ~np.isin(send_key, send_key[late])
        events = ["sent", "bounce", "open", "click", "unsubscribe"]
        code = pd.Series(rows["event"]).map({e: i for i, e in enumerate(events)}).to_numpy()
        order = np.lexsort((code, who, campaign, at))
        order = order[keep[order]]
        who, at, campaign = who[order], at[order], campaign[order]
        names = np.array([c[1] for c in CAMPAIGNS], dtype=object)
        frame = pd.DataFrame(
            {
                "Email Address": self.esp_address.to_numpy()[who],
                "First Name": self.first.to_numpy()[who],
                "Last Name": self.last.to_numpy()[who],
                "Subscriber ID": self.esp_id.to_numpy()[who],
                "Campaign ID": np.array(ids, dtype=object)[campaign],
                "Campaign Title": names[campaign],
                "Automation": rows["automation"][order],
                "Event": rows["event"][order],
                "Event Time": _fmt(at, "ymd_hms").to_numpy(),
                "Link URL": rows["link"][order],
                "Device": rows["device"][order],
            }
        )
        planted = frame.iloc[:1].copy()
        planted["Campaign ID"] = UNKNOWN_CAMPAIGN
        planted["Campaign Title"] = "Spring 2024 (archived)"
        planted["Automation"] = ""
        planted["Event"] = "click"
        when = _day_of("2025-05-06") * 86400 + 8 * 3600 + 1234
        planted["Event Time"] = _fmt(np.array([when]), "ymd_hms").to_numpy()
        planted["Link URL"] = "https://www.dailyledger.example.com/spring-2024"
        planted["Device"] = "mobile"
        position = int(np.searchsorted(at, when, side="right"))
        self.counts["esp_unsubscribed"] = int(unsub.sum())
        return pd.concat([frame.iloc[:position], planted, frame.iloc[position:]], ignore_index=True)

    # ----------------------------------------------------------------- shop and web

    def _bundle_for(self, who: np.ndarray) -> np.ndarray:
        """A bundle per shopping episode, chosen by the person's interests."""
        rng = self.rng
        interest = {
            "kitchen": self.food,
            "puzzles": self.puzzles,
            "walking": self.walking,
            "gardening": self.garden,
            "archive": self.history,
            "subscription": ~self.subscriber,
            "print": self.news,
            "gifts": np.ones(self.n, dtype=bool),
            "events": self.news,
        }
        weights = np.stack([0.15 + 2.0 * interest[b][who] for b in _BUNDLE_NAMES], axis=1)
        cum = np.cumsum(weights, axis=1)
        u = rng.random(len(who)) * cum[:, -1]
        return (cum < u[:, None]).sum(axis=1)

    def _bundle_items(self, bundle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Order lines: (episode index, product index); the lead item plus co-purchases."""
        rng = self.rng
        ep, prod = (
            [np.arange(len(bundle))],
            [np.array([_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[b]][0]] for b in bundle], dtype=np.int64)],
        )
        for slot in range(1, 4):
            has = np.array([len(BUNDLES[_BUNDLE_NAMES[b]]) > slot for b in bundle], dtype=bool)
            take = has & (rng.random(len(bundle)) < 0.45)
            idx = np.flatnonzero(take)
            ep.append(idx)
            prod.append(
                np.array(
                    [_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[bundle[i]]][slot]] for i in idx],
                    dtype=np.int64,
                )
            )
        extra = np.flatnonzero(rng.random(len(bundle)) < 0.08)
        ep.append(extra)
        prod.append(rng.integers(0, len(_SKU), size=len(extra)))
        ep_a, prod_a = np.concatenate(ep), np.concatenate(prod)
        frame = pd.DataFrame({"ep": ep_a, "prod": prod_a}).drop_duplicates()
        frame = frame.sort_values(["ep"], kind="stable")
        return frame["ep"].to_numpy(), frame["prod"].to_numpy()

    def _shopping(self) -> None:
        rng, n = self.rng, self.n
        shoppers = np.flatnonzero(self.in_shop)
        lam = np.where(self.persona[shoppers] == "Bargain hunter", 2.0, 1.0)
        lam = np.where(self.persona[shoppers] == "Hobbyist", 1.5, lam)
        count = rng.poisson(lam)
        person = np.repeat(shoppers, count)
        e = len(person)
        t0 = _times(rng, e, "web", season=True)
        bundle = self._bundle_for(person)
        lead = np.array([_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[b]][0]] for b in bundle], dtype=np.int64)
        second = np.array(
            [_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[b]][1]] for b in bundle], dtype=np.int64
        )
        view = rng.random(e) < 0.78
        cart = view & (rng.random(e) < 0.5)
        checkout = cart & (rng.random(e) < 0.68)
        pay = checkout & (rng.random(e) < 0.72)
        session = np.arange(e) + 1_000_001
        web: list[dict[str, Any]] = []

        def add(
            mask: np.ndarray, event: str, at: np.ndarray, item: np.ndarray | None, page: str
        ) -> None:
            idx = np.flatnonzero(mask & (at < HORIZON))
            items = _SKU[item[idx]] if item is not None else np.full(len(idx), "", dtype=object)
            web.append({"ep": idx, "event": event, "at": at[idx], "item": items, "page": page})

        pages = rng.choice(3, size=e, p=[0.5, 0.35, 0.15]) + 1
        add(np.ones(e, dtype=bool), "page_view", t0, None, "home")
        add(pages >= 2, "page_view", t0 + 40, None, "category")
        add(pages >= 3, "page_view", t0 + 95, None, "offers")
        t_view = t0 + 120 + rng.integers(0, 240, size=e)
        t_view2 = t_view + 30 + rng.integers(0, 90, size=e)
        t_cart = t_view2 + 20 + rng.integers(0, 200, size=e)
        swap = cart & (rng.random(e) < 0.05)  # added from a listing page, viewed afterwards
        t_view, t_cart = np.where(swap, t_cart, t_view), np.where(swap, t_view, t_cart)
        self.counts["episodes_out_of_order"] = int(swap.sum())
        t_check = np.maximum(t_cart, t_view2) + 30 + rng.integers(0, 300, size=e)
        t_order = t_check + 60 + rng.integers(0, 540, size=e)
        add(view, "view_item", t_view, lead, "product")
        add(view & (rng.random(e) < 0.5), "view_item", t_view2, second, "product")
        add(cart, "add_to_cart", t_cart, lead, "cart")
        add(checkout, "begin_checkout", t_check, None, "checkout")
        add(rng.random(e) < 0.15, "search", t0 + 15, None, "search")
        add(rng.random(e) < 0.3, "login", t0 + 5, None, "account")

        # abandoned baskets: an automated reminder to subscribers; some come back and pay
        abandoned = cart & ~pay
        remind = abandoned & self.subscribed[person]
        t_basket = np.maximum(t_cart, np.where(checkout, t_check, 0))
        t_remind = t_basket + rng.integers(3600, 20 * 3600, size=e)
        remind &= t_remind < HORIZON
        idx = np.flatnonzero(remind)
        clicked = self._email_events(
            person[idx], "cmp_lc_abandoned", "abandoned_cart", t_remind[idx]
        )
        recovered = np.zeros(e, dtype=bool)
        comeback = np.where(clicked, rng.random(len(idx)) < 0.6, rng.random(len(idx)) < 0.08)
        recovered[idx[comeback]] = True
        t_recover = t_remind + rng.integers(1, 3, size=e) * 86400 + rng.integers(0, 7200, size=e)
        self.counts["baskets_abandoned"] = int(abandoned.sum())
        self.counts["baskets_recovered"] = int(recovered.sum())

        # articles: logged-in reading on the news site (orphan touchpoints)
        readers = np.repeat(shoppers, rng.poisson(1.0, size=len(shoppers)))
        r = len(readers)
        t_read = _times(rng, r, "web")
        read_session = np.arange(r) + 5_000_001
        reads = rng.choice(3, size=r, p=[0.55, 0.3, 0.15]) + 1

        # orders: paid episodes, recovered baskets, in-store and app orders, guest checkouts
        ordered = pay | recovered
        o_person = [person[ordered]]
        o_time = [np.where(pay, t_order, t_recover)[ordered]]
        o_bundle = [bundle[ordered]]
        o_channel = [np.full(ordered.sum(), "web", dtype=object)]
        o_guest = [np.zeros(ordered.sum(), dtype=bool)]
        store = np.repeat(shoppers, rng.poisson(0.25, size=len(shoppers)))
        o_person.append(store)
        o_time.append(_times(rng, len(store), "store", season=True))
        o_bundle.append(self._bundle_for(store))
        o_channel.append(_pick(rng, ["pos", "iphone", "android"], len(store), [0.6, 0.25, 0.15]))
        o_guest.append(np.zeros(len(store), dtype=bool))
        guests = np.flatnonzero(
            ~self.in_shop & (self.contact_email != "").to_numpy() & (rng.random(n) < 0.12)
        )
        o_person.append(guests)
        o_time.append(_times(rng, len(guests), "web", season=True))
        o_bundle.append(self._bundle_for(guests))
        o_channel.append(np.full(len(guests), "web", dtype=object))
        o_guest.append(np.ones(len(guests), dtype=bool))
        o_person_a = np.concatenate(o_person)
        o_time_a = np.concatenate(o_time)
        order = np.argsort(o_time_a, kind="stable")
        o_person_a, o_time_a = o_person_a[order], o_time_a[order]
        o_bundle_a = np.concatenate(o_bundle)[order]
        o_channel_a = np.concatenate(o_channel)[order]
        o_guest_a = np.concatenate(o_guest)[order]
        keep = o_time_a < HORIZON
        o_person_a, o_time_a, o_bundle_a = o_person_a[keep], o_time_a[keep], o_bundle_a[keep]
        o_channel_a, o_guest_a = o_channel_a[keep], o_guest_a[keep]
        m = len(o_person_a)
        status = _pick(
            rng,
            ["paid", "refunded", "partially_refunded", "pending", "voided"],
            m,
            [0.92, 0.03, 0.01, 0.02, 0.02],
        )
        line_ep, line_prod = self._bundle_items(o_bundle_a)
        physical = np.zeros(m, dtype=bool)
        np.logical_or.at(physical, line_ep, _PHYSICAL[line_prod])
        deliver = (
            physical & np.isin(status, ["paid", "partially_refunded"]) & (o_channel_a != "pos")
        )
        fulfilled_at = (
            o_time_a
            + rng.integers(1, 4, size=m) * 86400
            + _clock(rng, m, "office")
            - o_time_a % 86400
        )
        deliver &= fulfilled_at < HORIZON
        ful_status = np.where(
            deliver | (o_channel_a == "pos"), "fulfilled", np.where(physical, "unfulfilled", "")
        )
        qty = np.where(rng.random(len(line_ep)) < 0.1, 2, 1)
        order_id = 5_600_000_000_000 + np.arange(m) * 7_919 + 1_234
        self.order_person, self.order_time = o_person_a, o_time_a
        self.order_delivered, self.order_fulfilled_at = deliver, fulfilled_at
        self.order_first_physical = self._first_physical(line_ep, line_prod, m)

        # order-level fields, as the buyer typed them at checkout (the same on every line)
        buyer = o_person_a
        address = np.where(
            self.in_shop[buyer],
            self.personal_email.to_numpy()[buyer],
            self.contact_email.to_numpy()[buyer],
        )
        email = _email_case(rng, _s(address), [0.85, 0.1, 0.05]).to_numpy()
        first = _typo(rng, self.first.iloc[buyer].reset_index(drop=True), 0.03)
        name = (first + " " + self.last.iloc[buyer].reset_index(drop=True)).to_numpy()
        phone = self.phone(buyer, ["national", "e164", "intl"], [0.5, 0.3, 0.2])
        phone = phone.where(rng.random(m) < 0.7, "").to_numpy()
        who = o_person_a[line_ep]
        guest = o_guest_a[line_ep]
        subtotal = np.zeros(m)
        np.add.at(subtotal, line_ep, _PRICE[line_prod] * qty)
        currency = np.where(self.country[o_person_a] == "IE", "EUR", "GBP")
        ship = np.where(physical & (subtotal < 30) & (o_channel_a != "pos"), 3.95, 0.0)
        orders = pd.DataFrame(
            {
                "Id": order_id[line_ep].astype(str),
                "Name": _s(["#" + str(1001 + i) for i in line_ep]),
                "Email": email[line_ep],
                "Financial Status": status[line_ep],
                "Fulfillment Status": ful_status[line_ep],
                "Created at": _fmt(o_time_a, "shop").to_numpy()[line_ep],
                "Paid at": _s(
                    np.where(
                        np.isin(status, ["paid", "refunded", "partially_refunded"]),
                        _fmt(o_time_a + 2, "shop"),
                        "",
                    )
                ).to_numpy()[line_ep],
                "Fulfilled at": _s(np.where(deliver, _fmt(fulfilled_at, "shop"), "")).to_numpy()[
                    line_ep
                ],
                "Currency": currency[line_ep],
                "Subtotal": [f"{v:.2f}" for v in subtotal[line_ep]],
                "Total": [f"{v:.2f}" for v in (subtotal + ship)[line_ep]],
                "Discount Code": np.where(
                    self.referred_mask[buyer] & (rng.random(m) < 0.3), "FRIEND10", ""
                )[line_ep],
                "Lineitem quantity": qty.astype(str),
                "Lineitem name": _PRODUCT_NAME[line_prod],
                "Lineitem price": [f"{v:.2f}" for v in _PRICE[line_prod]],
                "Lineitem sku": _SKU[line_prod],
                "Billing Name": name[line_ep],
                "Billing Phone": phone[line_ep],
                "Billing City": [CITIES[c][0] for c in self.city[who]],
                "Billing Country": self.country[who],
                "Source": o_channel_a[line_ep],
                "Customer ID": np.where(guest, "", self.shop_id.to_numpy()[who]),
            }
        )
        # planted: a hand-keyed phone order with a dd/mm/yyyy date (one line, not fulfilled)
        planted = orders.iloc[:1].copy()
        planted["Id"] = "9990000000001"
        planted["Name"] = "#PHONE-1"
        planted["Financial Status"] = "pending"
        planted["Fulfillment Status"] = "unfulfilled"
        planted["Created at"] = "31/10/2026 14:03"
        planted["Paid at"] = ""
        planted["Fulfilled at"] = ""
        planted["Lineitem quantity"] = "1"
        planted["Lineitem name"] = "Enamel mug"
        planted["Lineitem price"] = "10.00"
        planted["Subtotal"] = "10.00"
        planted["Total"] = "13.95"
        planted["Lineitem sku"] = "MER-MUG"
        planted["Discount Code"] = ""
        planted["Source"] = "shopify_draft_order"
        position = len(orders) * 9 // 10
        self.orders = pd.concat(
            [orders.iloc[:position], planted, orders.iloc[position:]], ignore_index=True
        ).astype(str)
        self.spent = np.zeros(n)
        self.n_orders = np.zeros(n, dtype=np.int64)
        paid_lines = np.isin(status[line_ep], ["paid", "partially_refunded"]) & ~guest
        np.add.at(self.spent, who[paid_lines], (_PRICE[line_prod] * qty)[paid_lines])
        np.add.at(self.n_orders, o_person_a[~o_guest_a], 1)

        # web events export: shop sessions and article reading, in time order
        shop_base = "https://shop.dailyledger.example.com/"
        pages = {  # page kind: (URL, title); product and checkout pages get a suffix
            "home": (shop_base, "The Daily Ledger Shop"),
            "category": (shop_base + "collections/all", "All products"),
            "offers": (shop_base + "collections/offers", "Offers"),
            "product": (shop_base + "products/", ""),
            "cart": (shop_base + "cart", "Your basket"),
            "checkout": (shop_base + "checkouts/", "Checkout"),
            "search": (shop_base + "search", "Search"),
            "account": (shop_base + "account/login", "Log in"),
        }
        kinds = list(pages)
        ep = np.concatenate([w["ep"] for w in web])
        at = np.concatenate([w["at"] for w in web])
        item = np.concatenate([w["item"] for w in web])
        event = np.repeat(
            np.array([w["event"] for w in web], dtype=object), [len(w["ep"]) for w in web]
        )
        kind = np.repeat([kinds.index(w["page"]) for w in web], [len(w["ep"]) for w in web])
        url = _s(np.array([pages[k][0] for k in kinds], dtype=object)[kind])
        title = np.array([pages[k][1] for k in kinds], dtype=object)[kind]
        product = kind == kinds.index("product")
        url = url.where(~product, url + _s(item).str.lower())
        url = url.where(kind != kinds.index("checkout"), url + _s(session[ep].astype(str)))
        names = dict(zip(_SKU, _PRODUCT_NAME, strict=True))
        title[product] = [names[i] for i in item[product]]
        sections = np.array(
            ["news", "politics", "business", "culture", "sport", "puzzles", "food", "travel"],
            dtype=object,
        )
        read_ep = np.repeat(np.arange(r), reads)
        offset = np.arange(len(read_ep)) - np.repeat(np.cumsum(reads) - reads, reads)
        section = sections[rng.integers(0, len(sections), size=len(read_ep))]
        slug = _s(rng.integers(100000, 999999, size=len(read_ep)).astype(str))
        events = {
            "who": np.concatenate([person[ep], readers[read_ep]]),
            "at": np.concatenate(
                [at, t_read[read_ep] + offset * 180 + rng.integers(0, 120, size=len(read_ep))]
            ),
            "event": np.concatenate([event, np.full(len(read_ep), "page_view", dtype=object)]),
            "session": np.concatenate([session[ep], read_session[read_ep]]),
            "url": np.concatenate(
                [
                    url.to_numpy(dtype=object),
                    (
                        "https://www.dailyledger.example.com/" + _s(section) + "/article-" + slug
                    ).to_numpy(dtype=object),
                ]
            ),
            "title": np.concatenate(
                [title, (_s(section).str.title() + " | The Daily Ledger").to_numpy(dtype=object)]
            ),
            "item": np.concatenate([item, np.full(len(read_ep), "", dtype=object)]),
        }
        names_order = ["page_view", "login", "search", "view_item", "add_to_cart", "begin_checkout"]
        event_code = pd.Series(events["event"]).map({e: i for i, e in enumerate(names_order)})
        order = np.lexsort((event_code.to_numpy(), events["session"], events["at"]))
        order = order[events["at"][order] < HORIZON]
        events = {k: v[order] for k, v in events.items()}
        who = events["who"]
        stamp = _fmt(events["at"], "ymd_hms")
        # one device and one traffic source per session
        sessions, first_seen = np.unique(events["session"], return_inverse=True)
        device = _pick(rng, ["mobile", "desktop", "tablet"], len(sessions), [0.58, 0.35, 0.07])
        sources = ["google", "direct", "newsletter", "facebook", "twitter"]
        source = rng.choice(len(sources), size=len(sessions), p=[0.35, 0.3, 0.2, 0.1, 0.05])
        mediums = np.array(["organic", "(none)", "email", "social", "social"], dtype=object)
        self.web = pd.DataFrame(
            {
                "event_date": stamp.str[0:10].str.replace("-", "", regex=False),
                "event_time": stamp,
                "event_name": _s(events["event"]),
                "user_id": _s(self.shop_id.to_numpy()[who]),
                "user_pseudo_id": _s(_affine(who, 10**9, 40_503, 17).astype(str))
                + ".1745"
                + _s(_digits(who % 1_000_000, 6)),
                "session_id": _s(events["session"].astype(str)),
                "page_location": _s(events["url"]),
                "page_title": _s(events["title"]),
                "item_id": _s(events["item"]),
                "device_category": _s(device[first_seen]),
                "traffic_source": _s(np.array(sources, dtype=object)[source][first_seen]),
                "traffic_medium": _s(mediums[source][first_seen]),
            }
        )
        planted = self.web.iloc[:1].copy()
        planted["event_date"] = ""
        planted["event_time"] = ""
        planted["event_name"] = "page_view"
        planted["session_id"] = "9990001"
        planted["page_location"] = "https://shop.dailyledger.example.com/"
        planted["page_title"] = "The Daily Ledger Shop"
        planted["item_id"] = ""
        position = len(self.web) // 3
        self.web = pd.concat(
            [self.web.iloc[:position], planted, self.web.iloc[position:]], ignore_index=True
        )

        # delivered orders: a review survey for some (a few before the parcel was dispatched)
        delivered = np.flatnonzero(deliver)
        reachable = (self.contact_email.to_numpy()[o_person_a[delivered]] != "") & (
            fulfilled_at[delivered] < HORIZON - 20 * 86400
        )
        chosen = (rng.random(len(delivered)) < 0.3) & reachable
        if not chosen.any():  # even the smallest demo has traffic at the conflict step
            chosen[np.flatnonzero(reachable)[:1]] = True
        review = delivered[chosen]
        early = rng.random(len(review)) < 0.05
        review_at = np.where(
            early,
            o_time_a[review] + 6 * 3600 + rng.integers(0, 3600, size=len(review)),
            (fulfilled_at[review] // 86400 + rng.integers(3, 15, size=len(review))) * 86400
            + _clock(rng, len(review), "email"),
        )
        ok = review_at < HORIZON
        self.reviews = (o_person_a[review][ok], review_at[ok])
        self.counts["reviews_before_delivery"] = int((early & ok).sum())

    @staticmethod
    def _first_physical(line_ep: np.ndarray, line_prod: np.ndarray, m: int) -> np.ndarray:
        first = np.full(m, -1, dtype=np.int64)
        phys = _PHYSICAL[line_prod]
        for e_idx, p_idx in zip(line_ep[phys][::-1], line_prod[phys][::-1], strict=True):
            first[e_idx] = p_idx
        return first

    # ----------------------------------------------------------------- support desk

    def _support(self) -> None:
        rng, n = self.rng, self.n
        kinds = {
            "delivery": (
                ["Where is my order?", "Parcel arrived damaged", "Wrong item delivered"],
                "Customer Care",
                ["Replacement dispatched", "Courier traced, delivered next day", "Refund issued"],
            ),
            "billing": (
                ["Charged twice this month", "Refund request", "Card payment failing"],
                "Retail Sales",
                ["Duplicate charge refunded", "Refund issued", "Card details updated"],
            ),
            "account": (
                ["Can't log in", "Password reset email not arriving", "Change my email address"],
                "Customer Care",
                ["Password reset link resent", "Account email updated", "Login issue fixed"],
            ),
            "subscription": (
                [
                    "Cancel my subscription",
                    "Pause print delivery while on holiday",
                    "Upgrade to annual plan",
                ],
                "Retail Sales",
                ["Subscription cancelled", "Delivery paused", "Plan changed"],
            ),
            "editorial": (
                [
                    "Correction request: article error",
                    "Complaint about coverage",
                    "Letter to the editor",
                ],
                "Newsroom",
                [
                    "Correction published",
                    "Explained editorial policy",
                    "Passed to the letters editor",
                ],
            ),
            "app": (
                ["App crashes on launch", "Puzzles not loading", "Offline reading not working"],
                "Customer Care",
                ["Fixed in app update", "Cache cleared, working", "Known issue, workaround sent"],
            ),
            "business": (
                [
                    "Add seats to our team licence",
                    "Invoice for our licence",
                    "Remove a leaver from our licence",
                ],
                "Business Sales",
                ["Seats added", "Invoice resent", "Seat reassigned"],
            ),
        }
        kind_names = list(kinds)
        # order-related tickets
        delivered = np.flatnonzero(self.order_delivered & (self.order_first_physical >= 0))
        issue = delivered[rng.random(len(delivered)) < 0.07]
        t_issue_lo = self.order_fulfilled_at[issue] // 86400 + 1
        tickets_person = [self.order_person[issue]]
        tickets_kind = [np.full(len(issue), "delivery", dtype=object)]
        tickets_lo = [t_issue_lo]
        tickets_hi = [t_issue_lo + 6]
        tickets_sku = [_SKU[self.order_first_physical[issue]]]
        # general tickets, heavier for business contacts and shop customers
        lam = 0.1 + 0.08 * self.in_shop + 0.1 * self.business
        general = np.repeat(np.arange(n), rng.poisson(lam))
        forced = np.concatenate(
            [self.pools["sup_test"], self.pools["sup_none"], self.pools["sup_switch"]]
        )
        general = np.concatenate([general, forced])
        g_kind = _pick(rng, kind_names[1:6], len(general), [0.25, 0.25, 0.25, 0.1, 0.15])
        g_kind = np.where(
            self.business[general] & (rng.random(len(general)) < 0.6), "business", g_kind
        )
        tickets_person.append(general)
        tickets_kind.append(g_kind)
        tickets_lo.append(np.zeros(len(general), dtype=np.int64))
        tickets_hi.append(np.full(len(general), DAYS))
        tickets_sku.append(np.full(len(general), "", dtype=object))
        who = np.concatenate(tickets_person)
        kind = np.concatenate(tickets_kind)
        lo, hi = np.concatenate(tickets_lo), np.concatenate(tickets_hi)
        sku = np.concatenate(tickets_sku)
        t = len(who)
        via = _pick(
            rng,
            [
                "Email",
                "Web form",
                "Chat",
                "Phone call (incoming)",
                "Twitter DM",
                "Facebook Messenger",
                "Mobile app",
            ],
            t,
            [0.33, 0.2, 0.15, 0.2, 0.05, 0.04, 0.03],
        )
        pattern = {
            "Email": "email",
            "Web form": "web",
            "Chat": "chat",
            "Phone call (incoming)": "phone",
            "Twitter DM": "social",
            "Facebook Messenger": "social",
            "Mobile app": "web",
        }
        created = np.zeros(t, dtype=np.int64)
        for v, ch in pattern.items():
            mask = via == v
            if mask.any():
                created[mask] = _times(rng, int(mask.sum()), ch, lo[mask], hi[mask])
        ok = created < HORIZON
        who, kind, created, via, sku = who[ok], kind[ok], created[ok], via[ok], sku[ok]
        order = np.argsort(created, kind="stable")
        who, kind, created, via, sku = (
            who[order],
            kind[order],
            created[order],
            via[order],
            sku[order],
        )
        t = len(who)
        recent = created > HORIZON - 10 * 86400
        status = _pick(
            rng,
            ["solved", "closed", "pending", "open", "hold", "new"],
            t,
            [0.66, 0.16, 0.06, 0.07, 0.02, 0.03],
        )
        status = np.where(
            recent & (rng.random(t) < 0.6), _pick(rng, ["new", "open", "pending"], t), status
        )
        fast = np.isin(via, ["Phone call (incoming)", "Chat"])
        reply_lag = np.where(
            fast, rng.integers(60, 900, size=t), rng.integers(1800, 30 * 3600, size=t)
        )
        reply_at = created + reply_lag
        solve_lag = np.where(
            fast & (rng.random(t) < 0.6),
            rng.integers(120, 1800, size=t),
            rng.integers(3600, 96 * 3600, size=t),
        )
        solved_at = reply_at + solve_lag
        solved = np.isin(status, ["solved", "closed"])
        status = np.where(solved & (solved_at >= HORIZON), "open", status)
        solved = np.isin(status, ["solved", "closed"])
        replied = (status != "new") & (reply_at < HORIZON)
        slow = solve_lag > 48 * 3600
        offered = solved & (rng.random(t) < 0.55)
        good = rng.random(t) < np.where(slow, 0.55, 0.85)
        score = np.where(
            offered,
            np.where(good, "good", np.where(rng.random(t) < 0.8, "bad", "offered")),
            "unoffered",
        )
        subject = np.array(
            [kinds[k][0][i % 3] for k, i in zip(kind, rng.integers(0, 3, size=t), strict=True)],
            dtype=object,
        )
        # the complaints people recognise (issue 18), from a generator of their own so every
        # other value of the demo stays as it was
        voiced = np.random.default_rng(int(rng.bit_generator.seed_seq.entropy or 0) + 19)
        themed = {
            "delivery": ["My delivery is late", "Late delivery, parcel still not here"],
            "billing": [
                "Refund still not received",
                "Where is my refund?",
                "Price went up without notice",
                "Why has my price increased?",
            ],
            "app": ["App crashes when I open an article", "App keeps crashing after update"],
        }
        for k, lines in themed.items():
            swap = (kind == k) & (voiced.random(t) < 0.5)
            subject = np.where(swap, _pick(voiced, lines, t), subject)
        # a newspaper's print readers write about their paper arriving late more than about
        # pausing it: most print-delivery tickets are that
        late = [
            "Newspaper delivered late again",
            "My paper arrives late every morning",
            "Print edition delivered late, after I left for work",
        ]
        swap = (subject == kinds["subscription"][0][1]) & (voiced.random(t) < 0.7)
        subject = np.where(swap, _pick(voiced, late, t), subject)
        group = np.array([kinds[k][1] for k in kind], dtype=object)
        resolution = np.array(
            [kinds[k][2][i % 3] for k, i in zip(kind, rng.integers(0, 3, size=t), strict=True)],
            dtype=object,
        )
        resolution = np.where(solved, resolution, "")

        # requester as the desk knows them
        email = _email_case(
            rng, self.contact_email.iloc[who].reset_index(drop=True), [0.6, 0.25, 0.15]
        )
        no_contact = (email == "").to_numpy()
        email = email.where(~no_contact, self.personal_email.iloc[who].reset_index(drop=True))
        alternate = rng.random(n) < 0.05
        alt_email = (
            self.first.str.lower().str.replace(r"[^a-z]", "", regex=True)
            + "."
            + self.last.str.lower().str.replace(r"[^a-z]", "", regex=True)
            + "."
            + _s(np.arange(n).astype(str))
            + "@mailbox.example.org"
        )
        email = email.where(~alternate[who], alt_email.iloc[who].reset_index(drop=True))
        for pool, value in (
            ("sup_test", PLACEHOLDER_EMAILS[0]),
            ("sup_none", PLACEHOLDER_EMAILS[1]),
        ):
            email = email.where(~np.isin(who, self.pools[pool]), value)
        has_phone = (rng.random(n) < 0.45) | alternate
        phone = self.phone(who, ["parens", "national", "intl0"], [0.4, 0.4, 0.2])
        phone = phone.where(has_phone[who], "")
        phone = phone.where(~np.isin(who, self.pools["sup_switch"]), PLACEHOLDER_PHONES[1])
        requester = _typo(rng, self.first.iloc[who].reset_index(drop=True), 0.06)
        full = requester + " " + self.last.iloc[who].reset_index(drop=True)
        style = rng.random(t)
        requester = full.where(style > 0.08, requester)
        requester = requester.where(style > 0.03, full.str.lower())
        # one requester per person: the desk keeps the first way it learnt their details
        first_seen = pd.Series(np.arange(t)).groupby(who).transform("min").to_numpy()
        email, phone, requester = (s.to_numpy()[first_seen] for s in (email, phone, requester))

        self.tickets = pd.DataFrame(
            {
                "Id": (10001 + np.arange(t)).astype(str),
                "Requester id": self.sup_id.to_numpy()[who],
                "Requester": requester,
                "Requester email": email,
                "Requester phone": phone,
                "Created at": _fmt(created, "ymd_hms"),
                "Via": via,
                "Subject": subject,
                "Status": status,
                "Priority": _pick(
                    rng, ["low", "normal", "high", "urgent"], t, [0.2, 0.6, 0.15, 0.05]
                ),
                "Group": group,
                "Assignee": _pick(
                    rng, ["Priya Shah", "Tom Walsh", "Ewa Nowak", "Kwame Mensah", "Sian Rees"], t
                ),
                "Tags": _s(kind) + " " + _s(np.where(self.business[who], "b2b", "b2c")),
                "First reply at": _s(np.where(replied, _fmt(reply_at, "ymd_hms"), "")),
                "Solved at": _s(np.where(solved, _fmt(solved_at, "ymd_hms"), "")),
                "Satisfaction Score": score,
                "Satisfaction Comment": np.where(
                    score == "bad",
                    _pick(
                        rng,
                        ["Took far too long.", "Nobody read my first message.", "Still not fixed."],
                        t,
                    ),
                    "",
                ),
                "Resolution": resolution,
                "Product SKU": sku,
            }
        ).astype(str)
        self.ticket_person, self.ticket_solved_at = who, np.where(solved, solved_at, -1)
        self.ticket_good = score == "good"
        self.ticket_bad = score == "bad"
        # planted: an impossible date and a line with an unquoted comma
        planted = self.tickets.iloc[[0, 0]].copy()
        planted["Id"] = ["9990001", "9990002"]
        planted["Created at"] = ["2026-02-30 09:12:00", "2026-03-02 10:05:00"]
        planted["Subject"] = ["Refund request", _BROKEN_SUBJECT]
        planted["Status"] = "new"
        planted["First reply at"] = ""
        planted["Solved at"] = ""
        planted["Satisfaction Score"] = "unoffered"
        planted["Satisfaction Comment"] = ""
        planted["Resolution"] = ""
        position = len(self.tickets) // 2
        self.tickets = pd.concat(
            [self.tickets.iloc[:position], planted, self.tickets.iloc[position:]], ignore_index=True
        )

    # ----------------------------------------------------------------- surveys

    def _surveys(self) -> None:
        rng = self.rng
        banks = {
            "nps": (
                [
                    "Paywall everywhere.\nI'll read elsewhere.",
                    "Cancelling was far too hard.",
                    "Three departments emailed me the same week.\nPlease talk to each other!",
                    "Too expensive for what it is.",
                    "The app logs me out every day.",
                ],
                [
                    "Good, but the app could be faster.",
                    "Too many emails lately.",
                    "Fine. Prices keep going up though.",
                    "Decent, a bit London-centric.",
                ],
                [
                    "Love the morning briefing.",
                    "Great journalism, worth every penny.",
                    "The puzzles keep me sane!",
                    "Best news app I have used.",
                    "Brilliant weekend edition.",
                ],
            ),
            "review": (
                [
                    "Delivery took two weeks and nobody replied to my emails.",
                    "The mug arrived chipped.\nThe box was crushed.",
                    "Not as described.",
                    "Still waiting for the second item.",
                ],
                [
                    "Nice, but pricey for what it is.",
                    "Fine. Packaging was excessive.",
                    "Good book, slow delivery.",
                ],
                [
                    "Quick delivery and lovely packaging.",
                    "A perfect present.",
                    "Beautiful print, framed it straight away.",
                    "Exactly as pictured.",
                ],
            ),
            "support": (
                [
                    "Support closed my ticket without fixing anything.",
                    "I was charged twice and it took a month to get a refund.",
                    "Had to explain the problem three times.\nNobody read my first message.",
                    "Still not fixed.",
                ],
                ["Sorted in the end, but it took a while.", "Polite, not very quick."],
                ["Fixed in minutes, thank you!", "Really helpful agent.", "Quick and friendly."],
            ),
        }
        rows: list[pd.DataFrame] = []

        # what unhappy people most often write about (issue 18: themes a person would
        # recognise): drawn from a generator of its own, so every other value of the demo
        # is what it was before these lines existed
        voiced = np.random.default_rng(int(rng.bit_generator.seed_seq.entropy or 0) + 18)
        themed = {
            "nps": [
                "The app crashes every time I open it.",
                "App crashed again and I lost my saved articles.",
                "The price went up again and nobody told me.",
                "Price rise on my renewal is far too steep.",
                "The paper is delivered late most mornings.",
            ],
            "review": [
                "My delivery arrived a week late.",
                "Late delivery, the parcel sat in a depot for days.",
                "Still waiting for my refund for the broken item.",
                "The refund took a month to arrive.",
            ],
            "support": [
                "Still waiting for my refund after three weeks.",
                "The app keeps crashing after the update.",
                "My delivery was late again and nobody could say why.",
                "Too expensive now the price has gone up.",
            ],
        }

        def comment(score: np.ndarray, scale: int, bank: str) -> np.ndarray:
            good, fair = (9, 7) if scale == 10 else (5, 3)
            band = np.where(score >= good, 2, np.where(score >= fair, 1, 0))
            texts = [_pick(rng, options, len(score)) for options in banks[bank]]
            out = np.choose(band, texts) if len(score) else np.zeros(0, dtype=object)
            out = np.where(rng.random(len(score)) < 0.3, "", out)
            # most unhappy comments, and some lukewarm ones, name a common complaint
            share = np.where(band == 0, 0.8, np.where(band == 1, 0.3, 0.0))
            swap = (out != "") & (voiced.random(len(score)) < share)
            lines = _pick(voiced, themed[bank], len(score))
            return np.where(swap, lines, out)

        def add(
            who: np.ndarray,
            at: np.ndarray,
            survey: str,
            qtype: str,
            score: np.ndarray,
            step: str,
            bank: str,
        ) -> None:
            ok = (at < HORIZON) & (self.contact_email.to_numpy()[who] != "")
            who, at, score = who[ok], at[ok], score[ok]
            collector = _pick(
                rng, ["Email invitation", "Web link", "In-app"], len(who), [0.75, 0.15, 0.1]
            )
            rows.append(
                pd.DataFrame(
                    {
                        "Survey": survey,
                        "Question Type": qtype,
                        "_t": at,
                        "Respondent Email": _email_case(
                            rng,
                            self.contact_email.iloc[who].reset_index(drop=True),
                            [0.9, 0.08, 0.02],
                        ),
                        "Score": score.astype(str),
                        "Comment": comment(score, 10 if qtype == "NPS" else 5, bank),
                        "Collector": collector,
                        "step": step,
                        "_who": who,
                    }
                )
            )

        # relationship NPS, two waves (no journey step)
        for wave in ("2025-11-04", "2026-05-05"):
            invited = np.flatnonzero(
                (self.contact_email != "").to_numpy() & (rng.random(self.n) < 0.15 * 0.4)
            )
            at = _times(rng, len(invited), "email", _day_of(wave), _day_of(wave) + 7)
            base = rng.choice(
                11,
                size=len(invited),
                p=[0.02, 0.02, 0.03, 0.03, 0.04, 0.06, 0.07, 0.13, 0.17, 0.2, 0.23],
            )
            add(invited, at, "Relationship NPS", "NPS", base, "", "nps")
        # post-purchase reviews (step review, the conflict step)
        who, at = self.reviews
        score = rng.choice(5, size=len(who), p=[0.06, 0.07, 0.12, 0.3, 0.45]) + 1
        add(who, at, "Post-purchase review", "Rating 1-5", score, "review", "review")
        # support satisfaction (step support_survey), worse after a bad desk rating
        solved = np.flatnonzero(self.ticket_solved_at >= 0)
        pick = solved[rng.random(len(solved)) < 0.3]
        at = (
            self.ticket_solved_at[pick] // 86400 + rng.integers(1, 4, size=len(pick))
        ) * 86400 + _clock(rng, len(pick), "email")
        p_bad = [0.3, 0.3, 0.2, 0.12, 0.08]
        p_ok = [0.04, 0.06, 0.15, 0.35, 0.4]
        score = (
            np.where(
                self.ticket_bad[pick],
                rng.choice(5, size=len(pick), p=p_bad),
                rng.choice(5, size=len(pick), p=p_ok),
            )
            + 1
        )
        add(
            self.ticket_person[pick], at, "Support CSAT", "CSAT", score, "support_survey", "support"
        )

        frame = pd.concat(rows, ignore_index=True)
        frame = frame.sort_values("_t", kind="stable").reset_index(drop=True)
        frame.insert(
            0,
            "Response ID",
            "R_" + _base36(_affine(np.arange(len(frame)), 36**12, 1_000_003, 5_555), 12),
        )
        frame.insert(3, "Submitted At", _fmt(frame["_t"].to_numpy(), "dmy_hms"))
        scale = np.where(frame["Question Type"] == "NPS", 10, 5)
        score = frame["Score"].astype(int).to_numpy()
        poor = np.where(scale == 10, score <= 6, score <= 2)
        self.poor = (frame["_who"].to_numpy()[poor], frame["_t"].to_numpy()[poor])
        self.counts["poor_ratings"] = int(poor.sum())
        frame = frame.drop(columns=["_t", "_who"]).astype(str)
        planted = frame.iloc[[0, 0]].copy()
        planted["Response ID"] = ["R_PLANTED_NPS11", "R_PLANTED_CSAT0"]
        planted["Survey"] = ["Relationship NPS", "Support CSAT"]
        planted["Question Type"] = ["NPS", "Rating 1-5"]
        planted["Score"] = ["11", "0"]
        planted["Comment"] = ["Eleven out of ten!", ""]
        planted["step"] = ["", "support_survey"]
        position = len(frame) * 2 // 3
        self.surveys = pd.concat(
            [frame.iloc[:position], planted, frame.iloc[position:]], ignore_index=True
        )

    # ----------------------------------------------------------------- CRM activities

    def _activities(self) -> None:
        rng = self.rng
        parts: list[pd.DataFrame] = []

        def add(
            who: np.ndarray,
            at: np.ndarray,
            kind: str,
            subject: Any,
            team: str,
            campaign: str = "",
            result: Any = "",
            minutes: Any = "",
            step: str = "",
            notes: Any = "",
        ) -> None:
            ok = (at < HORIZON) & (at >= 0) & self.in_crm[who]
            size = int(ok.sum())

            def cut(value: Any) -> Any:
                return np.asarray(value, dtype=object)[ok] if np.ndim(value) else value

            parts.append(
                pd.DataFrame(
                    {
                        "_t": at[ok],
                        "Contact ID": self.crm_id.to_numpy()[who[ok]],
                        "Type": kind,
                        "Subject": cut(subject),
                        "Team": team,
                        "Assigned To": _s(np.full(size, team + " desk ", dtype=object))
                        + _s(rng.integers(1, 4, size=size).astype(str)),
                        "Campaign ID": campaign,
                        "Call Result": cut(result),
                        "Duration (min)": cut(minutes),
                        "Journey Step": step,
                        "Comments": cut(notes),
                    }
                )
            )

        results = ["Connected", "Left voicemail", "No answer", "Meeting booked"]
        notes_bank = [
            "",
            "",
            "Asked to call back next week.",
            "Interested.\nSend pricing by email.",
            "Not the decision maker.\nTry the finance director.",
            "Happy with current plan.",
        ]
        for cid, _name, channel, dept, *_rest in CAMPAIGNS:
            if channel != "phone":
                continue
            who = self.phone_members[cid]
            start = next(c[5] for c in CAMPAIGNS if c[0] == cid)
            end = next(c[6] for c in CAMPAIGNS if c[0] == cid)
            at = _times(rng, len(who), "phone", _day_of(start), _day_of(end) + 1)
            result = _pick(rng, results, len(who), [0.45, 0.25, 0.2, 0.1])
            minutes = np.where(
                result == "Connected",
                rng.integers(3, 25, size=len(who)),
                np.where(result == "Meeting booked", rng.integers(10, 40, size=len(who)), 1),
            ).astype(str)
            notes = _pick(rng, notes_bank, len(who))
            subject = f"{_DEPT_NAME[dept]} call: {_name}"
            add(who, at, "Call", subject, _DEPT_NAME[dept], cid, result, minutes, "", notes)
            met = result == "Meeting booked"
            m_at = (at[met] // 86400 + rng.integers(3, 11, size=int(met.sum()))) * 86400 + _clock(
                rng, int(met.sum()), "office"
            )
            add(
                who[met],
                m_at,
                "Meeting",
                "Licence review meeting",
                _DEPT_NAME[dept],
                cid,
                "Held",
                "45",
            )
        # social engagement logged by the social-CRM integration (evenings)
        lam = np.where(np.arange(self.n) < 3, 25.0, 0.9 * (rng.random(self.n) < 0.35))
        social = np.repeat(np.arange(self.n), rng.poisson(lam))
        at = _times(rng, len(social), "social")
        subject = _pick(
            rng,
            [
                "Replied to @DailyLedger",
                "Shared an article",
                "Mentioned @DailyLedger",
                "Commented on a post",
                "Tagged @DailyLedger in a photo",
            ],
            len(social),
        )
        add(social, at, "Social", subject, "Brand")
        # follow-up calls after some poor ratings: nobody owns that step, so few happen
        who, when = self.poor
        pick = (rng.random(len(who)) < 0.25) & self.in_crm[who] & (when < HORIZON - 6 * 86400)
        if not pick.any():  # even the smallest demo shows the gap being worked around
            pick[np.flatnonzero(self.in_crm[who] & (when < HORIZON - 6 * 86400))[:1]] = True
        at = _times(rng, int(pick.sum()), "phone", when[pick] // 86400 + 1, when[pick] // 86400 + 5)
        add(
            who[pick],
            at,
            "Call",
            "Follow-up: poor survey score",
            "Customer Care",
            "",
            _pick(rng, results[:3], int(pick.sum())),
            "5",
            "poor_rating_follow_up",
            _pick(
                rng,
                ["", "Apologised, offered a month free.", "Customer still unhappy.\nEscalate?"],
                int(pick.sum()),
            ),
        )

        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values(["_t", "Contact ID"], kind="stable").reset_index(drop=True)
        frame.insert(0, "Activity ID", "00T5g" + _base36(np.arange(len(frame)) + 1, 10))
        frame.insert(4, "Activity Date", _fmt(frame["_t"].to_numpy(), "dmy_hm"))
        frame = frame.drop(columns="_t").astype(str)
        planted = frame.iloc[:1].copy()
        planted["Activity ID"] = "00T5gPLANTED01"
        planted["Contact ID"] = UNKNOWN_CONTACT
        planted["Type"] = "Call"
        planted["Subject"] = "Call about renewal"
        planted["Team"] = "Retail Sales"
        planted["Campaign ID"] = ""
        planted["Journey Step"] = ""
        planted["Comments"] = "Contact was deleted after this call."
        position = len(frame) // 4
        self.activities = pd.concat(
            [frame.iloc[:position], planted, frame.iloc[position:]], ignore_index=True
        )

    # ----------------------------------------------------------------- exports

    def _crm_contacts(self) -> pd.DataFrame:
        rng = self.rng
        who = np.flatnonzero(self.in_crm)
        dups = self.crm_dup
        rows = np.concatenate([who, dups])
        ids = np.concatenate(
            [
                self.crm_id.to_numpy()[who],
                ("0035g" + _base36(self.n + 1 + np.arange(len(dups)), 10)).to_numpy(),
            ]
        )
        dup = np.r_[np.zeros(len(who), dtype=bool), np.ones(len(dups), dtype=bool)]
        size = len(rows)
        first = self.first.iloc[rows].reset_index(drop=True)
        first = first.where(~dup, _typo(rng, first, 0.5))
        email = _email_case(rng, self.crm_email.iloc[rows].reset_index(drop=True), [0.6, 0.3, 0.1])
        email = email.where(~(dup & (rng.random(size) < 0.3)), "")
        email = email.where(rows != 0, self.crm_email.iloc[0])  # the documented address, as is
        phone = self.phone(rows, ["intl", "national"], [0.5, 0.5])
        landline = self.landline[rows]
        mobile = phone.where(~landline, "")
        home = phone.where(landline, "")
        # A duplicate typed without its e-mail is typed without a phone too (from a paper
        # form): it shares no identifier with its original, only the name (often typo'd),
        # birth date, address, postcode and city: what probabilistic matching finds (issue 15).
        # No random draw, so every other figure of the demo stays as it was.
        paper = dup & (email == "").to_numpy()
        mobile = mobile.where(~paper, "")
        home = home.where(~paper, "")
        self.crm_duplicates = [
            {"original": original, "duplicate": copy, "identifier": not alone}
            for original, copy, alone in zip(
                self.crm_id.to_numpy()[rows[dup]], ids[dup], paper[dup], strict=True
            )
        ]
        zero = np.isin(rows, self.pools["crm_zero"]) & ~dup
        mobile = mobile.where(~zero, "")
        home = home.where(~zero, PLACEHOLDER_PHONES[0])
        created = np.where(
            dup,
            np.maximum(self.created[rows], 0) + rng.integers(1, 200, size=size) * 86400,
            self.created[rows],
        )
        created = np.minimum(created, HORIZON - 3600)
        country = np.array(
            [
                _COUNTRY_NAME[c][k % len(_COUNTRY_NAME[c])]
                for c, k in zip(
                    self.country[rows],
                    rng.choice(8, size=size, p=[0.55, 0.15, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03]),
                    strict=True,
                )
            ],
            dtype=object,
        )
        gender = (
            pd.Series(self.gender[rows])
            .map({"F": "Female", "M": "Male", "X": "Non-binary"})
            .to_numpy(dtype=object)
        )
        gender = np.where(rng.random(size) < 0.06, "Prefer not to say", gender)
        gender = np.where(
            rng.random(size) < 0.1,
            pd.Series(self.gender[rows]).map({"F": "F", "M": "M", "X": ""}).to_numpy(dtype=object),
            gender,
        )
        lead = _pick(rng, LEAD_SOURCES, size, [0.4, 0.25, 0.1, 0.1, 0.15])
        lead = np.where(self.referred_mask[rows], "Referral", lead)
        stage = np.where(
            self.subscriber[rows] | (self.n_orders[rows] > 0),
            "Customer",
            np.where(self.subscribed[rows], "Subscriber", "Lead"),
        )
        stage = np.where(np.isin(rows, [0, 1, 2]), "Evangelist", stage)
        frame = pd.DataFrame(
            {
                "Contact ID": ids,
                "Salutation": np.where(
                    self.gender[rows] == "F", "Ms", np.where(self.gender[rows] == "M", "Mr", "Mx")
                ),
                "First Name": first,
                "Last Name": self.last.iloc[rows].reset_index(drop=True),
                "Email": email,
                "Phone": home,
                "Mobile": mobile,
                "Mailing Street": self.street.iloc[rows].reset_index(drop=True),
                "Mailing City": [CITIES[c][0] for c in self.city[rows]],
                "Mailing State/Province": [CITIES[c][1] for c in self.city[rows]],
                "Mailing Zip/Postal Code": self.postcode.iloc[rows].reset_index(drop=True),
                "Mailing Country": country,
                "Gender": gender,
                "Birthdate": _dmy(self.birth[rows]),
                "Account Name": self.company_name.iloc[rows].reset_index(drop=True),
                "Title": np.where(
                    self.business[rows],
                    _pick(
                        rng,
                        [
                            "Director",
                            "Head of Operations",
                            "Analyst",
                            "Office Manager",
                            "Partner",
                            "Engineer",
                        ],
                        size,
                    ),
                    "",
                ),
                "Lead Source": lead,
                "Lifecycle Stage": stage,
                "Customer Segment": self.segment[rows],
                "Persona": self.persona[rows],
                "Contact Owner": _pick(
                    rng,
                    ["Retail Sales Queue", "Business Sales Queue", "Lifecycle CRM"],
                    size,
                    [0.6, 0.2, 0.2],
                ),
                "Email Opt Out": np.where(self.subscribed[rows], "0", "1"),
                "Created Date": _fmt(created, "dmy_hm"),
                "_t": created,
            }
        )
        frame = frame.sort_values(["_t", "Contact ID"], kind="stable")
        return frame.drop(columns="_t").reset_index(drop=True).astype(str)

    def _shop_customers(self) -> pd.DataFrame:
        rng = self.rng
        who = np.flatnonzero(self.in_shop)
        size = len(who)
        first = _typo(rng, self.first.iloc[who].reset_index(drop=True), 0.04)
        last = _typo(rng, self.last.iloc[who].reset_index(drop=True), 0.02)
        phone = self.phone(who, ["national", "e164", "compact"], [0.5, 0.35, 0.15])
        has = rng.random(size) < 0.7
        on_address = rng.random(size) < 0.3
        spent = self.spent[who]
        frame = pd.DataFrame(
            {
                "Customer ID": self.shop_id.to_numpy()[who],
                "First Name": first,
                "Last Name": last,
                "Email": _email_case(
                    rng, self.personal_email.iloc[who].reset_index(drop=True), [0.85, 0.12, 0.03]
                ),
                "Accepts Email Marketing": np.where(self.subscribed[who], "yes", "no"),
                "Default Address Company": "",
                "Default Address Address1": self.street.iloc[who].reset_index(drop=True),
                "Default Address Address2": "",
                "Default Address City": [CITIES[c][0] for c in self.city[who]],
                "Default Address Province Code": "",
                "Default Address Country Code": self.country[who],
                "Default Address Zip": self.postcode.iloc[who].reset_index(drop=True),
                "Default Address Phone": phone.where(has & on_address, ""),
                "Phone": phone.where(has & ~on_address, ""),
                "Total Spent": [f"{v:.2f}" for v in spent],
                "Total Orders": self.n_orders[who].astype(str),
                "Tags": np.where(
                    spent > 150, "vip, newsletter", np.where(self.subscribed[who], "newsletter", "")
                ),
                "Note": np.where(
                    rng.random(size) < 0.01,
                    'Prefers "no plastic" packaging, leave with neighbour',
                    "",
                ),
                "Tax Exempt": "no",
            }
        )
        return frame.sort_values("Customer ID", kind="stable").reset_index(drop=True).astype(str)

    def _canonical(self) -> dict[str, pd.DataFrame]:
        products = pd.DataFrame(
            {
                "product_id": _SKU,
                "name": _PRODUCT_NAME,
                "category": [p[2] for p in PRODUCTS],
                "price": [f"{p[3]:.2f}" for p in PRODUCTS],
                "physical": ["true" if p[4] else "false" for p in PRODUCTS],
                "bundle": [
                    next((b for b, items in BUNDLES.items() if items[0] == p[0]), "")
                    for p in PRODUCTS
                ],
            }
        )
        return {
            "departments.csv": pd.DataFrame(
                DEPARTMENTS, columns=["department_id", "name", "division"]
            ),
            "accounts.csv": self.accounts,
            "holdings.csv": self.holdings,
            "relationships.csv": self.relationships,
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
            "campaign_members.csv": self.campaign_members,
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
