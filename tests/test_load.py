"""Loading bundles: the report, rejected rows, idempotence, merges and crash safety."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import TINY, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from graph360 import shipped
from graph360.errors import BundleError
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import open_store

# (file, line, start of the reason) for every row the tiny bundle must reject.
TINY_REJECTS = [
    ("accounts.csv", 4, "unknown department 'nowhere'"),
    ("campaign_members.csv", 5, "e-mail 'test@example.com' is a blocked placeholder"),
    ("campaign_members.csv", 6, "no customer with e-mail 'nobody@example.org'"),
    ("campaign_members.csv", 7, "unknown campaign 'CMP9'"),
    ("customers.csv", 10, "unparseable date in birth_date: 'not-a-date'"),
    ("customers.csv", 11, "invalid e-mail 'not an email'"),
    ("customers.csv", 13, "duplicate source/customer_id crm / 2 with other content than line 5"),
    ("holdings.csv", 5, "unknown customer 'crm:99'"),
    ("journey_steps.csv", 6, "unknown department in owner_department_ids: ghost"),
    ("relationships.csv", 5, "kind must be one of referred|household|colleague|follows|knows"),
    ("relationships.csv", 6, "relates a customer to themselves"),
    ("touchpoints.csv", 5, "unknown journey step 'buy-5'"),
    ("touchpoints.csv", 9, "rating 7 outside its scale 1..5"),
    ("touchpoints.csv", 10, "unparseable date in at: 'yesterday'"),
    ("touchpoints.csv", 11, "unknown journey step 'buy-9'"),
    ("touchpoints.csv", 12, "duplicate touchpoint_id T6 with other content than line 8"),
    ("touchpoints.csv", 13, "wrong number of fields: 6 where the header has 18"),
]


def _rejects(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_report_counts_every_file(tiny) -> None:
    _, report = tiny
    assert report.files["customers"].rows_read == 12
    assert report.files["customers"].loaded == 8  # one exact repeat of crm:1 is the same row
    assert report.files["customers"].rejected == 3
    assert report.files["touchpoints"].rows_read == 12
    assert report.files["touchpoints"].loaded == 6
    assert report.files["touchpoints"].rejected == 6
    assert report.customers_created == 6
    assert report.records_linked == 2
    assert report.identifiers_blocked == {"email:test@example.com": 3}
    assert report.rejected == len(TINY_REJECTS)
    assert report.nodes_created["Touchpoint"] == 6


def test_every_bad_row_is_rejected_with_file_line_reason_and_raw_text(tiny) -> None:
    _, report = tiny
    rows = _rejects(Path(report.rejects_path))
    got = [(r["file"], int(r["line"]), r["reason"]) for r in rows]
    assert len(got) == len(TINY_REJECTS)
    for (file, line, reason), (want_file, want_line, want_reason) in zip(
        got, TINY_REJECTS, strict=True
    ):
        assert (file, line) == (want_file, want_line)
        assert reason.startswith(want_reason), reason
    by_line = {(r["file"], int(r["line"])): r for r in rows}
    # The raw text is the row as it was written, not as it was parsed.
    assert by_line[("customers.csv", 10)]["raw"].startswith(
        "crm,7,Bad Date,bad@example.org,,,not-a-date"
    )
    # A quoted value spanning two lines: the row starts on line 5, the next one on line 7.
    assert "Slow delivery,\nand nobody called back" in by_line[("touchpoints.csv", 5)]["raw"]


def test_extra_columns_are_kept_as_attributes(tiny) -> None:
    graph, _ = tiny
    records = graph.all_nodes("SourceRecord").set_index("record_key")
    assert records.loc["crm:1", "attributes"] == '{"loyalty_tier": "gold"}'


def test_loading_twice_changes_nothing(store, tmp_path: Path) -> None:
    first = load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    before = snapshot(store)
    second = load_bundle(store, TINY, rejects_path=tmp_path / "r2.csv", max_shared=2)
    assert snapshot(store) == before
    assert second.customers_created == 0
    assert sum(second.nodes_created.values()) == 0
    assert sum(second.relationships_created.values()) == 0
    assert second.rejected == first.rejected


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_a_later_record_bridging_two_customers_merges_them(store, tmp_path: Path) -> None:
    _write(
        tmp_path / "one",
        "customers.csv",
        """
        source,customer_id,name,email,phone,country
        crm,1,Ada,ada@x.org,,GB
        crm,2,Ada L,,+44 20 7946 0958,GB
        crm,3,Bob,bob@x.org,,GB
        """,
    )
    _write(
        tmp_path / "one",
        "relationships.csv",
        """
        source,from_customer_id,to_customer_id,kind
        crm,3,1,referred
        crm,3,2,follows
        crm,2,1,knows
        """,
    )
    load_bundle(store, tmp_path / "one")
    assert store.counts()["nodes"]["Customer"] == 3
    _write(
        tmp_path / "two",
        "customers.csv",
        """
        source,customer_id,name,email,phone,country
        desk,7,Ada Lovelace,ADA@X.ORG,020 7946 0958,GB
        """,
    )
    report = load_bundle(store, tmp_path / "two")
    assert report.customers_merged == 1
    ada = min(customer_id_for("crm:1"), customer_id_for("crm:2"))
    records = store.query("customer_records", customer_id=ada)
    assert sorted(r["record_key"] for r in records) == ["crm:1", "crm:2", "desk:7"]
    assert store.counts()["nodes"]["Customer"] == 2
    related = store.all_relationships("RELATED")
    # Bob's two links now point at the one Ada; Ada's link to herself is gone.
    assert sorted(zip(related["from"], related["to"], related["kind"], strict=True)) == [
        (customer_id_for("crm:3"), ada, "follows"),
        (customer_id_for("crm:3"), ada, "referred"),
    ]


def test_a_missing_customers_file_or_required_column_fails_fast(store, tmp_path: Path) -> None:
    _write(tmp_path / "a", "departments.csv", "department_id\nsales\n")
    with pytest.raises(BundleError, match=r"customers.csv .* is required"):
        load_bundle(store, tmp_path / "a")
    _write(tmp_path / "b", "customers.csv", "source,name\ncrm,Ada\n")
    with pytest.raises(
        BundleError, match=r"customers.csv: missing required column\(s\) customer_id"
    ):
        load_bundle(store, tmp_path / "b")
    assert store.counts()["nodes"]["Customer"] == 0


def test_undecodable_bytes_reject_that_row_only(store, tmp_path: Path) -> None:
    folder = tmp_path / "bytes"
    folder.mkdir()
    (folder / "customers.csv").write_bytes(
        b"source,customer_id,name\ncrm,1,Ada\ncrm,2,Gr\xe2ce\r\n\ncrm,3,Alan\n"
    )
    report = load_bundle(store, folder, rejects_path=tmp_path / "rejects.csv")
    assert report.files["customers"].loaded == 2
    (reject,) = _rejects(tmp_path / "rejects.csv")
    assert (reject["line"], reject["reason"]) == ("3", "bytes that are not UTF-8")
    names = sorted(store.all_nodes("Customer")["name"])
    assert names == ["Ada", "Alan"]


def test_a_parquet_bundle_loads_like_csv(store, tmp_path: Path) -> None:
    folder = tmp_path / "parquet"
    folder.mkdir()
    for path in TINY.glob("*.csv"):
        if path.name == "touchpoints.csv":  # its bad field-count line cannot live in Parquet
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.to_parquet(folder / f"{path.stem}.parquet")
    report = load_bundle(store, folder, rejects_path=tmp_path / "r.csv", max_shared=2)
    assert report.files["customers"].loaded == 8
    assert report.customers_created == 6
    assert report.files["relationships"].rejected == 2


KILLED_LOAD = """
import sys
from pathlib import Path
from graph360.ingest.load import load_bundle
from graph360.store import open_store

store = open_store(sys.argv[1])
def step(name):
    print(name, flush=True)
load_bundle(store, Path(sys.argv[2]), rejects_path=Path(sys.argv[3]), progress=step)
print("done", flush=True)
"""


def _big_bundle(folder: Path, people: int, touchpoints: int) -> None:
    folder.mkdir()
    ids = [str(i) for i in range(people)]
    pd.DataFrame(
        {
            "source": "crm",
            "customer_id": ids,
            "name": [f"P{i}" for i in ids],
            "email": [f"p{i}@x.org" for i in ids],
        }
    ).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame(
        {
            "touchpoint_id": [f"T{i}" for i in range(touchpoints)],
            "at": "2024-01-01T10:00:00Z",
            "channel": "web",
            "kind": "view",
            "source": "crm",
            "customer_id": [ids[i % people] for i in range(touchpoints)],
        }
    ).to_csv(folder / "touchpoints.csv", index=False)


@pytest.mark.slow
def test_a_load_killed_mid_write_leaves_nothing_half_done(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    _big_bundle(bundle, people=50_000, touchpoints=400_000)
    database = tmp_path / "killed.lbug"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOAD, str(database), str(bundle), str(tmp_path / "r.csv")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    for line in child.stdout:
        if line.strip() == "write relationships":
            time.sleep(0.05)
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with open_store(str(database)) as graph:
        counts = graph.counts()
        # all or nothing: never customers without their touchpoints and links
        assert counts["nodes"]["Customer"] in (0, 50_000)
        assert counts["relationships"]["HAD"] in (0, 400_000)
        assert (counts["nodes"]["Customer"] == 0) == (counts["relationships"]["HAD"] == 0)
        load_bundle(graph, bundle, rejects_path=tmp_path / "r2.csv")
        after_kill = snapshot(graph)
    clean = tmp_path / "clean.lbug"
    with open_store(str(clean)) as graph:
        load_bundle(graph, bundle, rejects_path=tmp_path / "r3.csv")
        reference = snapshot(graph)
    for name in ("SourceRecord", "IDENTIFIED_BY"):  # load times differ between the two runs
        for rows in (after_kill[name], reference[name]):
            for row in rows:
                row.pop("loaded_at", None)
                row.pop("at", None)
    assert after_kill == reference


def test_a_row_the_mapping_could_not_read_whole_is_rejected_with_its_reason(
    store, tmp_path: Path
) -> None:
    _write(tmp_path / "m", "contacts.csv", "source,customer_id,name\ncrm,1,Ada\ncrm,2,Bob,extra\n")
    _write(
        tmp_path / "m",
        "bundle.toml",
        '[[sources]]\nfile = "contacts.csv"\nmapping = "canonical"\ntarget = "customers.csv"\n',
    )
    report = load_bundle(store, tmp_path / "m", rejects_path=tmp_path / "r.csv")
    assert report.files["customers"].loaded == 1
    (reject,) = _rejects(tmp_path / "r.csv")
    assert reject["reason"] == "line 3 has 4 fields, the header has 3"
    assert reject["origin"] == "contacts.csv:3"
    assert store.all_nodes("SourceRecord")["attributes"].isna().all()


def test_a_column_named_like_the_loaders_own_is_refused(store, tmp_path: Path) -> None:
    """A user's ``_error`` column would reject rows with its cell as the reason, ``_origin``
    rewrite where a reject came from: both are refused, in a canonical file and in an export."""
    _write(tmp_path / "c", "customers.csv", "source,customer_id,_error\ncrm,1,boom\n")
    with pytest.raises(BundleError, match="_error have names graph360 keeps"):
        load_bundle(store, tmp_path / "c", rejects_path=tmp_path / "r.csv")
    _write(tmp_path / "e", "contacts.csv", "source,customer_id,_origin\ncrm,1,x.csv:9\n")
    _write(
        tmp_path / "e",
        "bundle.toml",
        '[[sources]]\nfile = "contacts.csv"\nmapping = "canonical"\ntarget = "customers.csv"\n',
    )
    with pytest.raises(BundleError, match="_origin have names graph360 keeps"):
        load_bundle(store, tmp_path / "e", rejects_path=tmp_path / "r.csv")


def test_a_later_bundle_without_some_columns_joins_existing_customers(
    store, tmp_path: Path
) -> None:
    """A record joining a customer whose stored dates and numbers its file has no column for:
    the customer keeps them (the absent columns are typed, not a mix of null text and dates)."""
    load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    _write(
        tmp_path / "two", "customers.csv", "source,customer_id,email\ndesk,9,grace@example.org\n"
    )
    report = load_bundle(store, tmp_path / "two", rejects_path=tmp_path / "r2.csv")
    assert (report.rejected, report.customers_created) == (0, 0)
    grace = customer_id_for("crm:2")
    (profile,) = store.query("customer_profile", customer_id=grace)
    assert profile["birth_date"] == dt.datetime(1970, 1, 1)
    assert [r["record_key"] for r in store.query("customer_records", customer_id=grace)] == [
        "crm:2",
        "desk:9",
    ]


def _resolutions(store, raw, max_shared: int):
    from graph360.ingest.load import prepare_batch

    full = prepare_batch(store, raw, max_shared=max_shared).people.resolution
    near = prepare_batch(store, raw, max_shared=max_shared, neighbourhood=True).people.resolution
    return full, near


@pytest.mark.parametrize(
    "rows",
    [
        # joins Ada by e-mail, bridges Grace and Alan, a new person, a placeholder e-mail
        "desk,1,ada@example.org,\ndesk,2,alan@example.org,+1 212 555 0100\n"
        "desk,3,new@example.org,\ndesk,4,test@example.com,\n",
        # an update of a stored record, and a new record sharing its e-mail
        "crm,3,alan@example.org,\nweb,3,alan@example.org,\n",
    ],
)
def test_the_identity_neighbourhood_resolves_as_every_record_does(
    store, tmp_path: Path, rows: str
) -> None:
    from graph360.ingest.bundle import read_bundle

    load_bundle(store, TINY, rejects_path=tmp_path / "r.csv")  # max_shared 8: nothing blocked
    _write(tmp_path / "b", "customers.csv", "source,customer_id,email,phone\n" + rows)
    _write(
        tmp_path / "b",
        "touchpoints.csv",
        """
        touchpoint_id,at,channel,kind,source,customer_id,email
        X1,2024-04-01,web,view,,,grace@example.org
        X2,2024-04-01,web,view,crm,1,
        """,
    )
    raw = read_bundle(tmp_path / "b")
    full, near = _resolutions(store, raw, 8)
    batch = {key for key in full.customer_of if key.split(":")[0] in ("desk", "web")} | {"crm:3"}
    assert {k: near.customer_of[k] for k in batch} == {k: full.customer_of[k] for k in batch}
    assert near.merged_customers == full.merged_customers
    assert near.new_customers == full.new_customers
    assert near.blocked == full.blocked


def test_the_neighbourhood_does_not_merge_through_identifiers_it_sees_only_part_of(
    store, tmp_path: Path
) -> None:
    """crm:a and crm:b share a phone that four records carry (blocked at max_shared 3). A new
    record with the e-mail a and b also share brings a and b, but not all four carriers of the
    phone, into the neighbourhood: counted there, the phone would look shared by two and merge
    two people. The neighbourhood leaves identifiers it has not read in full out."""
    from graph360.ingest.bundle import read_bundle

    _write(
        tmp_path / "one",
        "customers.csv",
        """
        source,customer_id,email,phone
        crm,a,a@x.org,+442079460999
        crm,b,b@x.org,+442079460999
        crm,c,,+442079460999
        crm,d,,+442079460999
        crm,e,shared@x.org,
        """,
    )
    load_bundle(store, tmp_path / "one", max_shared=3)
    _write(
        tmp_path / "two",
        "customers.csv",
        """
        source,customer_id,email,phone
        desk,1,a@x.org,
        desk,2,b@x.org,
        """,
    )
    raw = read_bundle(tmp_path / "two")
    full, near = _resolutions(store, raw, 3)
    assert full.merged_customers == near.merged_customers == {}
    for key in ("desk:1", "desk:2"):
        assert near.customer_of[key] == full.customer_of[key]
    assert near.customer_of["desk:1"] != near.customer_of["desk:2"]


_DATE_TEXTS = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.isoformat()
    ),
    # The oracle, pandas' parser, holds nanoseconds: nothing after 2262-04-11 (ours does).
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2262, 4, 10)).map(
        lambda d: d.isoformat()
    ),
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.isoformat(sep=" ", timespec="seconds") + "Z"
    ),
    st.sampled_from(["2024-02-30", "yesterday", "2024-05-01T10:00:00+01:00", ""]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_DATE_TEXTS, max_size=6))
def test_dates_parse_as_pandas_parses_them(texts: list[str | None]) -> None:
    """Arrow's cast (the fast path) and pandas' ISO-8601 parser agree, row for row."""
    from graph360.ingest.validate import parse_dates

    values = pd.Series(texts, dtype="string")
    expected = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    assert parse_dates(values).equals(expected.dt.tz_localize(None).astype("datetime64[us]"))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.floats(allow_nan=False).map(repr),
            st.integers(-(10**12), 10**12).map(str),
            st.sampled_from(["1e3", "nan", "inf", "x", "1,5", "", " 7"]),
        ),
        max_size=6,
    )
)
def test_numbers_parse_as_python_parses_them(texts: list[str | None]) -> None:
    from graph360.ingest.validate import parse_numbers

    values = pd.Series(texts, dtype="string")
    # Python's float() is the oracle: pandas' to_numeric rounds some 16-digit texts one unit
    # in the last place off (7862875955477255.0 -> ...254.0); Arrow's cast does not.
    expected = pd.Series([_float(text) for text in texts], dtype="float64")
    assert parse_numbers(values).equals(expected)


def _float(text: str | None) -> float:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def test_a_bundle_reads_only_files_inside_its_folder(store, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    _write(secret, "os-release", "source,customer_id,name\ncrm,1,Root\n")
    _write(
        secret,
        "evil.toml",
        (shipped.folder("loaders") / "canonical.toml").read_text(),
    )
    for outside in ("../secret/os-release", str(secret / "os-release")):
        folder = tmp_path / f"b{len(outside)}"
        _write(
            folder,
            "bundle.toml",
            f'[[sources]]\nfile = "{outside}"\nmapping = "canonical"\ntarget = "customers.csv"\n',
        )
        with pytest.raises(BundleError, match="outside the bundle folder"):
            load_bundle(store, folder, rejects_path=tmp_path / "r.csv")
    folder = tmp_path / "m"
    _write(folder, "contacts.csv", "source,customer_id,name\ncrm,1,Ada\n")
    _write(
        folder,
        "bundle.toml",
        '[[sources]]\nfile = "contacts.csv"\nmapping = "../secret/evil.toml"\n',
    )
    with pytest.raises(BundleError, match=re.escape("mapping '../secret/evil.toml' is outside")):
        load_bundle(store, folder, rejects_path=tmp_path / "r.csv")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "customers.csv").symlink_to(secret / "os-release")
    with pytest.raises(BundleError, match="leads outside the bundle folder"):
        load_bundle(store, linked, rejects_path=tmp_path / "r.csv")
    report = load_bundle(store, linked, rejects_path=tmp_path / "r.csv", allow_outside=True)
    assert report.files["customers"].loaded == 1  # when the user says so


def test_files_that_are_not_files_are_named_never_skipped(store, tmp_path: Path) -> None:
    def bundle(name: str) -> Path:
        folder = tmp_path / name
        _write(folder, "customers.csv", "source,customer_id,name\ncrm,1,Ada\n")
        return folder

    looping = bundle("loop")
    (looping / "touchpoints.csv").symlink_to(looping / "touchpoints.csv")
    with pytest.raises(
        BundleError, match=re.escape("touchpoints.csv: a symlink that leads to no file")
    ):
        load_bundle(store, looping, rejects_path=tmp_path / "r.csv")
    folder = tmp_path / "dir"
    (folder / "customers.csv").mkdir(parents=True)
    with pytest.raises(BundleError, match=re.escape("customers.csv: a folder")):
        load_bundle(store, folder, rejects_path=tmp_path / "r.csv")
    both = bundle("both")
    pd.DataFrame({"source": ["crm"], "customer_id": ["2"]}).to_parquet(both / "customers.parquet")
    with pytest.raises(BundleError, match=re.escape("both customers.csv and customers.parquet")):
        load_bundle(store, both, rejects_path=tmp_path / "r.csv")


def test_parquet_files_that_cannot_be_read_say_so(store, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "customers.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(
        BundleError, match=re.escape("customers.parquet: cannot be read as Parquet")
    ):
        load_bundle(store, corrupt, rejects_path=tmp_path / "r.csv")
    typed = tmp_path / "typed"
    typed.mkdir()
    table = pa.table(
        {"source": ["crm"], "customer_id": ["1"], "tags": pa.array([[1, 2]], pa.list_(pa.int64()))}
    )
    pq.write_table(table, typed / "customers.parquet")
    with pytest.raises(BundleError, match="column 'tags' holds list<"):
        load_bundle(store, typed, rejects_path=tmp_path / "r.csv")


def test_a_landline_two_people_share_keeps_them_apart_and_says_so(store, tmp_path: Path) -> None:
    """Hannah Scott and Daniel Evans share the landline 0117 496 0555 (issue: once one customer,
    and Daniel's card showed Hannah)."""
    from graph360.analytics.card import customer_card
    from graph360.privacy import OPERATOR

    _write(
        tmp_path / "b",
        "customers.csv",
        """
        source,customer_id,name,email,phone,country
        hubspot,1,Hannah Scott,,0117 496 0555,GB
        hubspot,2,Daniel Evans,dan.evans@example.com,0117 496 0555,GB
        hubspot,3,Anna Berg,family@example.com,,SE
        hubspot,4,Erik Berg,family@example.com,,SE
        """,
    )
    _write(
        tmp_path / "b",
        "touchpoints.csv",
        """
        touchpoint_id,at,channel,kind,email
        T1,2024-03-01T10:00:00Z,email,open,dan.evans@example.com
        T2,2024-03-01T10:00:00Z,email,open,family@example.com
        """,
    )
    report = load_bundle(store, tmp_path / "b", rejects_path=tmp_path / "r.csv")
    assert store.counts()["nodes"]["Customer"] == 4
    assert report.identity_conflicts == {
        "email:family@example.com": [["hubspot:3"], ["hubspot:4"]],
        "phone:+441174960555": [["hubspot:1"], ["hubspot:2"]],
    }
    card = customer_card(store, "dan.evans@example.com", audience=OPERATOR)
    assert card["identity"]["name"] == "Daniel Evans"
    (reject,) = _rejects(tmp_path / "r.csv")
    assert reject["line"] == "3" and "family@example.com" in reject["reason"]
    assert "shared by people whose names disagree" in reject["reason"]
