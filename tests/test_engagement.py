"""Engagement: exact rates and shares on hand-made touchpoints, best windows, the z-test
against a hand calculation, time zones, and the demo's documented hour-of-day pattern."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from helpers import BACKENDS, empty_store
from scipy import stats
from typer.testing import CliRunner

from graph360.analytics.engagement import comparison
from graph360.analytics.engagement.comparison import (
    compare_channels,
    compare_windows,
    parse_window,
    two_proportion_test,
)
from graph360.analytics.engagement.data import EngagementError, load_engagement
from graph360.analytics.engagement.heatmaps import best_windows, heatmaps
from graph360.analytics.engagement.report import engagement
from graph360.cli import app
from graph360.errors import NotFoundError
from graph360.store import GraphStore

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in the week of Monday 2 March 2026 (UTC; no summer time yet in London)."""
    return dt.datetime(2026, 3, 2 + day, hour, minute)


#: id, at, channel, kind, outcome, customer, campaign, handling department
TOUCHPOINTS = [
    # e-mail campaign c1 (run by d1): five sends on Monday 08:10-08:14
    *[(f"s1-{u}", at(MON, 8, 10 + u), "email", "email_sent", None, f"u{u}", "c1", None)
      for u in range(1, 6)],
    ("o1", at(MON, 12), "email", "email_open", None, "u1", "c1", None),
    ("k1", at(MON, 12, 1), "email", "email_click", None, "u1", "c1", None),  # same send
    ("o2", at(TUE, 7, 30), "email", "email_open", None, "u2", "c1", None),
    ("o3", at(MON + 9, 10), "email", "email_open", None, "u3", "c1", None),  # 9 days: too late
    ("b4", at(MON, 8, 14, ), "email", "bounce", None, "u4", "c1", None),  # u4's send bounced
    ("x5", at(MON, 9), "email", "unsubscribe", None, "u5", "c1", None),  # not a response
    # e-mail campaign c2 (run by d2): three sends on Saturday 19:30
    *[(f"s2-{u}", at(SAT, 19, 30), "email", "email_sent", None, f"u{u}", "c2", None)
      for u in range(1, 4)],
    ("o6", at(SAT, 20), "email", "email_open", None, "u1", "c2", None),
    ("o7", at(SUN, 9), "email", "email_open", None, "u2", "c2", None),
    # outbound calls (handled by d3): their own outcome answers them
    ("p1", at(TUE, 10, 5), "phone", "call", "connected", "u1", None, "d3"),
    ("p2", at(TUE, 10, 15), "phone", "call", "no_answer", "u2", None, "d3"),
    ("p3", at(TUE, 10, 25), "phone", "call", "meeting_booked", "u3", None, "d3"),
    ("p4", at(TUE, 10, 35), "phone", "call", "left_voicemail", "u4", None, "d3"),
    ("p5", at(SAT, 11), "phone", "call", "no_answer", "u5", None, "d3"),
    ("p6", at(SAT, 11, 30), "phone", "call", "no_answer", "u1", None, "d3"),
    # social: no deliveries, so the activity share; the agent's reply is no engagement
    ("m1", at(THU, 20, 1), "social", "social_engagement", None, "u1", None, "d4"),
    ("m2", at(THU, 20, 2), "social", "social_engagement", None, "u2", None, "d4"),
    ("m3", at(THU, 20, 3), "social", "social_engagement", None, "u3", None, "d4"),
    ("m4", at(FRI, 21), "social", "social_engagement", None, "u4", None, None),
    ("r1", at(FRI, 22), "social", "reply", None, "u4", None, "d4"),
]  # fmt: skip


def _build(store: GraphStore, touchpoints=TOUCHPOINTS) -> GraphStore:
    customers = sorted({t[5] for t in touchpoints})
    store.upsert_nodes("Customer", pa.table({"customer_id": customers}))
    store.upsert_nodes("Department", pa.table({"department_id": ["d1", "d2", "d3", "d4"]}))
    store.upsert_nodes(
        "Campaign", pa.table({"campaign_id": ["c1", "c2"], "channel": ["email", "email"]})
    )
    store.upsert_relationships("RUN_BY", pa.table({"from": ["c1", "c2"], "to": ["d1", "d2"]}))
    store.upsert_nodes(
        "Touchpoint",
        pa.table(
            {
                "touchpoint_id": [t[0] for t in touchpoints],
                "at": pa.array([t[1] for t in touchpoints], pa.timestamp("us")),
                "channel": [t[2] for t in touchpoints],
                "kind": [t[3] for t in touchpoints],
                "outcome": pa.array([t[4] for t in touchpoints], pa.string()),
            }
        ),
    )
    store.upsert_relationships(
        "HAD", pa.table({"from": [t[5] for t in touchpoints], "to": [t[0] for t in touchpoints]})
    )
    with_campaign = [t for t in touchpoints if t[6]]
    store.upsert_relationships(
        "FROM_CAMPAIGN",
        pa.table({"from": [t[0] for t in with_campaign], "to": [t[6] for t in with_campaign]}),
    )
    handled = [t for t in touchpoints if t[7]]
    store.upsert_relationships(
        "HANDLED_BY", pa.table({"from": [t[0] for t in handled], "to": [t[7] for t in handled]})
    )
    return store


@pytest.fixture(params=BACKENDS, scope="module")
def week(request, tmp_path_factory) -> Iterator[GraphStore]:
    """The hand-made week above, loaded once per backend."""
    graph = empty_store(request.param, tmp_path_factory.mktemp("week"))
    yield _build(graph)
    graph.close()


def _grid(maps, channel, department=None):
    (grid,) = [m for m in maps if m.channel == channel and m.department == department]
    return grid


def _cells(grid) -> dict[tuple[int, int], tuple[int, int]]:
    """The non-empty cells: (weekday, hour) -> (count, base)."""
    return {
        (d, h): (int(grid.count[d, h]), int(grid.base[d, h]))
        for d in range(7)
        for h in range(24)
        if grid.count[d, h] or (grid.measure == "response_rate" and grid.base[d, h])
    }


# --- rates and shares ---------------------------------------------------------------------------


def test_response_rates_count_each_delivery_once_by_its_send_time(week) -> None:
    data = load_engagement(week)
    maps = heatmaps(data)
    email = _grid(maps, "email")
    assert email.measure == "response_rate"
    # Mon 08: five sent, u4 bounced -> 4 delivered; u1 (open + click) and u2 (next day)
    # responded; u3's open came 9 days later (outside the 7-day window), u5 unsubscribed.
    # Sat 19: three sent; u1 and u2 opened (u2 on Sunday).
    assert _cells(email) == {(MON, 8): (2, 4), (SAT, 19): (2, 3)}
    assert email.value[MON, 8] == 0.5
    assert email.value[SAT, 19] == pytest.approx(2 / 3)
    assert np.isnan(email.value[TUE, 8])  # nothing sent then: no rate at all
    phone = _grid(maps, "phone")
    assert _cells(phone) == {(TUE, 10): (2, 4), (SAT, 11): (0, 2)}
    social = _grid(maps, "social")
    assert social.measure == "activity_share"
    assert _cells(social) == {(THU, 20): (3, 4), (FRI, 21): (1, 4)}
    assert social.value[THU, 20] == 0.75
    assert data.sent == {"email": 8, "phone": 6}


def test_the_activity_share_counts_responses_by_their_own_time(week) -> None:
    maps = heatmaps(load_engagement(week), measure="activity")
    email = _grid(maps, "email")
    assert email.measure == "activity_share"
    # the opens and the click, wherever they happened (the late open of u3 included)
    assert _cells(email) == {
        (MON, 12): (2, 6),
        (TUE, 7): (1, 6),
        (WED, 10): (1, 6),
        (SAT, 20): (1, 6),
        (SUN, 9): (1, 6),
    }
    phone = _grid(maps, "phone")  # the calls picked up
    assert _cells(phone) == {(TUE, 10): (2, 2)}
    with pytest.raises(EngagementError):
        heatmaps(load_engagement(week, channels=["social"]), measure="rate")


def test_by_department_splits_every_grid(week) -> None:
    maps = heatmaps(load_engagement(week, by_department=True), by="department")
    assert _cells(_grid(maps, "email", "d1")) == {(MON, 8): (2, 4)}
    assert _cells(_grid(maps, "email", "d2")) == {(SAT, 19): (2, 3)}
    assert _cells(_grid(maps, "phone", "d3")) == {(TUE, 10): (2, 4), (SAT, 11): (0, 2)}
    assert _cells(_grid(maps, "social", "d4")) == {(THU, 20): (3, 3)}
    assert _cells(_grid(maps, "social", "(none)")) == {(FRI, 21): (1, 1)}


def test_the_period_takes_sends_in_it_and_their_answers_up_to_the_window_after(week) -> None:
    data = load_engagement(week, since=at(SAT, 0), until=at(SUN, 0))
    email = _grid(heatmaps(data), "email")
    assert _cells(email) == {(SAT, 19): (2, 3)}  # u2's Sunday open still answers its send
    activity = _grid(heatmaps(data, measure="activity"), "email")
    assert _cells(activity) == {(SAT, 20): (1, 1)}  # but is no activity of Saturday
    assert "phone" in data.channels and data.sent == {"email": 3, "phone": 2}
    narrow = load_engagement(week, attribution_days=0.5)
    assert _cells(_grid(heatmaps(narrow), "email")) == {(MON, 8): (1, 4), (SAT, 19): (1, 3)}


def test_best_windows_need_enough_volume(week) -> None:
    maps = heatmaps(load_engagement(week))
    best = best_windows(maps, top=2, min_volume=3)
    assert [(b["channel"], b["weekday"], b["hours"], b["count"], b["base"]) for b in best] == [
        ("email", "Sat", "19-20", 2, 3),
        ("email", "Mon", "08-09", 2, 4),
        ("phone", "Tue", "10-11", 2, 4),
        ("social", "Thu", "20-21", 3, 4),
    ]
    assert best[0]["value"] == pytest.approx(2 / 3)
    # Wilson interval for 2/3, by hand
    z = 1.959963984540054
    centre = (2 / 3 + z * z / 6) / (1 + z * z / 3)
    half = z * math.sqrt(2 / 3 * 1 / 3 / 3 + z * z / 36) / (1 + z * z / 3)
    assert best[0]["ci_low"] == pytest.approx(centre - half)
    assert best[0]["ci_high"] == pytest.approx(centre + half)
    # four at least: Saturday's three sends cannot win, nor Thursday's three social responses
    assert [(b["weekday"], b["hours"]) for b in best_windows(maps, top=1, min_volume=4)] == [
        ("Mon", "08-09"),
        ("Tue", "10-11"),
    ]


# --- A/B ---------------------------------------------------------------------------------------


def _by_hand(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float, float]:
    p1, p2, pooled = x1 / n1, x2 / n2, (x1 + x2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = math.erfc(abs(z) / math.sqrt(2))  # 2 * (1 - Phi(|z|))
    half = 1.959963984540054 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return z, p, p1 - p2 - half, p1 - p2 + half


def test_the_z_test_matches_a_hand_calculation_and_chi_square() -> None:
    result = two_proportion_test(45, 100, 30, 100)
    # pooled p = 0.375, SE = sqrt(0.375 * 0.625 * 0.02) = 0.0684653, z = 0.15 / SE
    assert result["z"] == pytest.approx(0.15 / math.sqrt(0.375 * 0.625 * 0.02))
    assert result["z"] == pytest.approx(2.19089, abs=1e-5)
    assert result["p_value"] == pytest.approx(0.028459, abs=1e-6)
    z, p, low, high = _by_hand(45, 100, 30, 100)
    assert (result["z"], result["p_value"]) == (pytest.approx(z), pytest.approx(p))
    assert (result["ci_low"], result["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    chi2, p_chi, _, _ = stats.chi2_contingency([[45, 55], [30, 70]], correction=False)
    assert chi2 == pytest.approx(z * z) and p_chi == pytest.approx(p)
    same = two_proportion_test(0, 5, 0, 7)
    assert (same["z"], same["p_value"], same["difference"]) == (0.0, 1.0, 0.0)
    with pytest.raises(EngagementError):
        two_proportion_test(1, 0, 1, 2)


def test_windows_and_channels_compare_by_response_rate(week) -> None:
    data = load_engagement(week)
    ab = compare_windows(data, "email", "Mon 08-09", "Sat 19-20")
    assert (ab.responded_a, ab.delivered_a, ab.responded_b, ab.delivered_b) == (2, 4, 2, 3)
    z, p, low, high = _by_hand(2, 4, 2, 3)
    assert (ab.z, ab.p_value) == (pytest.approx(z), pytest.approx(p))
    assert ab.z == pytest.approx(-0.440959, abs=1e-6)
    assert (ab.ci_low, ab.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert ab.difference == pytest.approx(0.5 - 2 / 3)
    weekdays = compare_windows(data, "email", "weekdays", "weekend")
    assert (weekdays.delivered_a, weekdays.delivered_b) == (4, 3)
    channels = compare_channels(data, "email", "phone")
    assert (channels.responded_a, channels.delivered_a) == (4, 7)
    assert (channels.responded_b, channels.delivered_b) == (2, 6)
    with pytest.raises(EngagementError, match=r"social.*no deliveries"):
        compare_channels(data, "email", "social")
    with pytest.raises(EngagementError, match="overlap"):
        compare_windows(data, "email", "Mon-Fri 07-10", "Mon 09-12")


def test_windows_parse_days_and_hours() -> None:
    def cells(text: str) -> tuple[list[int], list[int]]:
        window = parse_window(text)
        return sorted(window.days), sorted(window.hours)

    assert cells("Mon 07-09") == ([0], [7, 8])
    assert cells("Sat,Sun 19-22") == ([5, 6], [19, 20, 21])
    assert cells("Fri-Mon") == ([0, 4, 5, 6], list(range(24)))
    assert cells("22-02") == (list(range(7)), [0, 1, 22, 23])
    assert cells("weekdays 13") == ([0, 1, 2, 3, 4], [13])
    assert cells("Tue 09:00-17:00") == ([1], list(range(9, 17)))
    for bad in ("Someday 07-09", "Mon 7-7", "Mon 25-26", "Mon Tue", "07-09 10-11", ""):
        with pytest.raises(EngagementError):
            parse_window(bad)


# --- time zones --------------------------------------------------------------------------------


def test_hours_are_utc_unless_a_time_zone_is_given(store) -> None:
    summer = [
        # Sunday 5 July 2026 23:30 UTC is Monday 00:30 in London (BST, UTC+1)
        ("a", dt.datetime(2026, 7, 5, 23, 30), "web", "page_view", None, "u1", None, None),
        ("b", dt.datetime(2026, 7, 6, 7, 30), "web", "page_view", None, "u1", None, None),
        # winter: London is UTC
        ("c", dt.datetime(2026, 1, 5, 7, 30), "web", "page_view", None, "u1", None, None),
    ]
    _build(store, summer)
    utc = _grid(heatmaps(load_engagement(store)), "web")
    assert set(_cells(utc)) == {(SUN, 23), (MON, 7)}
    london = _grid(heatmaps(load_engagement(store, timezone="Europe/London")), "web")
    assert _cells(london) == {(MON, 0): (1, 3), (MON, 8): (1, 3), (MON, 7): (1, 3)}
    with pytest.raises(EngagementError, match="unknown time zone"):
        load_engagement(store, timezone="Mars/Olympus")
    with pytest.raises(NotFoundError, match="no touchpoints on channel fax"):
        load_engagement(store, channels=["fax"])


# --- named queries -----------------------------------------------------------------------------


def test_engagement_kinds(week) -> None:
    rows = week.query("engagement_kinds", since=at(MON, 0), until=at(TUE, 0))
    assert rows == [
        {"channel": "email", "kind": "bounce", "touchpoints": 1},
        {"channel": "email", "kind": "email_click", "touchpoints": 1},
        {"channel": "email", "kind": "email_open", "touchpoints": 1},
        {"channel": "email", "kind": "email_sent", "touchpoints": 5},
        {"channel": "email", "kind": "unsubscribe", "touchpoints": 1},
    ]


def test_engagement_touchpoints(week) -> None:
    rows = week.query(
        "engagement_touchpoints",
        channels=["phone", "social"],
        kinds=["call", "reply"],
        since=at(TUE, 10, 15),
        until=at(SAT, 11, 30),
    )
    assert sorted((r["at"], r["channel"], r["kind"], r["outcome"]) for r in rows) == [
        (at(TUE, 10, 15), "phone", "call", "no_answer"),
        (at(TUE, 10, 25), "phone", "call", "meeting_booked"),
        (at(TUE, 10, 35), "phone", "call", "left_voicemail"),
        (at(FRI, 22), "social", "reply", None),
        (at(SAT, 11), "phone", "call", "no_answer"),
    ]


def test_engagement_touchpoints_by_department(week) -> None:
    rows = week.query(
        "engagement_touchpoints_by_department",
        channels=["email", "social"],
        kinds=["email_open", "social_engagement"],
        since=at(THU, 0),
        until=at(SUN, 0),
    )
    assert sorted((r["at"], r["kind"], r["department_id"]) for r in rows) == [
        (at(THU, 20, 1), "social_engagement", "d4"),  # handled by d4
        (at(THU, 20, 2), "social_engagement", "d4"),
        (at(THU, 20, 3), "social_engagement", "d4"),
        (at(FRI, 21), "social_engagement", None),  # no department at all
        (at(SAT, 20), "email_open", "d2"),  # the campaign's department
    ]
    assert all(r["outcome"] is None and r["channel"] in ("email", "social") for r in rows)


def test_engagement_sends(week) -> None:
    rows = week.query(
        "engagement_sends",
        channels=["email", "social"],
        kinds=["email_sent", "email_open", "social_engagement"],
        since=at(SAT, 0),
        until=at(SUN, 12),
    )
    assert sorted(rows, key=lambda r: (r["at"], r["customer_id"], r["kind"])) == [
        {
            "customer_id": f"u{u}",
            "at": at(SAT, 19, 30),
            "channel": "email",
            "kind": "email_sent",
            "campaign_id": "c2",
        }
        for u in (1, 2, 3)
    ] + [
        {
            "customer_id": "u1",
            "at": at(SAT, 20),
            "channel": "email",
            "kind": "email_open",
            "campaign_id": "c2",
        },
        {
            "customer_id": "u2",
            "at": at(SUN, 9),
            "channel": "email",
            "kind": "email_open",
            "campaign_id": "c2",
        },
    ]
    social = week.query(
        "engagement_sends", channels=["social"], kinds=["social_engagement"], since=at(FRI, 0),
        until=at(SAT, 0),
    )  # fmt: skip
    assert social == [
        {
            "customer_id": "u4",
            "at": at(FRI, 21),
            "channel": "social",
            "kind": "social_engagement",
            "campaign_id": None,
        }
    ]


def test_engagement_campaigns(week) -> None:
    rows = week.query("engagement_campaigns")
    assert sorted((r["campaign_id"], r["department_id"]) for r in rows) == [
        ("c1", "d1"),
        ("c2", "d2"),
    ]


# --- the whole answer, the CLI, the plot --------------------------------------------------------


def test_the_report_and_the_cli(week, tmp_path: Path) -> None:
    report = engagement(
        week,
        channels=["email", "social"],  # the windows are e-mail's: the one that sends
        min_volume=3,
        top=1,
        ab_windows=("Mon 08-09", "Sat 19-20"),
    )
    assert report.comparison is not None and report.comparison.delivered_b == 3
    assert report.comparison.a == "email Mon 08-09"
    with pytest.raises(EngagementError, match="email or phone"):
        engagement(week, ab_windows=("Mon 08-09", "Sat 19-20"))
    email = next(c for c in report.channels if c["channel"] == "email")
    assert email == {
        "channel": "email",
        "sent": 8,
        "delivered": 7,
        "responded": 4,
        "response_rate": 4 / 7,
        "responses": 6,
    }
    assert len(report.rows()) == 2 * 7 * 24
    if week.backend != "ladybug":
        return
    db = week.location
    week.close()  # the CLI opens the database itself
    try:
        runner = CliRunner()
        png = tmp_path / "heat.png"
        result = runner.invoke(
            app,
            [
                *("engagement", "--store", db, "--compare-channels", "email", "phone"),
                *("-f", "json", "--plot", str(png), "--min-volume", "3"),
            ],
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["comparison"]["delivered_a"] == 7
        assert data["timezone"] == "UTC"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        table = runner.invoke(app, ["engagement", "--store", db, "-c", "social"])
        assert table.exit_code == 0 and "social: share, top" in table.stdout  # compact
        full = runner.invoke(app, ["engagement", "--store", db, "-c", "social", "--full"])
        assert full.exit_code == 0 and "share of responses" in full.stdout
        csv_out = runner.invoke(app, ["engagement", "--store", db, "-c", "phone", "-f", "csv"])
        lines = csv_out.stdout.splitlines()
        assert lines[0] == "channel,department,measure,weekday,hour,count,base,value"
        assert "phone,,response_rate,Tue,10,2,4,0.5" in lines
        refused = runner.invoke(
            app, ["engagement", "--store", db, "--compare-windows", "Mon 25", "Tue 07"]
        )
        assert refused.exit_code == 2  # an argument to change: usage, as the error tree says
        assert "window 'Mon 25'" in refused.output
    finally:
        week.__init__(db)  # reopen for the other tests of this module


def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(comparison)
    assert tried >= 3 and failures == 0


# --- the demo's documented pattern --------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[GraphStore]:
    from graph360.demo import generate_demo
    from graph360.ingest.load import load_bundle

    folder = tmp_path_factory.mktemp("demo")
    graph = empty_store("ladybug", folder)
    load_bundle(graph, generate_demo(folder / "bundle", customers=200), rejects_path=folder / "r")
    yield graph
    graph.close()


def test_the_demo_shows_its_hour_of_day_pattern(demo) -> None:
    # The demo's exports keep London wall-clock time, which the loader stores as UTC: the
    # documented hours are London's.
    london = engagement(demo, measure="activity", timezone="Europe/London").heatmaps
    activity = {m.channel: m.count.sum(axis=0) for m in london}
    by_day = {m.channel: m.count.sum(axis=1) for m in london}
    email, social, phone = activity["email"], activity["social"], activity["phone"]
    assert int(np.argmax(email)) in (7, 8)  # e-mail opens peak 07-09
    assert email[7:9].sum() > email[19:21].sum() * 2
    assert int(np.argmax(social)) in range(17, 23)  # social in the evening
    assert social[19:23].sum() > 2 * social[7:11].sum()
    assert phone[19:].sum() + phone[:8].sum() == 0  # phone in office hours
    assert by_day["phone"][5:].sum() == 0  # and not at weekends
    calls = _grid(engagement(demo, channels=["phone"], timezone="Europe/London").heatmaps, "phone")
    hours = np.flatnonzero(calls.base.sum(axis=0))
    assert calls.measure == "response_rate" and hours.min() >= 8 and hours.max() <= 18
