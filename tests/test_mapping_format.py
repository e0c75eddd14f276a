"""The mapping format's newer keys, its one-line errors, its documentation, and ``mapping check``.

Every mapping here is written in the test, next to the export it reads, so what each key does
can be checked against the text right above it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph360.cli import app
from graph360.errors import MappingError
from graph360.ingest.mapping import apply_mapping, load_mapping, map_bundle, map_export
from graph360.ingest.mapping import keys as mapping_module

DOCS = Path(__file__).parent.parent / "docs" / "mapping.md"
EXPORTS = Path(__file__).parent / "exports"
runner = CliRunner()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def mapping(folder: Path, body: str, head: str = "") -> Path:
    return write(
        folder,
        "m.toml",
        head + 'name = "m"\ndescription = "test"\nsource = "src"\n' + body,
    )


# --------------------------------------------------------------------------- the page


def test_the_docs_page_names_every_key_the_code_accepts() -> None:
    page = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([^`\s]+)`", page))
    accepted = {
        "top-level": mapping_module.TOP_LEVEL_KEYS,
        "outputs": mapping_module.OUTPUT_KEYS,
        "field": mapping_module.FIELD_KEYS,
        "where": mapping_module.CONDITION_KEYS,
        "fill_down": mapping_module.FILL_DOWN_KEYS,
        "split": mapping_module.SPLIT_KEYS,
        "epoch units": mapping_module.EPOCH_UNITS,
        "bundle.toml": mapping_module.MANIFEST_KEYS,
        "sources": mapping_module.SOURCE_KEYS,
        "create": tuple(mapping_module.CREATABLE),
        "consent": tuple(mapping_module.CONSENT_KEYS),
    }
    missing = {where: sorted(set(keys) - documented) for where, keys in accepted.items()}
    assert {where: keys for where, keys in missing.items() if keys} == {}


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ('colour = "red"\n[[outputs]]\nfile = "customers.csv"\n', "unknown top-level keys"),
        (
            '[columns]\n"Id" = "x"\n[[outputs]]\nfile = "customers.csv"\nwho = 1\n'
            '[outputs.fields]\ncustomer_id = "Id"\n',
            "outputs[0]: unknown keys ['who']",
        ),
        (
            '[columns]\n"Id" = "x"\n[[outputs]]\nfile = "customers.csv"\n'
            '[outputs.fields]\ncustomer_id = { column = "Id", upper = true }\n',
            "fields.customer_id: unknown keys ['upper']",
        ),
    ],
)
def test_a_key_the_code_does_not_know_is_refused(tmp_path: Path, body: str, names: str) -> None:
    with pytest.raises(MappingError, match=re.escape(names)):
        load_mapping(mapping(tmp_path, body))


# --------------------------------------------------------------------------- one-line errors


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            'created_at = { column = "When", date = "%d/%m/%" }',
            "outputs[0] (customers.csv).fields.created_at: date format '%d/%m/%' is not a "
            "strptime format: stray % in format '%d/%m/%'",
        ),
        (
            'created_at = { column = "When", epoch = "ns" }',
            "outputs[0] (customers.csv).fields.created_at: epoch must be one of "
            "['s', 'ms', 'us'], not 'ns'",
        ),
        (
            'customer_id = { id = "x:{Id}", digest = "long" }',
            "outputs[0] (customers.csv).fields.customer_id: digest is a number of hex digits",
        ),
        (
            'name = { lookup = "Id", file = "other.csv" }',
            "outputs[0] (customers.csv).fields.name: a lookup needs ['key', 'value']",
        ),
        (
            'name = { column = "Id", map = "yes" }',
            "outputs[0] (customers.csv).fields.name: map must be a table",
        ),
    ],
)
def test_a_mistake_is_one_line_naming_the_file_and_key(
    tmp_path: Path, field: str, message: str
) -> None:
    body = (
        '[columns]\n"Id" = "id"\n"When" = "time"\n[[outputs]]\nfile = "customers.csv"\n'
        '[outputs.fields]\ncustomer_id = "Id"\n' + field.replace("customer_id = ", "customer_id = ")
    )
    if field.startswith("customer_id"):
        body = body.replace('customer_id = "Id"\n', "")
    path = mapping(tmp_path, body)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    assert message in text


def test_the_cli_prints_a_mapping_mistake_on_one_line(tmp_path: Path) -> None:
    path = mapping(
        tmp_path,
        '[columns]\n"Id" = "id"\n"When" = "t"\n[[outputs]]\nfile = "customers.csv"\n'
        '[outputs.fields]\ncustomer_id = "Id"\ncreated_at = { column = "When", date = "%Q" }\n',
    )
    export = write(tmp_path, "e.csv", "Id,When\n1,2026-01-01\n")
    result = runner.invoke(app, ["mapping", "check", str(path), str(export)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "created_at: date format '%Q' is not a strptime format" in lines[0]
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- the new keys


def test_epochs_in_seconds_milliseconds_and_microseconds(tmp_path: Path) -> None:
    path = mapping(
        tmp_path,
        '[columns]\n"id" = ""\n"s" = ""\n"ms" = ""\n"us" = ""\n'
        '[[outputs]]\nfile = "touchpoints.csv"\n[outputs.fields]\n'
        'touchpoint_id = "id"\nchannel = { const = "web" }\nkind = { const = "visit" }\n'
        'at = { column = "s", epoch = "s" }\n'
        'at_ms = { column = "ms", epoch = "ms" }\nat_us = { column = "us", epoch = "us" }\n',
    )
    export = write(
        tmp_path,
        "e.csv",
        "id,s,ms,us\n"
        "a,1782893700,1782893700123,1782893700123456\n"
        "b,soon,,17828937001234567890123\n",
    )
    rows = apply_mapping(load_mapping(path), export)["touchpoints.csv"]
    assert rows[["at", "at_ms", "at_us"]].to_dict("records") == [
        {
            "at": "2026-07-01T08:15:00+00:00",
            "at_ms": "2026-07-01T08:15:00.123+00:00",
            "at_us": "2026-07-01T08:15:00.123456+00:00",
        },
        # not an epoch: kept raw, so the loader rejects the row with its line
        {"at": "soon", "at_ms": "", "at_us": "17828937001234567890123"},
    ]


def test_a_lookup_reads_another_export_of_the_bundle(tmp_path: Path) -> None:
    path = mapping(
        tmp_path,
        '[columns]\n"Id" = ""\n"AccountId" = ""\n[[outputs]]\nfile = "customers.csv"\n'
        '[outputs.fields]\ncustomer_id = "Id"\n'
        'company = { lookup = "AccountId", file = "Account.csv", key = "Id", value = "Name" }\n',
    )
    write(tmp_path, "Account.csv", "Id,Name\nA1,Acme Ltd\nA2,\nA1,Second Acme\n")
    export = write(tmp_path, "Contact.csv", "Id,AccountId\nC1,A1\nC2,A2\nC3,\nC4,A9\n")
    rows = apply_mapping(load_mapping(path), export)["customers.csv"]
    assert rows["company"].tolist() == ["Acme Ltd", "", "", ""]
    (tmp_path / "Account.csv").unlink()
    with pytest.raises(MappingError, match=r"field company: lookup file 'Account.csv' does not"):
        apply_mapping(load_mapping(path), export)


def test_fill_down_gives_each_line_item_its_orders_fields(tmp_path: Path) -> None:
    path = mapping(
        tmp_path,
        '[columns]\n"Name" = ""\n"Email" = ""\n"Sku" = ""\nfill_down_ = ""\n',
        head='fill_down = { key = "Name", columns = ["Email"] }\n',
    )
    text = path.read_text().replace('fill_down_ = ""\n', "")
    text += '[[outputs]]\nfile = "touchpoints.csv"\n[outputs.fields]\n'
    text += 'touchpoint_id = { id = "{Name}:{Sku}" }\nemail = "Email"\n'
    text += 'at = { const = "2026-01-01" }\nchannel = { const = "web" }\nkind = { const = "p" }\n'
    path.write_text(text)
    export = write(
        tmp_path, "o.csv", "Name,Email,Sku\n#1,a@x.org,S1\n#1,,S2\n#2,b@x.org,S3\n,,S4\n#1,,S5\n"
    )
    rows = apply_mapping(load_mapping(path), export)["touchpoints.csv"]
    assert rows[["touchpoint_id", "email"]].values.tolist() == [
        ["#1:S1", "a@x.org"],
        ["#1:S2", "a@x.org"],
        ["#2:S3", "b@x.org"],
        [":S4", ""],  # no order number: nothing to take from
        ["#1:S5", "a@x.org"],
    ]


def test_a_footer_is_skipped_only_when_its_pattern_is_seen(tmp_path: Path) -> None:
    body = (
        '[columns]\n"Id" = ""\n"Name" = ""\n[[outputs]]\nfile = "customers.csv"\n'
        '[outputs.fields]\ncustomer_id = "Id"\nname = "Name"\n'
    )
    export = write(
        tmp_path,
        "r.csv",
        'Id,Name\n1,Ann\n,,\n2,Bo\n\n"My report"\n"Confidential Information - Do Not Distribute"\n',
    )
    with_footer = load_mapping(mapping(tmp_path, body, head='footer = ["^Confidential"]\n'))
    mapped = map_export(with_footer, export)
    assert mapped.frames["customers.csv"]["customer_id"].tolist() == ["1", "2"]
    assert mapped.notes == [
        "r.csv: 2 footer line(s) skipped (lines 6-7)",
        "r.csv: 1 blank line(s) skipped",
    ]
    # without a pattern the same lines are records of the wrong width: each is rejected
    plain = map_export(load_mapping(mapping(tmp_path, body)), export)
    rows = plain.frames["customers.csv"]
    assert rows["customer_id"].tolist() == [
        "1",
        "2",
        "My report",
        "Confidential Information - Do Not Distribute",
    ]
    assert rows["_error"].tolist()[2:] == [
        "line 6 has 1 fields, the header has 2",
        "line 7 has 1 fields, the header has 2",
    ]


def test_explode_turns_each_item_of_a_list_into_a_row(tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "a.ndjson",
        json.dumps({"email": "A@x.org", "acts": [{"what": "open"}, {"what": "click"}]})
        + "\n"
        + json.dumps({"email": "b@x.org", "acts": []})
        + "\n",
    )
    path = mapping(
        tmp_path,
        '[columns]\n"email" = ""\n"acts.what" = ""\n[[outputs]]\nfile = "touchpoints.csv"\n'
        '[outputs.fields]\ntouchpoint_id = { id = "{email}:{acts.what}" }\nemail = "email"\n'
        'at = { const = "2026-01-01" }\nchannel = { const = "email" }\nkind = "acts.what"\n',
        head='explode = "acts"\n',
    )
    rows = apply_mapping(load_mapping(path), export)["touchpoints.csv"]
    assert rows[["touchpoint_id", "kind", "_origin"]].values.tolist() == [
        ["A@x.org:open", "open", "a.ndjson:1"],
        ["A@x.org:click", "click", "a.ndjson:1"],
    ]


def test_set_and_create_in_bundle_toml(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    write(
        bundle,
        "bundle.toml",
        '[[sources]]\nfile = "t.csv"\nmapping = "zendesk_tickets"\n'
        'set = { step_id = "first_contact" }\ncreate = ["departments", "journey_steps"]\n'
        'journey = "care"\n',
    )
    write(
        bundle,
        "t.csv",
        "Id,Requester id,Requester email,Group,Subject,Status,Created at\n"
        "1,u1,a@x.org,Customer Care,Hi,Open,2026-01-01 10:00:00\n"
        "2,u2,b@x.org,Billing,Bill,Open,2026-01-02 10:00:00\n",
    )
    write(bundle, "departments.csv", "department_id,name\nbilling,Billing team\n")
    mapped = map_bundle(bundle, existing=lambda label, keys: set())
    assert mapped.frames["touchpoints.csv"]["step_id"].tolist() == ["first_contact"] * 2
    assert mapped.frames["departments.csv"]["department_id"].tolist() == [
        "billing",
        "customer_care",
    ]
    steps = mapped.frames["journey_steps.csv"]
    assert steps[["step_id", "journey_id", "position"]].values.tolist() == [
        ["first_contact", "care", "1"]
    ]
    assert mapped.notes == [
        "t.csv: created 1 departments: customer_care",
        "t.csv: created journey care",
        "t.csv: created 1 journey steps: first_contact",
    ]
    # what the graph already holds is not created again
    held = map_bundle(bundle, existing=lambda label, keys: set(keys))
    assert "journey_steps.csv" not in held.frames
    assert held.notes == []


def test_a_set_naming_a_column_the_files_lack_is_one_line(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    write(
        bundle,
        "bundle.toml",
        '[[sources]]\nfile = "t.csv"\nmapping = "hubspot_contacts"\nset = { step_id = "x" }\n',
    )
    write(bundle, "t.csv", "Record ID,First Name,Last Name,Email\n1,A,B,a@x.org\n")
    with pytest.raises(MappingError) as caught:
        map_bundle(bundle)
    assert str(caught.value) == (
        f"{bundle / 'bundle.toml'}: sources[0]: set names ['step_id'], which no file of "
        "mapping hubspot_contacts has (customers.csv, consents.csv)"
    )


# --------------------------------------------------------------------------- mapping check


def test_mapping_check_shows_rows_unused_columns_and_rejects_writing_nothing(
    tmp_path: Path,
) -> None:
    export = EXPORTS / "shopify" / "orders_export_1.csv"
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(
        app, ["mapping", "check", "shopify_orders", str(export), "--rows", "2", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 4
    assert report["rows"] == {"touchpoints.csv": 5}
    first = report["samples"]["touchpoints.csv"][0]
    assert first["email"] == "HANNAH.PRICE@gmail.com"
    assert first["value"] == "49.98"
    assert first["at"] == "2026-07-01T08:15:00+01:00"
    second = report["samples"]["touchpoints.csv"][1]
    assert (second["text"], second["email"]) == ("Gift wrap", "HANNAH.PRICE@gmail.com")
    assert "Billing Street" in report["unused_columns"]
    assert "Lineitem sku" not in report["unused_columns"]
    raw = export.read_bytes().decode("utf-8-sig").split("\r\n")[6]
    assert report["rejects"] == [
        {
            "file": "touchpoints.csv",
            "line": 7,
            "reason": "not a number in value: 'twelve'",
            "raw": raw,
        }
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_mapping_check_in_a_terminal(tmp_path: Path) -> None:
    export = EXPORTS / "salesforce_report" / "report1733130000000.csv"
    result = runner.invoke(app, ["mapping", "check", "salesforce_contacts_report", str(export)])
    assert result.exit_code == 0, result.output
    assert "5 footer line(s) skipped (lines 7-11)" in result.stdout
    assert "no row breaks a row rule" in result.stdout
    assert "columns no field reads: none" in result.stdout


# --------------------------------------------------------------------------- reject text


def test_a_rejected_record_spanning_lines_is_given_whole(tmp_path: Path) -> None:
    from graph360.ingest.bundle import Reject
    from graph360.ingest.rejects import original_text, write_rejects

    write(tmp_path, "e.csv", 'Id,Note\r\n1,"two\r\nlines, ""quoted"""\r\n2,plain\r\n')
    spanning = Reject("touchpoints", 3, "bad", "converted", "e.csv:2")
    plain = Reject("touchpoints", 4, "bad", "converted", "e.csv:4")
    made = Reject("departments", 2, "bad", "converted", "e.csv:created")
    assert original_text(tmp_path, spanning) == '1,"two\r\nlines, ""quoted"""'
    assert original_text(tmp_path, plain) == "2,plain"
    assert original_text(tmp_path, made) is None
    out = tmp_path / "rejects.csv"
    write_rejects(out, [plain, spanning, made], tmp_path)
    import csv

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["raw"] for r in rows] == ["converted", '1,"two\r\nlines, ""quoted"""', "2,plain"]


def test_a_last_record_with_one_value_is_data_not_footer(tmp_path: Path) -> None:
    body = (
        '[columns]\n"Id" = ""\n"Name" = ""\n[[outputs]]\nfile = "customers.csv"\n'
        '[outputs.fields]\ncustomer_id = "Id"\nname = "Name"\n'
    )
    export = write(tmp_path, "r.csv", 'Id,Name\n1,Ann\n2,\n"Confidential Information"\n')
    mapped = map_export(load_mapping(mapping(tmp_path, body, head='footer = ["^Conf"]\n')), export)
    assert mapped.frames["customers.csv"]["customer_id"].tolist() == ["1", "2"]
    assert mapped.notes == ["r.csv: 1 footer line(s) skipped (line 4)"]


def test_split_strip_html_and_a_comparison_of_two_columns(tmp_path: Path) -> None:
    path = mapping(
        tmp_path,
        '[columns]\n"Id" = "id"\n"Ids" = "ids"\n"Author" = "a"\n"Body" = "html"\n'
        '[[outputs]]\nfile = "customers.csv"\n'
        'where = { column = "Ids", equals_column = "Author" }\n'
        '[outputs.fields]\ncustomer_id = { id = "{Id}-{Ids}" }\n'
        'name = { column = "Body", strip_html = true }\n',
        head='split = { column = "Ids", separator = ";" }\n',
    )
    export = write(
        tmp_path,
        "e.csv",
        'Id,Ids,Author,Body\n1, a ; b ;,b,"<p>Fish &amp; chips</p><p>two <b>lines</b></p>"\n'
        "2,,,<br>\n",
    )
    rows = apply_mapping(load_mapping(path), export)["customers.csv"]
    # "1" splits into a and b (the empty third value dropped); only b is the author; the row
    # with no ids stays once, its empty id equal to its empty author
    assert rows[["customer_id", "name", "_origin"]].values.tolist() == [
        ["1-b", "Fish & chips\ntwo lines", "e.csv:2"],
        ["2-", "", "e.csv:3"],
    ]


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ('split = { column = "Ids" }\n', "split must be a table with 'column' and 'separator'"),
        ('split = { column = "Nope", separator = ";" }\n', "split: reads a column not declared"),
        ('split = { column = "Ids", separator = "" }\n', "'separator' a non-empty string"),
    ],
)
def test_a_split_mistake_is_one_line(tmp_path: Path, head: str, message: str) -> None:
    body = '[columns]\n"Ids" = "ids"\n'
    body += '[[outputs]]\nfile = "customers.csv"\n[outputs.fields]\ncustomer_id = "Ids"\n'
    with pytest.raises(MappingError, match=re.escape(message)):
        load_mapping(mapping(tmp_path, body, head))


def test_explode_a_list_inside_a_struct(tmp_path: Path) -> None:
    path = mapping(
        tmp_path,
        '[columns]\n"id" = "x"\n"people.list.id" = "y"\n'
        '[[outputs]]\nfile = "customers.csv"\n'
        '[outputs.fields]\ncustomer_id = { id = "{id}:{people.list.id}" }\n',
        head='explode = "people.list"\n',
    )
    export = write(
        tmp_path,
        "e.ndjson",
        '{"id": "c1", "people": {"type": "list", "list": [{"id": "p1"}, {"id": "p2"}]}}\n'
        '{"id": "c2", "people": {"type": "list", "list": []}}\n',
    )
    rows = apply_mapping(load_mapping(path), export)["customers.csv"]
    assert rows[["customer_id", "_origin"]].values.tolist() == [
        ["c1:p1", "e.ndjson:1"],
        ["c1:p2", "e.ndjson:1"],
    ]
