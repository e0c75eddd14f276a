# ruff: noqa: E501  (the rows of the bundle read best one a line)
"""A small bundle of customer voices with four themes a person would recognise (a late
delivery, a refund, an app crash, the price), each at its own step and department, for the
exact-answer tests of the themes and the mood at each step."""

from __future__ import annotations

import csv
from pathlib import Path

CUSTOMERS = [
    # source, customer_id, name, email, segment, persona
    ("crm", "1", "Ada Lovelace", "ada@example.org", "premium", "reader"),
    ("crm", "2", "Grace Hopper", "grace@example.org", "basic", "reader"),
    ("crm", "3", "Alan Turing", "alan@example.org", "basic", "gamer"),
]
DEPARTMENTS = [
    ("logistics", "Logistics", "Operations"),
    ("care", "Customer Care", "Service"),
    ("digital", "Digital", "Product"),
    ("sales", "Retail Sales", "Sales"),
]
STEPS = [
    # step_id, journey_id, name, position, owners
    ("browse", "buy", "Browse", 1, "digital"),
    ("pay", "buy", "Pay", 2, "sales"),
    ("deliver", "buy", "Delivery", 3, ""),
    ("support", "help", "Support", 1, "care"),
]
# fmt: off
#: touchpoint_id, at, kind, customer, step, department, rating, scale, sentiment, text, agent
TOUCHPOINTS = [
    ("D1", "2026-01-05T10:00:00Z", "review", "1", "deliver", "logistics", 1, 5, "", "My delivery is late again", "carl"),
    ("D2", "2026-01-20T10:00:00Z", "review", "2", "deliver", "logistics", 2, 5, "", "Late delivery and the parcel is still missing", "carl"),
    ("D3", "2026-02-03T10:00:00Z", "mention", "3", "deliver", "logistics", "", "", "", "delivery late by a week", ""),
    ("D4", "2026-02-14T10:00:00Z", "mention", "1", "deliver", "logistics", "", "", "", "The delivery came late", ""),
    ("R1", "2026-01-08T10:00:00Z", "ticket", "1", "support", "care", "", "", "-0.5", "Still waiting for my refund", "amy"),
    ("R2", "2026-02-08T10:00:00Z", "ticket", "2", "support", "care", "", "", "-0.5", "refund not received, write to grace@example.org", "amy"),
    ("R3", "2026-03-08T10:00:00Z", "ticket", "3", "support", "care", "", "", "0.2", "where is my refund", "bob"),
    ("A1", "2026-01-09T10:00:00Z", "review", "3", "browse", "digital", 1, 5, "", "The app crashes on login", ""),
    ("A2", "2026-01-10T10:00:00Z", "review", "3", "browse", "digital", 2, 5, "", "app crash when paying", ""),
    ("A3", "2026-01-11T10:00:00Z", "mention", "2", "browse", "digital", "", "", "", "app crashes every morning", ""),
    ("P1", "2026-03-01T10:00:00Z", "survey", "1", "pay", "sales", 4, 10, "", "price too high", ""),
    ("P2", "2026-03-02T10:00:00Z", "survey", "2", "pay", "sales", 6, 10, "", "the price went up", ""),
    ("P3", "2026-03-03T10:00:00Z", "survey", "3", "pay", "sales", 9, 10, "", "price increase again", ""),
    # not a voice: a page title (kind page_view) is nobody's words
    ("W1", "2026-03-04T10:00:00Z", "page_view", "3", "browse", "digital", "", "", "", "Refund policy | Shop", ""),
]
THEMES = {"delivery": ["D1", "D2", "D3", "D4"], "refund": ["R1", "R2", "R3"],
          "app": ["A1", "A2", "A3"], "price": ["P1", "P2", "P3"]}
# fmt: on


def _write(path: Path, header: list[str], rows: list[tuple]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_voices_bundle(folder: Path) -> Path:
    """The bundle, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "customers.csv",
        ["source", "customer_id", "name", "email", "segment", "persona"],
        CUSTOMERS,
    )
    _write(folder / "departments.csv", ["department_id", "name", "division"], DEPARTMENTS)
    _write(
        folder / "journeys.csv",
        ["journey_id", "name", "persona"],
        [("buy", "Buy", "reader"), ("help", "Help", "reader")],
    )
    _write(
        folder / "journey_steps.csv",
        ["step_id", "journey_id", "name", "position", "owner_department_ids"],
        STEPS,
    )
    _write(
        folder / "touchpoints.csv",
        [
            "touchpoint_id",
            "at",
            "channel",
            "kind",
            "source",
            "customer_id",
            "step_id",
            "department_id",
            "rating",
            "rating_scale",
            "sentiment",
            "text",
            "agent_id",
        ],
        [
            (tid, at, "web", kind, "crm", who, step, dept, rating, scale, sentiment, text, agent)
            for tid, at, kind, who, step, dept, rating, scale, sentiment, text, agent in TOUCHPOINTS
        ],
    )
    return folder
