"""Influence: PageRank against networkx, reach against BFS, communities on obvious clusters,
results stored on the customers (and a second run changes nothing but the time)."""

from __future__ import annotations

import datetime as dt
import doctest
import json

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from graph360.analytics.influence import measures
from graph360.analytics.influence.graph import build_graph
from graph360.analytics.influence.measures import communities, pagerank, two_hop_reach
from graph360.analytics.influence.scores import (
    InfluenceResult,
    compute_influence,
    influence,
    store_influence,
    stored_influence,
)
from graph360.cli import EXIT_REFUSED, app
from graph360.errors import NotFoundError

T1 = dt.datetime(2026, 1, 2, 3, 4, 5)
T2 = dt.datetime(2026, 2, 3, 4, 5, 6)


def _load(store, people: list[str], edges: list[tuple], names: dict[str, str] | None = None):
    """Customers and RELATED (from, to, kind[, weight]) relationships, straight into the store."""
    names = names or {}
    store.upsert_nodes(
        "Customer",
        pa.table({"customer_id": people, "name": [names.get(p, f"name {p}") for p in people]}),
    )
    if edges:
        store.upsert_relationships(
            "RELATED",
            pa.table(
                {
                    "from": [e[0] for e in edges],
                    "to": [e[1] for e in edges],
                    "kind": [e[2] for e in edges],
                    "weight": pa.array([e[3] if len(e) > 3 else None for e in edges], pa.float64()),
                }
            ),
        )


def _karate(store) -> nx.Graph:
    graph = nx.karate_club_graph()
    people = [f"K{i:02d}" for i in graph]
    edges = [
        (f"K{a:02d}", f"K{b:02d}", "knows", float(w)) for a, b, w in graph.edges(data="weight")
    ]
    _load(store, people, edges)
    return nx.relabel_nodes(graph, {i: f"K{i:02d}" for i in graph})


def _bfs_reach(graph: nx.Graph) -> dict[str, int]:
    return {v: len(nx.single_source_shortest_path_length(graph, v, cutoff=2)) - 1 for v in graph}


# --- PageRank ----------------------------------------------------------------------------------


def test_pagerank_matches_networkx_on_the_karate_club(store) -> None:
    graph = _karate(store)
    result = compute_influence(store, now=T1)
    expected = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-13, max_iter=1000)
    got = dict(zip(result.table["customer_id"], result.table["pagerank"], strict=True))
    assert set(got) == set(expected)
    assert max(abs(got[v] - expected[v]) for v in got) < 1e-10
    assert result.pagerank.converged and result.pagerank.delta < 1e-10
    by_rank = list(result.table["customer_id"])
    assert by_rank == sorted(expected, key=lambda v: (-expected[v], v))
    assert list(result.table["influence_rank"]) == list(range(1, 35))
    assert dict(zip(result.table["customer_id"], result.table["reach"], strict=True)) == (
        _bfs_reach(graph)
    )


def test_pagerank_follows_influence_directions_weights_and_dangling_people(store) -> None:
    # a referred b (b holds it), c and d follow a, b knows e (both ways, weight 0.5), b is
    # referred by nobody; f follows a with weight 3 and also knows a; g is related to nobody.
    edges = [
        ("a", "b", "referred", 2.0),
        ("c", "a", "follows"),
        ("d", "a", "follows", 1.0),
        ("b", "e", "knows", 0.5),
        ("f", "a", "follows", 3.0),
        ("f", "a", "knows"),
        ("e", "c", "household"),
        ("d", "c", "colleague", 0.0),  # weight 0 carries no influence
    ]
    _load(store, list("abcdefg"), edges)
    result = compute_influence(store)
    reference = nx.DiGraph()
    reference.add_nodes_from("abcdefg")
    for source, target, weight in [
        ("a", "b", 2.0),
        ("c", "a", 1.0),
        ("d", "a", 1.0),
        ("b", "e", 0.5),
        ("e", "b", 0.5),
        ("f", "a", 3.0 + 1.0),  # a follow and a knows between the same two add up
        ("a", "f", 1.0),
        ("e", "c", 1.0),
        ("c", "e", 1.0),
    ]:
        reference.add_edge(source, target, weight=weight)
    expected = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-13, max_iter=1000)
    got = dict(zip(result.table["customer_id"], result.table["pagerank"], strict=True))
    assert max(abs(got[v] - expected[v]) for v in expected) < 1e-10
    assert result.relationships == 7  # the weight-0 colleague is left out
    assert result.table["customer_id"].iloc[0] == max(expected, key=expected.get)
    # only the chosen kinds: referrals alone make b the only one holding influence
    referred = compute_influence(store, kinds=["referred"])
    assert referred.table["customer_id"].iloc[0] == "b"
    assert referred.relationships == 1
    with pytest.raises(NotFoundError, match="no relationship kind friends"):
        compute_influence(store, kinds=["friends"])


def test_pagerank_reports_iterations_and_an_unfinished_run() -> None:
    cycle = sp.csr_matrix(([1.0, 1.0, 1.0, 1.0], ([0, 1, 2, 2], [1, 2, 0, 1])), shape=(3, 3))
    short = pagerank(cycle, max_iterations=3)
    assert (short.iterations, short.converged) == (3, False)
    assert short.delta > short.tolerance
    full = pagerank(cycle)
    assert full.converged and full.iterations < 200 and full.delta < 1e-10
    assert abs(full.scores.sum() - 1.0) < 1e-12
    expected = nx.pagerank(nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 1)]), tol=1e-13)
    assert np.allclose(full.scores, [expected[i] for i in range(3)], atol=1e-10)


# --- reach --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hub_degree", "max_hubs", "block_paths"),
    [(10_000, 1024, 10**9), (3, 1024, 50), (3, 70, 7), (6, 5, 1)],
    ids=["no hubs", "many hubs", "two mask words", "few hubs, one-row blocks"],
)
def test_reach_is_exactly_the_two_hop_bfs(hub_degree, max_hubs, block_paths) -> None:
    rng = np.random.default_rng(7)
    graph = nx.gnm_random_graph(300, 500, seed=7)
    for hub in (0, 1, 2):  # three hubs with big, overlapping neighbourhoods
        graph.add_edges_from((hub, int(v)) for v in rng.choice(300, size=60, replace=False))
    graph.remove_edges_from(nx.selfloop_edges(graph))
    graph.add_node(300)  # someone related to nobody
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=range(301), format="csr")
    reach = two_hop_reach(
        adjacency, hub_degree=hub_degree, max_hubs=max_hubs, block_paths=block_paths
    )
    expected = [
        len(nx.single_source_shortest_path_length(graph, v, cutoff=2)) - 1 for v in range(301)
    ]
    assert reach.tolist() == expected
    assert reach[300] == 0


def test_reach_ignores_direction_and_counts_people_once(store) -> None:
    # a -> b -> c (referrals), c follows d, e knows a; b and a are also household
    _load(
        store,
        list("abcdef"),
        [
            ("a", "b", "referred"),
            ("b", "c", "referred"),
            ("c", "d", "follows"),
            ("e", "a", "knows"),
            ("a", "b", "household"),
        ],
    )
    table = compute_influence(store).table.set_index("customer_id")
    assert table["reach"].to_dict() == {"a": 3, "b": 4, "c": 3, "d": 2, "e": 2, "f": 0}


# --- communities --------------------------------------------------------------------------------


def test_communities_are_the_two_cliques_joined_by_one_edge(store) -> None:
    big = [f"big{i}" for i in range(6)]
    small = [f"small{i}" for i in range(5)]
    edges = [(a, b, "colleague") for i, a in enumerate(big) for b in big[i + 1 :]]
    edges += [(a, b, "household") for i, a in enumerate(small) for b in small[i + 1 :]]
    edges.append(("big0", "small0", "knows"))
    _load(store, [*big, *small, "loner"], edges)
    table = compute_influence(store).table.set_index("customer_id")
    assert {p: table.loc[p, "community"] for p in big} == dict.fromkeys(big, 1)
    assert {p: table.loc[p, "community"] for p in small} == dict.fromkeys(small, 2)
    assert table.loc["loner", "community"] == 3
    assert table.loc["big3", "community_size"] == 6
    assert table.loc["small3", "community_size"] == 5
    assert table.loc["loner", "community_size"] == 1


def test_communities_reach_louvain_modularity_on_the_karate_club() -> None:
    graph = nx.karate_club_graph()
    adjacency = nx.to_scipy_sparse_array(graph, format="csr", weight="weight")
    labels, rounds, settled = communities(adjacency)
    groups = [set(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels)]
    ours = nx.community.modularity(graph, groups, weight="weight")
    louvain = nx.community.modularity(
        graph, nx.community.louvain_communities(graph, weight="weight", seed=1), weight="weight"
    )
    assert settled and rounds > 0
    assert ours >= louvain - 0.01
    # the same graph always gives the same ids, numbered by size
    assert communities(adjacency)[0].tolist() == labels.tolist()
    sizes = np.bincount(labels)[1:]
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True)


def test_build_graph_refuses_relationships_to_unknown_customers() -> None:
    with pytest.raises(NotFoundError):
        build_graph(["a"], ["a"], ["zz"], ["knows"], [None])


# --- stored on the customers --------------------------------------------------------------------


def test_results_are_stored_on_customers_and_a_second_run_changes_only_the_time(store) -> None:
    _karate(store)
    result, top = influence(store, top=5, now=T1)
    nodes = store.all_nodes("Customer").set_index("customer_id")
    expected = result.table.set_index("customer_id")
    for column in ("pagerank", "influence_rank", "reach", "community"):
        assert nodes[column].to_dict() == expected[column].to_dict(), column
    assert set(nodes["influence_at"]) == {T1}
    assert [r["customer_id"] for r in top] == list(result.table["customer_id"][:5])
    assert top[0]["name"] == f"name {top[0]['customer_id']}"
    before = store.counts()

    influence(store, top=5, now=T2)
    again = store.all_nodes("Customer").set_index("customer_id")
    assert set(again["influence_at"]) == {T2}
    columns = [c for c in nodes.columns if c != "influence_at"]
    assert again[columns].equals(nodes[columns])
    assert store.counts() == before


def test_saving_can_be_skipped(store) -> None:
    _karate(store)
    influence(store, save=False)
    assert store.all_nodes("Customer")["pagerank"].isna().all()


# --- the named queries, exact answers -----------------------------------------------------------


def _small(store) -> None:
    _load(
        store,
        ["a", "b", "c"],
        [("a", "b", "referred", 2.0), ("c", "a", "follows"), ("b", "c", "knows", 0.5)],
        {"a": "Ada", "b": "Bea", "c": "Cy"},
    )


def test_influence_customers(store) -> None:
    _small(store)
    assert sorted(r["customer_id"] for r in store.query("influence_customers")) == ["a", "b", "c"]


def test_influence_edges(store) -> None:
    _small(store)
    rows = store.query("influence_edges", kinds=["referred", "follows", "knows"])
    assert sorted((r["source"], r["target"], r["kind"], r["weight"]) for r in rows) == [
        ("a", "b", "referred", 2.0),
        ("b", "c", "knows", 0.5),
        ("c", "a", "follows", None),
    ]
    rows = store.query("influence_edges", kinds=["follows"])
    assert [(r["source"], r["target"]) for r in rows] == [("c", "a")]


def test_influence_names(store) -> None:
    _small(store)
    rows = store.query("influence_names", ids=["c", "a", "nobody"])
    assert sorted((r["customer_id"], r["name"]) for r in rows) == [("a", "Ada"), ("c", "Cy")]


def test_influence_stored(store) -> None:
    _small(store)
    assert store.query("influence_stored", limit=5) == []
    result, _ = influence(store, now=T1)
    rows = store.query("influence_stored", limit=2)
    expected = result.table.head(2)
    assert [r["customer_id"] for r in rows] == list(expected["customer_id"])
    assert [r["influence_rank"] for r in rows] == [1, 2]
    assert rows[0]["name"] == {"a": "Ada", "b": "Bea", "c": "Cy"}[rows[0]["customer_id"]]
    assert rows[0]["influence_at"] == T1
    assert stored_influence(store, limit=2) == rows


# --- docs and CLI -------------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(measures)
    assert tried >= 3 and failures == 0


def test_cli_prints_stores_and_refuses(tmp_path) -> None:
    from graph360.store import open_store

    db = str(tmp_path / "g.lbug")
    graph = open_store(db)
    _small(graph)
    graph.close()
    runner = CliRunner()
    result = runner.invoke(app, ["influence", "--store", db, "--top", "2", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["rank"] for r in data["top"]] == [1, 2]
    assert data["summary"]["converged"] is True
    table = runner.invoke(app, ["influence", "--store", db, "--kind", "referred"])
    assert table.exit_code == 0 and "Bea" in table.stdout
    assert "Not stored: a ranking over some kinds only" in " ".join(table.stdout.split())
    refused = runner.invoke(app, ["influence", "--store", db, "--kind", "enemies"])
    assert refused.exit_code == EXIT_REFUSED
    assert "no relationship kind enemies" in refused.output


# --- only what changed is written ----------------------------------------------------------------


def _result(at: dt.datetime, rows: dict[str, tuple[float, int, int, int]]):
    """An influence result of ``rows``: customer -> (pagerank, rank, reach, community)."""
    table = pd.DataFrame(
        [(c, *v, 1) for c, v in rows.items()],
        columns=[
            "customer_id",
            "pagerank",
            "influence_rank",
            "reach",
            "community",
            "community_size",
        ],
    )
    return InfluenceResult(
        kinds=("knows",),
        computed_at=at,
        customers=len(rows),
        relationships=0,
        pagerank=pagerank(sp.csr_matrix((len(rows), len(rows)))),
        community_rounds=0,
        communities_converged=True,
        table=table,
    )


def _scores(store) -> dict[str, tuple]:
    nodes = store.all_nodes("Customer").set_index("customer_id")
    return {
        c: (r.pagerank, r.influence_rank, r.reach, r.community, r.influence_at)
        for c, r in nodes.iterrows()
    }


def test_influence_scores(store) -> None:
    _load(store, ["a", "b", "c"], [])
    store_influence(store, _result(T1, {"a": (0.25, 2, 0, 2), "b": (0.75, 1, 3, 1)}))
    rows = sorted(store.query("influence_scores"), key=lambda r: r["customer_id"])
    assert rows == [
        {"customer_id": "a", "pagerank": 0.25, "influence_rank": 2, "reach": 0, "community": 2},
        {"customer_id": "b", "pagerank": 0.75, "influence_rank": 1, "reach": 3, "community": 1},
        {
            "customer_id": "c",
            "pagerank": None,
            "influence_rank": None,
            "reach": None,
            "community": None,
        },
    ]


def test_influence_store_pagerank(store) -> None:
    """A customer whose PageRank alone moved gets the PageRank and the time, nothing else."""
    _load(store, ["a", "b", "c"], [])
    first = _result(T1, {"a": (0.25, 2, 0, 2), "b": (0.75, 1, 3, 1)})
    assert store_influence(store, first) == 2
    assert first.written == {
        "influence_store": 2,
        "influence_store_pagerank": 0,
        "influence_store_time": 0,
    }
    second = _result(T2, {"a": (0.2, 2, 0, 2), "b": (0.75, 1, 3, 1)})
    store_influence(store, second)
    assert second.written == {
        "influence_store": 0,
        "influence_store_pagerank": 1,
        "influence_store_time": 1,
    }
    scores = _scores(store)
    assert scores["a"] == (0.2, 2, 0, 2, T2) and scores["b"] == (0.75, 1, 3, 1, T2)
    assert pd.isna(scores["c"][0]) and pd.isna(scores["c"][4])
    store.write(
        "influence_store_pagerank",
        rows=pa.table({"k": ["b"], "v_pagerank": [0.5], "v_at": pa.array([T1], pa.timestamp("us"))})
        if store.backend == "ladybug"
        else [{"customer_id": "b", "pagerank": 0.5, "influence_at": T1}],
    )
    assert _scores(store)["b"] == (0.5, 1, 3, 1, T1)


def test_influence_store_time(store) -> None:
    """An unchanged customer gets the new time only; a changed rank, reach or community is
    written whole."""
    _load(store, ["a", "b"], [])
    store_influence(store, _result(T1, {"a": (0.25, 2, 0, 2), "b": (0.75, 1, 3, 1)}))
    again = _result(T2, {"a": (0.25, 2, 0, 2), "b": (0.75, 1, 3, 3)})
    store_influence(store, again)
    assert again.written == {
        "influence_store": 1,
        "influence_store_pagerank": 0,
        "influence_store_time": 1,
    }
    assert _scores(store) == {"a": (0.25, 2, 0, 2, T2), "b": (0.75, 1, 3, 3, T2)}
    store.write(
        "influence_store_time",
        rows=pa.table({"k": ["a"], "v_at": pa.array([T1], pa.timestamp("us"))})
        if store.backend == "ladybug"
        else [{"customer_id": "a", "influence_at": T1}],
    )
    assert _scores(store) == {"a": (0.25, 2, 0, 2, T1), "b": (0.75, 1, 3, 3, T2)}
