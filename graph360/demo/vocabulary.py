"""The demo's fixed vocabulary: the period, departments, journeys, products, campaigns,
cities, names and the hour-of-day patterns every generator draws from.
"""

from __future__ import annotations

import numpy as np

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

#: The subject of the planted ticket whose unquoted comma makes one field too many.
_BROKEN_SUBJECT = "Refund not received, order never arrived"
