"""What each role sees of a person's contact details, on every surface.

Contact details are planted in every field free text can reach (a touchpoint's text and
resolution, flag and action reasons, a customer's and a record's extra attributes) and in
identifiers (a record keyed by an e-mail address, a touchpoint whose id holds one), written as
people write them (non-breaking spaces, en dashes, URL-encoded). Then each role asks each
surface: the GraphQL card (cursors decoded too), the customer view, the views' index and its
refusals, and the CLI's card and view files. A role without ``pii:read`` must find none of them;
a role with it must find them as stored.
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, serve
from helpers import TINY
from typer.testing import CliRunner

from graph360.api.auth import ROLES
from graph360.cli import app as cli
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.privacy import MASKED, OPERATOR, mask_text
from graph360.store import open_store

KIM = customer_id_for("crm:12")
#: What must never reach someone without pii:read: the address's local part and the number.
LOCAL = "kim.lee"
NUMBER = "7700900461"
TEXT = "Please call me back on +44\u00a07700\u00a0900\u00a0461 or write to kim.lee@mail.example"

# --- the masker on a table of formats ---------------------------------------------------------

MASKED_FORMATS = [
    ("call +44 7700 900 461 today", "call •••• 61 today"),
    ("call 07700\u00a0900\u00a0461", "call •••• 61"),
    ("call 07700\u2009900\u2009461", "call •••• 61"),
    ("call 07700\u2013900\u2013461", "call •••• 61"),
    ("call 07700 900\n461 please", "call •••• 61 please"),
    ("landline (0117) 496-0555", "landline •••• 55"),
    ("US +1 (415) 555-0132", "US •••• 32"),
    ("dots 415.555.0132", "dots •••• 32"),
    ("tel:+442079460018", "tel:•••• 18"),
    ("mobile 07700900461", "mobile •••• 61"),
    ("mail kim.lee@mail.example now", "mail k•••@mail.example now"),
    (
        "https://x.example/?e=kim.lee%40mail.example&u=1",
        "https://x.example/?e=k•••@mail.example&u=1",
    ),
    ("root jane@localhost", "root j•••@localhost"),
    ("wide kim\uff20mail.example", "wide k•••@mail.example"),
]
KEPT_FORMATS = [
    "raised 2026-01-31 after 3 tickets",
    "at risk since 2026-01-31 12:00",
    "on 31/01/2026",
    "order 12345678 shipped",
    "order #1000234567 total 59.99",
    "score 0.9312 on 2025-12-01",
    "spent £1,234.56 over 12 months",
    "thanks @graph360 for the help",
]


@pytest.mark.parametrize(("given", "shown"), MASKED_FORMATS)
def test_contact_details_in_text_are_masked(given: str, shown: str) -> None:
    assert mask_text(given) == shown


@pytest.mark.parametrize("given", KEPT_FORMATS)
def test_dates_amounts_and_ids_are_kept(given: str) -> None:
    assert mask_text(given) == given


def test_attributes_are_masked_by_name_and_by_content() -> None:
    given = {"mobile_2": "7700900461", "work_email": "a@b.example", "notes": "ring 07700 900461"}
    assert MASKED.attributes(given) == {
        "mobile_2": "•••• 61",
        "work_email": "a•••@b.example",
        "notes": "ring •••• 61",
    }
    assert MASKED.attributes({"tier": "gold", "visits": 3}) == {"tier": "gold", "visits": 3}
    assert OPERATOR.attributes('{"notes": "ring 07700 900461"}') == {"notes": "ring 07700 900461"}


# --- every role on every surface --------------------------------------------------------------


def planted_bundle(folder: Path) -> Path:
    """The tiny bundle plus Kim, whose details are planted everywhere text can go."""
    bundle = folder / "planted"
    shutil.copytree(TINY, bundle)

    def add(file: str, *rows: str) -> None:
        with (bundle / file).open("a", encoding="utf-8") as handle:
            handle.writelines(row + "\n" for row in rows)

    add(
        "customers.csv",
        "crm,12,Kim Lee,kim.lee@mail.example,+44 7700 900 461,,,,,,standard,,2023-03-01,"
        '"ring 07700\u2013900\u2013461 or kim.lee%40mail.example"',
        "mail,kim.lee@mail.example,Kim Lee,kim.lee@mail.example,,,,,,,,,2023-03-02,",
    )
    add(
        "touchpoints.csv",
        f'kim.lee@mail.example/1,2024-03-20T10:00:00Z,phone,ticket,crm,12,,,,,,,,,,"{TEXT}",'
        'resolved,"rang 07700 900\n461 back"',
        "T31,2024-03-19T10:00:00Z,email,open,crm,12,,,,,,,,,,,,",
    )
    return bundle


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("planted")
    graph = open_store(str(folder / "graph.lbug"))
    rejects = folder / "rejects.csv"
    load_bundle(graph, planted_bundle(folder), rejects_path=rejects, max_shared=2)
    assert LOCAL not in rejects.read_text(encoding="utf-8")  # every planted row loaded
    location = graph.location
    graph.close()
    for api in serve(location, folder):
        reason = f"asked to ring {TEXT[23:]}"
        api.gql(
            'mutation($c: ID!, $r: String!) { raiseFlag(customerId: $c, kind: "callback", '
            "severity: AMBER, reason: $r) { id } }",
            {"c": KIM, "r": reason},
        )
        api.gql(
            'mutation($c: ID!, $r: String!) { createAction(customerId: $c, kind: "call", '
            "reason: $r) { id } }",
            {"c": KIM, "r": reason},
        )
        yield api


CARD = """query($id: ID!, $after: String) { customer(id: $id) {
  id name email phone attributes
  records { recordKey sourceId via email phone attributes }
  touchpoints(first: 1, after: $after) {
    edges { cursor node { id text resolution } } pageInfo { endCursor }
  }
  flags { reason } actions { reason }
} }"""


def leaks(text: str) -> list[str]:
    """Which of Kim's contact details ``text`` shows (the address in any spelling, the number
    with any separators)."""
    found = []
    if re.search(re.escape(LOCAL) + r"(@|%40|\\u0040|&#64;)", text, re.IGNORECASE):
        found.append("e-mail")
    if NUMBER in re.sub(r"\D", "", text):
        found.append("phone")
    return found


def card_pages(api: Api, role: str) -> str:
    """Every page of Kim's card as ``role`` sees it, with the cursors decoded."""
    seen, after = [], None
    while True:
        body = api.post(CARD, {"id": KIM, "after": after}, role).text
        data = api.gql(CARD, {"id": KIM, "after": after}, role)["customer"]
        cursors = [e["cursor"] for e in data["touchpoints"]["edges"]]
        seen += [body, *(base64.urlsafe_b64decode(c).decode() for c in cursors)]
        after = data["touchpoints"]["pageInfo"]["endCursor"]
        if after is None:
            return "\n".join(seen)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_graphql_card_shows_contacts_only_with_pii_read(planted: Api, role: str) -> None:
    if "card:read" not in ROLES[role]:
        pytest.skip(f"{role} cannot read cards")
    seen = card_pages(planted, role)
    assert seen.count('"text"') == 2  # both touchpoints were paged through
    if "pii:read" in ROLES[role]:
        assert leaks(seen) == ["e-mail", "phone"]
        assert "kim.lee@mail.example/1" in seen  # the touchpoint id, as stored
    else:
        assert leaks(seen) == [], seen


@pytest.mark.parametrize("role", sorted(ROLES))
def test_views_show_contacts_only_with_pii_read(planted: Api, role: str) -> None:
    if "views:read" not in ROLES[role]:
        pytest.skip(f"{role} cannot open the views")
    auth = {"Authorization": f"Bearer {planted.tokens[role]}"}
    page = planted.client.get(f"/views/customer?ref={KIM}", headers=auth)
    assert page.status_code == 200, page.text
    index = planted.client.get("/views/", headers=auth)
    by_mail = planted.client.get("/views/customer?ref=kim.lee@mail.example", headers=auth)
    assert leaks(index.text) == []
    if "pii:read" in ROLES[role]:
        assert leaks(page.text) == ["e-mail", "phone"]
        assert by_mail.status_code == 200
    else:
        assert leaks(page.text) == []
        assert by_mail.status_code == 403 and leaks(by_mail.text) == []


def test_cli_card_and_view_mask_on_request(planted: Api, tmp_path: Path) -> None:
    runner = CliRunner()
    store = ["--store", planted.location]
    full = runner.invoke(cli, ["customer", KIM, *store, "--format", "json"])
    masked = runner.invoke(cli, ["customer", KIM, *store, "--format", "json", "--masked"])
    assert full.exit_code == masked.exit_code == 0, (full.output, masked.output)
    assert leaks(full.output) == ["e-mail", "phone"]
    assert leaks(masked.output) == []
    for flag, expected in (([], ["e-mail", "phone"]), (["--masked"], [])):
        page = tmp_path / f"kim{len(flag)}.html"
        done = runner.invoke(cli, ["view", "customer", KIM, "-o", str(page), *store, *flag])
        assert done.exit_code == 0, done.output
        assert leaks(page.read_text(encoding="utf-8")) == expected
    help_text = runner.invoke(cli, ["view", "--help"], env={"COLUMNS": "200"}).output
    assert "for the eyes of someone who may see what it shows" in help_text


def test_an_agent_finds_the_caller_by_phone_in_any_format(planted: Api) -> None:
    """An agent on a call has the caller's number, not an e-mail (and an analyst may not look
    anyone up by it)."""
    query = "query($r: String!) { customer(ref: $r) { id name } }"
    for typed in ("+44 7700 900 461", "07700 900461", "(07700) 900-461", "+447700900461"):
        assert planted.gql(query, {"r": typed}, role="agent")["customer"]["id"] == KIM
        search = planted.gql(
            "query($s: String) { customers(search: $s) { edges { node { id } } } }",
            {"s": typed},
            role="agent",
        )
        assert [e["node"]["id"] for e in search["customers"]["edges"]] == [KIM]
    (refused,) = planted.errors(query, {"r": "07700 900461"}, role="analyst")
    assert "needs 'pii:read'" in refused and "900461" not in refused
    (missing,) = planted.errors(query, {"r": "07700 900000"}, role="agent")
    assert missing == "no customer with phone 07700 900000"
    done = CliRunner().invoke(cli, ["customer", "07700 900 461", "--store", planted.location])
    assert done.exit_code == 0 and "Kim Lee" in done.output
