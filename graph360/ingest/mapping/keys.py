"""The keys of the mapping format: every word a mapping or bundle manifest may use.

The format itself is described in :mod:`graph360.ingest.mapping.format`.
"""

from __future__ import annotations

import re

from graph360 import shipped

LOADERS_DIR = shipped.folder("loaders")
MANIFEST = "bundle.toml"

_VALUE_SOURCES = ("column", "const", "template", "coalesce", "id", "lookup")
#: The keys of a ``lookup`` field besides ``lookup`` itself (the column whose value is looked up).
LOOKUP_KEYS = ("file", "key", "value")
_TRANSFORMS = (
    "lower",
    "slug",
    "map",
    "default",
    "ignore_case",
    "date",
    "number",
    "decimal",
    "multiply_by",
    "digest",
    "epoch",
    "strip_html",
)
#: Every key a field table may hold.
FIELD_KEYS = (*_VALUE_SOURCES, *LOOKUP_KEYS, *_TRANSFORMS)
#: Every top-level key of a mapping file.
TOP_LEVEL_KEYS = (
    "name",
    "description",
    "source",
    "columns",
    "outputs",
    "optional_columns",
    "passthrough",
    "delimiter",
    "encoding",
    "timezone",
    "files",
    "footer",
    "fill_down",
    "skip_after_header",
    "explode",
    "split",
    "consent",
)
#: Every key of one ``[[outputs]]`` table.
OUTPUT_KEYS = ("file", "fields", "where", "distinct_on")
#: Every key of a ``fill_down`` table.
FILL_DOWN_KEYS = ("key", "columns")
#: Every key of a ``split`` table.
SPLIT_KEYS = ("column", "separator")
#: Units an ``epoch`` field reads: seconds, milliseconds, microseconds since 1970 (UTC).
EPOCH_UNITS = ("s", "ms", "us")
_TESTS = (
    "not_empty",
    "empty",
    "equals",
    "not_equals",
    "in",
    "not_in",
    "matches",
    "not_matches",
    "equals_column",
    "not_equals_column",
)
#: Every key of one ``where`` condition.
CONDITION_KEYS = ("column", "ignore_case", *_TESTS)

#: Every key of one ``[[consent]]`` table.
CONSENT_KEYS = frozenset({"purpose", "channel", "status", "at", "customer_id", "email", "where"})
#: Every top-level key of bundle.toml, and of one ``[[sources]]`` entry.
MANIFEST_KEYS = ("sources", "name", "description")
SOURCE_KEYS = ("file", "mapping", "source", "target", "timezone", "set", "create", "journey")
#: What ``create`` may make from the ids an export refers to: the file → the id column.
CREATABLE = {
    "departments": "department_id",
    "campaigns": "campaign_id",
    "products": "product_id",
    "journey_steps": "step_id",
}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_PSEUDO = frozenset({"_line", "_file", "_source"})
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%f", "%X", "%c", "%T", "%R")
