"""The demo bundle: deterministic, mappable, and the documented facts hold in its canonical form.

These tests read the canonical rows the shipped mappings make of the demo's exports (what the
loader will see), so a fact that only held in the generator's memory would fail here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import networkx as nx
import pandas as pd
import phonenumbers
import pytest

from graph360.demo import describe_demo, generate_demo
from graph360.ingest.mapping import apply_mapping, bundle_frames, load_mapping

CUSTOMERS = 800
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d)?"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo(tmp_path_factory.mktemp("demo"), customers=CUSTOMERS)


@pytest.fixture(scope="module")
def frames(bundle: Path) -> dict[str, pd.DataFrame]:
    return bundle_frames(bundle)


@pytest.fixture(scope="module")
def touchpoints(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    tps = frames["touchpoints.csv"]
    clean = tps["_error"] == "" if "_error" in tps else pd.Series(True, index=tps.index)
    stamp = pd.to_datetime(tps["at"].str[:19], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
    return tps.assign(clean=clean, stamp=stamp, hour=stamp.dt.hour, weekday=stamp.dt.day_of_week)


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first = files_of(generate_demo(tmp_path / "a", customers=120, seed=7))
    second = files_of(generate_demo(tmp_path / "b", customers=120, seed=7))
    other = files_of(generate_demo(tmp_path / "c", customers=120, seed=8))
    assert first == second
    assert first.keys() == other.keys()
    assert first["crm/contacts.csv"] != other["crm/contacts.csv"]


#: The demo of 300 people with seed 360 as the one-class generator (graph360/demo.py) wrote
#: it, before graph360.demo became a package of per-system generators: the split changed no
#: byte. A change meant to the demo's data changes it too: then take the new digest.
DIGEST_300_360 = "1b2dd9328642dccfd080462fd5b84fbc0641b45072a847ac167fdf888489c757"


def test_the_demo_is_the_same_bytes_as_before_the_split(tmp_path: Path) -> None:
    files = files_of(generate_demo(tmp_path / "d", customers=300, seed=360))
    digest = hashlib.sha256()
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + data)
    assert digest.hexdigest() == DIGEST_300_360


def test_the_smallest_demo_still_has_every_fact(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_demo(tmp_path / "tiny", customers=49)
    small = generate_demo(tmp_path / "small", customers=50)
    facts = json.loads((small / "demo.json").read_text())
    assert len(facts["planted"]) == 8 and all(p["origin"] for p in facts["planted"])
    tps = bundle_frames(small)["touchpoints.csv"]
    assert set(describe_demo()["unowned_steps"]) <= set(tps["step_id"])


def test_every_file_maps_without_error(bundle: Path, frames: dict[str, pd.DataFrame]) -> None:
    manifest = (bundle / "bundle.toml").read_text()
    listed = dict(re.findall(r'file = "([^"]+)"\nmapping = "([^"]+)"', manifest))
    assert listed == {s["file"]: s["mapping"] for s in describe_demo()["sources"]}
    for file, mapping in listed.items():
        assert apply_mapping(load_mapping(mapping), bundle / file), file
    canonical = {p.name for p in bundle.glob("*.csv")}
    assert canonical == {
        "departments.csv", "accounts.csv", "holdings.csv", "relationships.csv", "campaigns.csv",
        "campaign_members.csv", "journeys.csv", "journey_steps.csv", "products.csv",
    }  # fmt: skip
    # consents.csv: the CRM's opt-out, the shop's marketing flag, the unsubscribes
    assert set(frames) == canonical | {"customers.csv", "touchpoints.csv", "consents.csv"}
    for name, rows in frames.items():
        assert rows["_origin"].str.fullmatch(r"[\w/]+\.csv:\d+").all(), name


def test_planted_bad_rows_and_nothing_else(
    bundle: Path, frames: dict[str, pd.DataFrame], touchpoints: pd.DataFrame
) -> None:
    """Exactly the eight documented rows break a rule; every other reference resolves."""
    tps = touchpoints
    customers = frames["customers.csv"]
    broken = ~tps["clean"]
    bad_at = tps["clean"] & ~tps["at"].str.fullmatch(ISO)
    rated = tps["clean"] & (tps["rating"] != "")
    rating = pd.to_numeric(tps["rating"].where(rated, "0"))
    scale = tps["rating_scale"].where(rated, "5")
    bad_rating = rated & (
        ((scale == "10") & ~rating.between(0, 10)) | ((scale == "5") & ~rating.between(1, 5))
    )
    campaigns = set(frames["campaigns.csv"]["campaign_id"])
    bad_campaign = tps["clean"] & (tps["campaign_id"] != "") & ~tps["campaign_id"].isin(campaigns)
    keys = set(zip(customers["source"], customers["customer_id"], strict=True))
    by_id = tps["customer_id"] != ""
    bad_customer = (
        tps["clean"]
        & by_id
        & ~pd.Series(
            [k in keys for k in zip(tps["source"], tps["customer_id"], strict=True)],
            index=tps.index,
        )
    )
    emails = set(customers["email"].str.lower()) - {""}
    assert (tps.loc[~by_id, "email"].str.lower().isin(emails)).all()

    found = {
        "wrong field count": tps.loc[broken, "_origin"].tolist(),
        "bad date": tps.loc[bad_at, "_origin"].tolist(),
        "bad rating": tps.loc[bad_rating, "_origin"].tolist(),
        "unknown campaign": tps.loc[bad_campaign, "_origin"].tolist(),
        "unknown customer": tps.loc[bad_customer, "_origin"].tolist(),
    }
    assert {k: len(v) for k, v in found.items()} == {
        "wrong field count": 1, "bad date": 3, "bad rating": 2, "unknown campaign": 1,
        "unknown customer": 1,
    }  # fmt: skip
    planted = json.loads((bundle / "demo.json").read_text())["planted"]
    assert sorted(p["origin"] for p in planted) == sorted(o for v in found.values() for o in v)
    for row in planted:
        hit = tps[tps["touchpoint_id"].str.startswith(row["id"])]
        assert hit["_origin"].tolist() == [row["origin"]]

    # the rest is clean: products, steps, departments, campaigns, accounts, relationships
    clean = tps[tps["clean"]]
    assert clean["product_id"].isin(set(frames["products.csv"]["product_id"]) | {""}).all()
    assert clean["step_id"].isin(set(frames["journey_steps.csv"]["step_id"]) | {""}).all()
    departments = set(frames["departments.csv"]["department_id"])
    assert clean["department_id"].isin(departments | {""}).all()
    assert set(frames["campaigns.csv"]["department_id"]) <= departments
    assert set(frames["accounts.csv"]["department_id"]) <= departments
    assert frames["campaign_members.csv"]["campaign_id"].isin(campaigns).all()
    holdings = frames["holdings.csv"]
    assert all(k in keys for k in zip(holdings["source"], holdings["customer_id"], strict=True))
    assert holdings["account_id"].isin(set(frames["accounts.csv"]["account_id"])).all()
    rel = frames["relationships.csv"]
    ends = zip(rel["source"], rel["from_customer_id"], rel["to_customer_id"], strict=True)
    assert all((s, a) in keys and (s, b) in keys for s, a, b in ends)
    assert not tps["touchpoint_id"].duplicated().any()
    assert not customers.duplicated(["source", "customer_id"]).any()
    stamps = touchpoints.loc[touchpoints["clean"], "stamp"].dropna()
    assert stamps.min() >= pd.Timestamp("2025-05-01")
    assert stamps.max() <= pd.Timestamp("2026-10-31 23:59:59")


def test_departments_journeys_and_ownership_gaps(
    frames: dict[str, pd.DataFrame], touchpoints: pd.DataFrame
) -> None:
    facts = describe_demo()
    departments = frames["departments.csv"]
    assert len(departments) >= 6 and departments["division"].nunique() == 3
    steps = frames["journey_steps.csv"]
    assert (
        set(steps["journey_id"])
        == set(facts["journeys"])
        == set(frames["journeys.csv"]["journey_id"])
    )
    unowned = steps.loc[steps["owner_department_ids"] == "", "step_id"].tolist()
    assert unowned == facts["unowned_steps"]
    assert "abandoned_checkout_follow_up" in unowned
    shared = steps[steps["owner_department_ids"].str.contains(";")]
    assert shared["step_id"].tolist() == [facts["conflict_step"]["step_id"]]
    assert shared["owner_department_ids"].iloc[0].split(";") == facts["conflict_step"]["owners"]
    # every gap has traffic; the conflict step too; orphans exist
    traffic = touchpoints["step_id"].value_counts()
    for step in [*unowned, facts["conflict_step"]["step_id"]]:
        assert traffic.get(step, 0) > 0, step
    assert (touchpoints["step_id"] == "").sum() > 0
    # drop-off along the purchase funnel
    funnel = [traffic.get(s, 0) for s in ("browse", "product_view", "add_to_cart", "checkout")]
    assert funnel == sorted(funnel, reverse=True) and funnel[-1] > 0


def test_steps_out_of_order(touchpoints: pd.DataFrame) -> None:
    """Some baskets get the item before it was viewed: add_to_cart earlier than product_view."""
    web = touchpoints[touchpoints["session_id"] != ""]
    first = web.pivot_table(index="session_id", columns="step_id", values="stamp", aggfunc="min")
    both = first.dropna(subset=["product_view", "add_to_cart"])
    swapped = (both["add_to_cart"] < both["product_view"]).sum()
    assert 0 < swapped < len(both) / 5


def test_identity_overlaps_and_placeholders(frames: dict[str, pd.DataFrame]) -> None:
    facts = describe_demo()
    customers = frames["customers.csv"]
    k = max(10, CUSTOMERS // 100)
    email = customers["email"].str.lower()
    counts = email[email != ""].value_counts()
    for placeholder in facts["placeholder_emails"]:
        assert counts[placeholder] == k
        assert customers.loc[email == placeholder, "source"].nunique() >= 2
    genuine = counts.drop(facts["placeholder_emails"])
    assert genuine.max() <= 4 and (genuine >= 3).any()

    def normal(phone: str) -> str:
        number = phonenumbers.parse(phone, "GB")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    phones = customers.loc[customers["phone"] != "", "phone"].map(normal).value_counts()
    for placeholder in facts["placeholder_phones"]:
        assert phones[normal(placeholder)] == k
    assert phones.drop([normal(p) for p in facts["placeholder_phones"]]).max() <= 4

    # the same address typed in different letter case in different systems
    spellings = customers[email != ""].groupby(email[email != ""])["email"].nunique()
    assert (spellings >= 2).sum() > CUSTOMERS / 20
    # the same phone in national and international formats
    raw = customers.loc[customers["phone"] != "", ["phone"]].assign(
        e164=lambda f: f["phone"].map(normal)
    )
    assert (raw.groupby("e164")["phone"].nunique() >= 2).sum() > CUSTOMERS / 20
    # names with small differences for one address
    names = customers[email != ""].groupby(email[email != ""])["name"].nunique()
    assert (names >= 2).sum() > 0
    # some people are known to one system only
    sources = customers[email != ""].groupby(email[email != ""])["source"].nunique()
    assert (sources == 1).sum() > 0 and (sources >= 3).sum() > 0


def test_relationships_and_the_top_influencer(frames: dict[str, pd.DataFrame]) -> None:
    facts = describe_demo()
    rel = frames["relationships.csv"]
    assert set(rel["kind"]) == {"referred", "household", "colleague", "follows", "knows"}
    top = facts["top_influencer"]["customer_id"]
    referrals = rel.loc[rel["kind"] == "referred", "to_customer_id"].value_counts()
    followers = rel.loc[rel["kind"] == "follows", "to_customer_id"].value_counts()
    assert referrals.index[0] == top and followers.index[0] == top
    assert referrals.iloc[0] >= max(5, CUSTOMERS * 0.025)
    assert set(facts["next_influencers"]) <= set(referrals.index[:5])
    assert referrals.iloc[0] >= 4 * referrals.median()  # heavy-tailed: few refer many
    graph = nx.DiGraph()
    for a, b, kind, weight in zip(rel["from_customer_id"], rel["to_customer_id"], rel["kind"],
                                  rel["weight"].astype(float), strict=True):  # fmt: skip
        for u, v in [(a, b), (b, a)] if kind in ("household", "colleague", "knows") else [(a, b)]:
            graph.add_edge(u, v, weight=graph.get_edge_data(u, v, {"weight": 0})["weight"] + weight)
    rank = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-10)
    assert max(rank, key=rank.get) == top
    customers = frames["customers.csv"]
    amara = customers[(customers["source"] == "crm") & (customers["customer_id"] == top)]
    assert amara[["name", "email"]].iloc[0].tolist() == [
        facts["top_influencer"]["name"],
        facts["top_influencer"]["email"],
    ]
    # households of two to five people sharing an address
    household = rel[rel["kind"] == "household"]
    sizes = nx.Graph(
        list(zip(household["from_customer_id"], household["to_customer_id"], strict=True))
    )
    component_sizes = {len(c) for c in nx.connected_components(sizes)}
    assert component_sizes <= {2, 3, 4, 5} and len(component_sizes) >= 3
    crm = customers[customers["source"] == "crm"].set_index("customer_id")
    pairs = household[["from_customer_id", "to_customer_id"]].to_numpy()
    same_address = [crm.at[a, "address"] == crm.at[b, "address"] for a, b in pairs]
    assert all(same_address)


def test_divisions_collide_in_september(frames: dict[str, pd.DataFrame]) -> None:
    """Several departments contact the same people within days of each other."""
    facts = describe_demo()
    customers = frames["customers.csv"]
    campaigns = frames["campaigns.csv"].set_index("campaign_id")
    members = frames["campaign_members.csv"]
    crm_email = customers[customers["source"] == "crm"].set_index("customer_id")["email"]
    person = (
        members["email"]
        .where(members["email"] != "", members["customer_id"].map(crm_email).fillna(""))
        .str.lower()
    )
    start, end = facts["collision_window"]
    in_window = members["added_at"].str[:10].between("2026-09-01", end) & (person != "")
    departments = members["campaign_id"].map(campaigns["department_id"])
    hit = pd.DataFrame({"person": person, "department": departments})[in_window]
    per_person = hit.groupby("person")["department"].nunique()
    assert (per_person >= 2).sum() > CUSTOMERS / 10
    assert per_person.max() >= 3
    window = campaigns.loc[list(facts["collision_campaigns"]), "started_at"]
    assert window.between(start, end).all()
    assert campaigns.loc[list(facts["collision_campaigns"]), "department_id"].nunique() >= 4


def test_hour_of_day_differs_by_channel(touchpoints: pd.DataFrame) -> None:
    tps = touchpoints[touchpoints["stamp"].notna()]
    opens = tps[tps["kind"] == "email_open"]
    social = tps[tps["channel"] == "social"]
    phone = tps[tps["channel"] == "phone"]
    web = tps[tps["channel"] == "web"]
    assert opens["hour"].value_counts().idxmax() in range(6, 10)
    assert social["hour"].value_counts().idxmax() in range(18, 23)
    assert phone["hour"].between(8, 18).mean() > 0.97
    assert (phone["weekday"] >= 5).mean() < 0.05
    web_hours = web["hour"].value_counts().sort_index()
    assert web_hours.idxmax() in (12, 13, 19, 20, 21)
    assert web_hours.loc[12:13].sum() > web_hours.loc[3:6].sum() * 4
    assert (social["weekday"] >= 5).mean() > (opens["weekday"] >= 5).mean()


def test_surveys_tickets_products_and_accounts(
    frames: dict[str, pd.DataFrame], touchpoints: pd.DataFrame
) -> None:
    tps = touchpoints[touchpoints["clean"]]
    surveys = tps[tps["kind"] == "survey"]
    assert set(surveys["rating_scale"]) == {"10", "5"}
    rating = pd.to_numeric(surveys["rating"])
    poor = ((surveys["rating_scale"] == "10") & (rating <= 6)) | (
        (surveys["rating_scale"] == "5") & (rating <= 2)
    )
    assert 0 < poor.sum() < len(surveys) / 2
    assert (surveys.loc[poor, "text"] != "").any()
    tickets = tps[tps["kind"] == "ticket"]
    assert (tickets["resolution"] != "").mean() > 0.5
    assert set(tickets["sentiment"]) == {"1", "-1", ""}
    products = frames["products.csv"]
    assert len(products) >= 15 and products["category"].nunique() >= 5
    # co-purchase: the cookbook's basket holds the mug far more often than chance
    purchases = tps[tps["kind"] == "purchase"]
    baskets = purchases.groupby("order_number")["product_id"].apply(set)
    pairs = Counter(frozenset(p) for b in baskets for p in _pairs(sorted(b)))
    assert pairs[frozenset({"BK-COOK", "MER-MUG"})] > pairs[frozenset({"BK-COOK", "EVT-WALK"})]
    accounts = frames["accounts.csv"]
    assert set(accounts["kind"]) == {"subscription", "magazine", "licence"}
    assert frames["holdings.csv"]["role"].isin(["owner", "member", "admin"]).all()


def _pairs(items: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(items) for b in items[i + 1 :]]
