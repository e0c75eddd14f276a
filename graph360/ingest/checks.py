"""Each canonical file's rules, in the order a load checks them: files that name no customer
first, then the customers, then the files that link to customers (through :class:`People`).
A row that breaks a rule is set aside with its reason; the rest are the checked frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from graph360 import consent, model
from graph360.ingest import identity, survivorship, validate
from graph360.ingest.bundle import RawFile, Reject
from graph360.ingest.people import People
from graph360.ingest.validate import Checker
from graph360.store.base import GraphStore


@dataclass
class Context:
    """What the checks of later files need from earlier ones and from the store."""

    store: GraphStore
    keys: dict[str, set[str]] = field(default_factory=dict)  # label -> keys known so far

    def known(self, label: str, values: pd.Series) -> set[str]:
        """Keys of ``label`` in the bundle so far or already in the store, among ``values``."""
        bundle = self.keys.get(label, set())
        wanted = pd.unique(values.dropna())
        outside = [v for v in wanted if v not in bundle]
        if not outside:
            return bundle
        found = self.store.existing_keys(label, pa.array(outside, pa.string()))
        return bundle | set(found.to_pylist())


def check_reference_files(
    raw: dict[str, RawFile], context: Context, rejects: list[Reject]
) -> dict[str, pd.DataFrame]:
    checked: dict[str, pd.DataFrame] = {}

    def run(name: str, label: str, key: str, rules: Callable[[Checker], None]) -> None:
        if name not in raw:
            return
        frame, typed_rejects = validate.typed(raw[name])
        rejects.extend(typed_rejects)
        checker = Checker(raw[name], frame)
        validate.unique_keys(checker, [key])
        rules(checker)
        kept, more = checker.split()
        rejects.extend(more)
        checked[name] = kept
        context.keys[label] = set(kept[key])

    def departments_known(column: str) -> Callable[[Checker], None]:
        def rule(checker: Checker) -> None:
            values = checker.frame[column]
            validate.known(checker, column, context.known("Department", values), "department")

        return rule

    run("departments", "Department", "department_id", lambda c: None)
    run("accounts", "Account", "account_id", departments_known("department_id"))
    run("products", "Product", "product_id", lambda c: None)
    run("journeys", "Journey", "journey_id", lambda c: None)

    def step_rules(checker: Checker) -> None:
        journeys = checker.frame["journey_id"]
        validate.known(checker, "journey_id", context.known("Journey", journeys), "journey")
        owners = checker.frame["owner_department_ids"].fillna("").str.split(";")
        listed = owners.explode().str.strip()
        listed = listed[listed != ""]
        known = context.known("Department", listed)
        unknown = listed[~listed.isin(known)]
        if len(unknown):
            names = unknown.groupby(level=0).agg(", ".join)
            mask = checker.frame.index.isin(names.index)
            checker.fail(
                mask,
                "unknown department in owner_department_ids: "
                + names.reindex(checker.frame.index).fillna(""),
            )

    run("journey_steps", "JourneyStep", "step_id", step_rules)
    run("campaigns", "Campaign", "campaign_id", departments_known("department_id"))
    return checked


def check_customers(raw: RawFile, rejects: list[Reject], region: str) -> pd.DataFrame:
    frame, typed_rejects = validate.typed(raw)
    rejects.extend(typed_rejects)
    checker = Checker(raw, frame)
    validate.unique_keys(checker, ["source", "customer_id"])
    emails, email_reasons = identity.normalize_emails(frame["email"])
    phones, phone_reasons = identity.normalize_phones(frame["phone"], frame["country"], region)
    checker.fail(email_reasons.notna(), email_reasons.fillna(""))
    checker.fail(phone_reasons.notna(), phone_reasons.fillna(""))
    signed = frame["identified_as"]
    checker.fail(
        signed.notna() & ~signed.fillna("").str.match(r"[^:]+:.+$").astype(bool),
        validate.quoting("identified_as is 'source:customer_id', not ", "identified_as"),
    )
    checker.frame = frame.assign(
        record_key=frame["source"] + ":" + frame["customer_id"],
        email_norm=emails,
        phone_norm=phones,
        attributes=validate.attributes(frame, raw.extra_columns),
    )
    kept, more = checker.split()
    rejects.extend(more)
    return kept


def check_customer_files(
    raw: dict[str, RawFile],
    context: Context,
    people: People,
    rejects: list[Reject],
    region: str,
) -> dict[str, pd.DataFrame]:
    checked: dict[str, pd.DataFrame] = {}

    def run(name: str, rules: Callable[[Checker], pd.DataFrame]) -> None:
        if name not in raw:
            return
        frame, typed_rejects = validate.typed(raw[name])
        rejects.extend(typed_rejects)
        checker = Checker(raw[name], frame)
        validate.unique_keys(checker, list(raw[name].spec.key))
        checker.frame = rules(checker)
        kept, more = checker.split()
        rejects.extend(more)
        checked[name] = kept

    def holdings(checker: Checker) -> pd.DataFrame:
        accounts = checker.frame["account_id"]
        validate.known(checker, "account_id", context.known("Account", accounts), "account")
        ids, records = people.customer_ids(checker, "source", "customer_id", None)
        return checker.frame.assign(__customer=ids, __record=records)

    def relationships(checker: Checker) -> pd.DataFrame:
        validate.one_of(checker, "kind", model.RELATIONSHIP_KINDS)
        weight = checker.frame["weight"]
        checker.fail(weight.notna() & (weight <= 0), "weight must be positive")
        source, source_record = people.customer_ids(checker, "source", "from_customer_id", None)
        target, target_record = people.customer_ids(checker, "source", "to_customer_id", None)
        checker.fail(
            source.notna() & (source == target),
            "relates a customer to themselves (both records are the same person)",
        )
        return checker.frame.assign(
            __from=source, __to=target, __from_record=source_record, __to_record=target_record
        )

    def members(checker: Checker) -> pd.DataFrame:
        campaigns = checker.frame["campaign_id"]
        validate.known(checker, "campaign_id", context.known("Campaign", campaigns), "campaign")
        ids, records = people.customer_ids(checker, "source", "customer_id", "email")
        return checker.frame.assign(__customer=ids, __record=records)

    def touchpoints(checker: Checker) -> pd.DataFrame:
        frame = checker.frame
        for column, label, what in (
            ("campaign_id", "Campaign", "campaign"),
            ("step_id", "JourneyStep", "journey step"),
            ("department_id", "Department", "department"),
            ("product_id", "Product", "product"),
        ):
            validate.known(checker, column, context.known(label, frame[column]), what)
        validate.ratings(checker)
        validate.in_range(checker, "sentiment", -1, 1)
        ids, records = people.customer_ids(checker, "source", "customer_id", "email")
        return frame.assign(
            __customer=ids,
            attributes=validate.attributes(frame, raw["touchpoints"].extra_columns),
            record_key=records,
        )

    def consents(checker: Checker) -> pd.DataFrame:
        validate.one_of(checker, "purpose", tuple(model.CONSENT_PURPOSES))
        validate.one_of(checker, "status", model.CONSENT_STATUSES)
        ids, _ = people.customer_ids(checker, "source", "customer_id", "email")
        return consent.stamp_keys(checker.frame.assign(__customer=ids))

    run("holdings", holdings)
    run("consents", consents)
    run("relationships", relationships)
    run("campaign_members", members)
    run("touchpoints", touchpoints)
    if "consents" in checked:  # one statement per person, purpose, channel and source
        checked["consents"] = consent.fold_statements(checked["consents"])
    return checked


def stamp_identities(customers: pd.DataFrame, people: People) -> pd.DataFrame:
    """Each record's customer and the rule and record that linked it (its IDENTIFIED_BY)."""
    found = people.resolution.table.reindex(customers["record_key"])
    return customers.assign(
        __customer=found["customer"].to_numpy(),
        __rule=found["rule"].to_numpy(),
        __via=found["via"].to_numpy(),
    )


def stamp_successors(steps: pd.DataFrame) -> pd.DataFrame:
    """Each step's successor in its journey (by position, then id): its NEXT."""
    ordered = steps.sort_values(["journey_id", "position", "step_id"])
    following = ordered.groupby("journey_id")["step_id"].shift(-1)
    return steps.assign(__next=following.reindex(steps.index))


def fold_customers(customers: pd.DataFrame, people: People) -> pd.DataFrame:
    """One row per customer the batch's records name, each field from its records
    (``survivorship.fold``)."""
    columns = ["__customer", "record_key", "email_norm", "phone_norm", "pseudo_id"]
    columns += ["identified_as", *model.CUSTOMER_FIELDS]
    records = customers[columns].rename(
        columns={"__customer": "customer_id", "email_norm": "email", "phone_norm": "phone"}
    )
    return survivorship.fold(records, people.resolution.blocked.keys())
