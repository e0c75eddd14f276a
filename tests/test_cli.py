"""The ``graph360`` command, through typer's runner and, for the lock, a second process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from helpers import TINY
from typer.testing import CliRunner

from graph360.cli import EXIT_REFUSED, EXIT_REJECTS, app
from graph360.ingest.identity import customer_id_for
from graph360.store import open_store

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_load_reports_as_json_and_exits_3_when_rows_were_rejected(tmp_path: Path) -> None:
    db, rejects = str(tmp_path / "g.lbug"), tmp_path / "rejects.csv"
    result = _invoke(
        "load",
        str(TINY),
        "--store",
        db,
        "--rejects",
        str(rejects),
        "--max-shared",
        "2",
        "--format",
        "json",
    )
    assert result.exit_code == EXIT_REJECTS
    report = json.loads(result.stdout)
    assert report["customers_created"] == 6
    assert report["files"]["touchpoints"] == {
        "rows_read": 12,
        "loaded": 6,
        "new": 6,
        "changed": 0,
        "unchanged": 0,
        "rejected": 6,
    }
    assert report["rejects_path"] == str(rejects)
    assert rejects.read_text().startswith("file,line,reason,raw,origin")


def test_loading_the_last_bundle_again_says_nothing_was_compared(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "customers.csv").write_text("source,customer_id,name\ncrm,1,Ada\ncrm,2,Alan\n")
    db = str(tmp_path / "g.lbug")
    first = _invoke("load", str(bundle), "--store", db)
    assert first.exit_code == 0 and "nothing to compare" not in first.stdout
    again = _invoke("load", str(bundle), "--store", db, "--format", "json")
    assert json.loads(again.stdout)["unchanged_bundle"] is True
    assert "nothing to compare" in _invoke("load", str(bundle), "--store", db).stdout
    rechecked = _invoke("load", str(bundle), "--store", db, "--recheck", "--format", "json")
    report = json.loads(rechecked.stdout)
    assert report["unchanged_bundle"] is False
    assert report["files"]["customers"]["unchanged"] == 2


def test_stats_and_customer_card(tmp_path: Path) -> None:
    db = str(tmp_path / "g.lbug")
    _invoke(
        "load", str(TINY), "--store", db, "--rejects", str(tmp_path / "r.csv"), "--max-shared", "2"
    )
    stats = json.loads(_invoke("stats", "--store", db, "--format", "json").stdout)
    assert stats["nodes"]["Customer"] == 6
    assert stats["relationships"]["HAD"] == 6
    csv_out = _invoke("stats", "--store", db, "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "kind,name,count"
    assert "node,Customer,6" in csv_out
    for ref in ("ada@example.org", "ADA@EXAMPLE.ORG", "support:Z9", customer_id_for("crm:1")):
        card = json.loads(_invoke("customer", ref, "--store", db, "--format", "json").stdout)
        assert card["customer_id"] == customer_id_for("crm:1")
    assert card["identity"]["age"] is not None
    assert [r["rule"] for r in card["identity"]["records"]] == ["source_id", "email", "phone"]
    assert card["value"]["current"] is None  # not computed yet
    assert _invoke("value", "--store", db, "--format", "json").exit_code == 0
    card = json.loads(_invoke("customer", "ada@example.org", "--store", db, "-f", "json").stdout)
    assert card["value"]["current"] == 1200.5  # her account; her purchases are too old
    assert card["next_best_offers"]  # the popular products, for someone who bought none
    assert card["journeys"][0]["unowned"] is True
    assert [t["touchpoint_id"] for t in card["recent_touchpoints"]] == ["T5", "T3", "T2", "T1"]
    table = _invoke("customer", "ada@example.org", "--store", db)
    assert table.exit_code == 0
    assert "Ada Lovelace" in table.stdout and "unowned" in table.stdout


def test_unknown_customer_and_missing_database_are_one_line_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "g.lbug")
    missing = _invoke("customer", "x@y.org", "--store", db)
    assert missing.exit_code == EXIT_REFUSED
    assert "no graph360 database" in missing.stderr
    _invoke("load", str(TINY), "--store", db, "--rejects", str(tmp_path / "r.csv"))
    unknown = _invoke("customer", "nobody@nowhere.org", "--store", db)
    assert unknown.exit_code == EXIT_REFUSED
    assert unknown.stderr.strip() == "error: no customer with e-mail nobody@nowhere.org"
    bad_bundle = _invoke("load", str(tmp_path), "--store", db)
    assert bad_bundle.exit_code == EXIT_REFUSED
    assert "customers.csv (or customers.parquet) is required" in bad_bundle.stderr


def test_a_second_writer_is_told_which_process_holds_the_database(tmp_path: Path) -> None:
    db = tmp_path / "g.lbug"
    holder = open_store(str(db))
    try:
        results = [
            subprocess.run(
                [sys.executable, "-m", "graph360.cli", *command, "--store", str(db)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            for command in (["load", str(TINY)], ["serve", "--port", "1"])
        ]
    finally:
        holder.close()
    for result in results:  # a load, and a server started during a load
        assert result.returncode == EXIT_REFUSED, result.stderr
        assert f"is open for writing by process {os.getpid()}" in result.stderr
        assert "Traceback" not in result.stderr


def test_the_readme_demo_runs_and_its_suggestions_work(tmp_path: Path) -> None:
    """The front door: ``graph360 demo`` then the commands it suggests (serving the API is
    tested in tests/test_api.py; here the demo stops after loading)."""
    db = str(tmp_path / "demo.lbug")
    exports = str(tmp_path / "exports")
    result = _invoke("demo", "--customers", "60", "--dir", exports, "--store", db, "--no-serve")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "graph360 demo" in result.stdout
    suggested = re.findall(r"^  \S.* customer (\S+)$", result.stdout, re.MULTILINE)
    assert len(suggested) == 3
    for ref in suggested:
        card = _invoke("customer", ref, "--store", db, "--format", "json")
        assert card.exit_code == 0, card.stderr
        assert len(json.loads(card.stdout)["identity"]["records"]) >= 1
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert "graph360 demo" in readme and "python -m pytest" in readme


def test_the_readme_commands_fit_an_80_column_terminal() -> None:
    """Every line of the README's code blocks fits 80 columns: nothing is cut off or wrapped
    where a new user copies it."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = readme.split("```")[1::2]
    wide = [line for block in blocks for line in block.splitlines() if len(line) > 80]
    assert wide == []


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    """CSV injection (OWASP): a name like ``=HYPERLINK(…)`` reaches the file as text."""
    import shutil

    from graph360.cli.base import csv_text

    rows = [{"name": v, "n": -2} for v in ('=HYPERLINK("x")', "+SUM(A1)", "-2+3", "@x", "Ada")]
    assert csv_text(rows).splitlines() == [
        "name,n",
        '"\'=HYPERLINK(""x"")",-2',
        "'+SUM(A1),-2",
        "'-2+3,-2",
        "'@x,-2",
        "Ada,-2",
    ]
    bundle = tmp_path / "bundle"
    shutil.copytree(TINY, bundle)
    with (bundle / "customers.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            'crm,9,=HYPERLINK("http://evil.example"),eve@example.org,,,,,,,,,2023-03-01,\n'
        )
    with (bundle / "relationships.csv").open("a", encoding="utf-8") as handle:
        handle.write("crm,1,9,follows,,\n")
    store = str(tmp_path / "graph.lbug")
    runner.invoke(app, ["load", str(bundle), "--store", store])
    done = _invoke("influence", "--store", store, "--format", "csv", "--top", "10")
    assert done.exit_code == 0, done.output
    assert "'=HYPERLINK" in done.output and ",=HYPERLINK" not in done.output


def test_load_of_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    done = _invoke("load", str(tmp_path / "nowhere"), "--store", str(tmp_path / "g.lbug"))
    assert done.exit_code == EXIT_REFUSED
    assert "nowhere: no such folder" in done.output
    assert not (tmp_path / "g.lbug").exists()  # checked before the store was opened


def test_the_demo_key_works_from_a_narrow_terminal_and_from_its_file(tmp_path: Path) -> None:
    """The demo's key on a line of its own (never cut by an 80-column terminal or a file), and
    written to --key-file (0600); the commands it suggests name a program that runs."""
    import signal

    import httpx
    from api_support import free_port, wait_until_ready

    script = Path(sys.executable).parent / "graph360"  # what the README's install made
    port = free_port()
    out, key_file = tmp_path / "demo.out", tmp_path / "demo.key"
    demo = subprocess.Popen(
        [
            *(str(script), "demo", "--customers", "60", "--dir", str(tmp_path / "exports")),
            *("--store", str(tmp_path / "demo.lbug"), "--port", str(port)),
            *("--key-file", str(key_file)),
        ],
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        env=os.environ | {"COLUMNS": "80", "GRAPH360_KEYS": str(tmp_path / "keys.json")},
        cwd=tmp_path,
    )
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        wait_until_ready(port, demo, log=out)
        printed = out.read_text().splitlines()
        key = printed[printed.index("API key (admin, for this demo), on the next line:") + 1]
        assert key == key_file.read_text().strip()
        assert key_file.stat().st_mode & 0o777 == 0o600
        answer = httpx.post(
            url,
            json={"query": "{ departments { id } }"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.json()["data"]["departments"]
        first = next(line for line in printed if " customer " in line and line.startswith("  "))
        program = first.split(" customer ")[0].strip()
        assert program in ("graph360", str(script)), first
        ran = subprocess.run(
            [*program.split(), "--help"], capture_output=True, text=True, cwd=tmp_path
        )
        assert ran.returncode == 0, ran.stderr
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(30)
        except subprocess.TimeoutExpired:
            demo.kill()


def test_a_format_a_command_cannot_do_is_refused() -> None:
    """``customer --format csv`` once printed JSON and exited 0: a nested answer has no CSV."""
    commands = (["customer", "x"], ["load", "."], ["facts", "status"], ["ingest", "-"])
    for command in (*commands, ["sentiment"]):  # sentiment once printed its sentence for csv
        done = runner.invoke(app, [*command, "--format", "csv"])
        assert done.exit_code == 2 and "csv" in done.output, (command, done.output)


def test_a_filtered_influence_run_leaves_the_stored_scores(tmp_path: Path) -> None:
    """``influence --kind referred`` once replaced the stored ranking every card shows."""
    store = str(tmp_path / "g.lbug")
    runner.invoke(app, ["load", str(TINY), "--store", store, "--rejects", str(tmp_path / "r")])
    assert _invoke("influence", "--store", store).exit_code == 0

    def stored() -> list:
        graph = open_store(store, read_only=True)
        try:
            frame = graph.all_nodes("Customer")[["customer_id", "pagerank", "influence_rank"]]
            return sorted(frame.astype(object).where(frame.notna(), None).values.tolist())
        finally:
            graph.close()

    before = stored()
    filtered = _invoke("influence", "--store", store, "--kind", "referred", "--format", "json")
    assert filtered.exit_code == 0
    assert stored() == before
    saved = _invoke("influence", "--store", store, "--kind", "referred", "--save")
    assert saved.exit_code == 0 and stored() != before  # when asked to


def test_times_say_their_clock_and_follow_timezone(tmp_path: Path, monkeypatch) -> None:
    """Times once printed in UTC with no label; scores sat beside money like money."""
    from graph360 import display

    store = str(tmp_path / "g.lbug")
    runner.invoke(app, ["load", str(TINY), "--store", store, "--rejects", str(tmp_path / "r")])
    ada = customer_id_for("crm:1")
    try:
        utc = _invoke("customer", ada, "--store", store)
        assert "last 2024-03-11 10:00 UTC" in utc.stdout, utc.stdout
        paris = _invoke("--timezone", "Europe/Paris", "customer", ada, "--store", store)
        assert "last 2024-03-11 11:00 CET" in paris.stdout
        monkeypatch.setenv("GRAPH360_TIMEZONE", "America/New_York")
        assert "last 2024-03-11 06:00 EDT" in _invoke("customer", ada, "--store", store).stdout
        bad = runner.invoke(app, ["--timezone", "Mars/Olympus", "stats", "--store", store])
        assert bad.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad.output
    finally:
        display.use_timezone(None)
    assert display.share(0.873) == "87%" and display.money(1234.5) == "1,234.50"
    monkeypatch.setenv("GRAPH360_CURRENCY", "gbp")
    assert display.money(1234.5) == "GBP 1,234.50"


def test_each_view_command_takes_exactly_its_views_parameters() -> None:
    """The view commands are made from the registry: nothing restated by hand to drift."""
    import typer.main

    from graph360.views import VIEWS

    group = typer.main.get_command(app).commands["view"]  # type: ignore[attr-defined]
    for name, view in VIEWS.items():
        command = group.commands[name]
        given = {p.name for p in command.params} - {"output", "store", "masked"}
        assert given == {re.sub(r"(?<!^)([A-Z])", r"_\1", p.name).lower() for p in view.params}
        for param in view.params:
            option = next(
                p for p in command.params if p.name.replace("_", "") == param.name.lower()
            )
            assert option.required == param.required and (
                param.required or option.default == param.default
            )


def test_serve_names_a_corrupt_key_file_before_it_starts(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text("{corrupt")
    done = runner.invoke(app, ["serve", "--keys", str(keys), "--store", str(tmp_path / "g")])
    assert done.exit_code == EXIT_REFUSED
    assert "not a graph360 key file" in done.output and "Traceback" not in done.output


def test_the_demo_refuses_too_few_customers_in_one_line(tmp_path: Path) -> None:
    """``demo --customers 10`` was a traceback (the generator's ValueError)."""
    done = runner.invoke(
        app, ["demo", "--customers", "10", "--no-serve", "--dir", str(tmp_path / "d")]
    )
    assert done.exit_code == 2 and "--customers" in done.output, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert not (tmp_path / "d").exists()  # refused before anything was written


def test_an_output_file_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    """``audit -o`` under a file (or any unwritable place) was a FileNotFoundError traceback."""
    store = str(tmp_path / "g.lbug")
    runner.invoke(app, ["load", str(TINY), "--store", store, "--rejects", str(tmp_path / "r")])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for command in (
        ["audit", "-o", str(blocker / "audit.txt")],
        ["audit", "--format", "md", "-o", str(blocker / "audit.md")],
        ["export-person", customer_id_for("crm:1"), "-o", str(blocker / "p.json")],
        ["view", "overlap", "-o", str(blocker / "o.html")],
        ["view", "all", str(blocker / "pages")],
    ):
        done = runner.invoke(app, [*command, "--store", store])
        assert done.exit_code == 2, (command, done.output)
        assert f"{blocker} is not a folder" in done.output and "Traceback" not in done.output
        assert done.exception is None or isinstance(done.exception, SystemExit)
    made = tmp_path / "new" / "audit.md"  # folders that are missing are made, as before
    assert _invoke("audit", "--format", "md", "-o", str(made), "--store", store).exit_code == 0
    assert made.read_text().startswith("#")


#: The commands whose ``--format csv`` the planted-formula test runs, with their arguments: every
#: command offering CSV that only reads; those that write (CSV_SKIPPED) answer ids and counts.
CSV_READERS = {
    "influence": [],
    "value": [],
    "overlap": ["--section", "pairs"],
    "audit": [],
    "funnel": ["buy"],
    "channels": ["buy"],
    "coverage": [],
    "engagement": [],
    "feedback": [],
    "themes": [],
    "silence": [],
    "stats": [],
    "identities": [],
    "rules": [],
    "merges": [],
    "erasure-log": [],
    "offers": [customer_id_for("crm:1")],
    "review": [],
}
CSV_SKIPPED = {"merge", "unmerge", "migrate"}


def test_every_csv_command_neutralises_formulas_in_the_data(tmp_path: Path) -> None:
    """OWASP's CSV injection through the data: department, step and customer names that a
    spreadsheet would run reach every ``--format csv`` answer as text (``'=…``)."""
    import csv
    import io
    import shutil

    import typer.main

    from graph360.cli.base import FORMULA_STARTS

    offered = {
        name
        for name, command in typer.main.get_command(app).commands.items()  # type: ignore[attr-defined]
        for param in getattr(command, "params", [])
        if param.name == "format" and "csv" in [m.value for m in param.type_descriptor.annotation]
    }
    assert offered - CSV_SKIPPED == set(CSV_READERS)  # a new CSV command is added here
    bundle = tmp_path / "bundle"
    shutil.copytree(TINY, bundle)
    planted = {
        "Retail Sales": '=HYPERLINK("http://evil.example","x")',
        "Newsroom": "+SUM(A1)",
        "Add to cart": "-2+3",
        "Grace Hopper": "@SUM(1+1)",
    }
    for file in ("departments.csv", "journey_steps.csv", "customers.csv"):
        body = (bundle / file).read_text(encoding="utf-8")
        for given, formula in planted.items():
            body = body.replace(given, '"' + formula.replace('"', '""') + '"')
        (bundle / file).write_text(body, encoding="utf-8")
    store = str(tmp_path / "g.lbug")
    runner.invoke(app, ["load", str(bundle), "--store", store, "--rejects", str(tmp_path / "r")])
    assert _invoke("influence", "--store", store).exit_code == 0
    assert _invoke("value", "--store", store).exit_code == 0
    shown: set[str] = set()
    for name, arguments in CSV_READERS.items():
        done = _invoke(name, *arguments, "--store", store, "--format", "csv")
        assert done.exit_code == 0, (name, done.output)
        for row in csv.reader(io.StringIO(done.stdout)):
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    float(cell)  # only a number (-2.5) may start like a formula
                shown |= {f for f in planted.values() if cell == "'" + f}
    assert shown == set(planted.values())  # each planted formula was in some answer, as text


def test_serve_without_keys_names_a_command_that_runs(tmp_path: Path) -> None:
    """It said ``graph360 keys create``, which the README's install does not put on PATH."""
    from graph360.cli.base import command

    keys = str(tmp_path / "keys.json")
    store = str(tmp_path / "g")
    done = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--keys", keys, "--store", store])
    assert done.exit_code == EXIT_REFUSED
    assert f"{command()} keys create --role admin" in " ".join(done.output.split())
    ran = subprocess.run([*command().split(), "keys", "--help"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr


def test_a_port_out_of_range_is_refused_before_anything_starts(tmp_path: Path) -> None:
    """``serve --port 99999`` started a server that could never bind."""
    for command in (["serve"], ["demo", "--no-serve", "--dir", str(tmp_path / "d")]):
        done = runner.invoke(app, [*command, "--port", "99999"])
        assert done.exit_code == 2 and "--port" in done.output, done.output
    assert not (tmp_path / "d").exists()


def test_the_demo_refuses_a_key_file_it_cannot_fill(tmp_path: Path) -> None:
    """``demo --key-file K --no-serve`` wrote no file and said nothing: no key is made."""
    key = tmp_path / "key"
    done = runner.invoke(
        app, ["demo", "--no-serve", "--key-file", str(key), "--dir", str(tmp_path / "d")]
    )
    assert done.exit_code == 2 and "--key-file" in done.output, done.output
    assert "keys create" in done.output
    assert not key.exists() and not (tmp_path / "d").exists()
