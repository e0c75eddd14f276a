"""One persona or segment at a time: the facts projection as the chosen customers' facts.

"Start with one segment or persona and develop a simple journey map" (issue 18). Rather than
teach every analytic a filter, :meth:`People.restrict` gives a projection that holds only the
chosen customers' side of the graph: a pair table keeps a row when each of its Customer and
Touchpoint ends belongs to them (their touchpoints, and what hangs off those: steps,
departments, campaigns, products; their memberships, holdings and records; relationships
between two of them), and so do the voices and remarks. Node tables, and so every code, are
unchanged, so the funnel, the audit, the mood and the coverage read a restricted projection
exactly as they read the whole one, on the integer codes (never on id strings).

A persona or segment that no customer has is an empty scope, not an error (as ``themes``
has it): its funnel has no customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from graph360 import model
from graph360.facts.tables import NODE_TABLES, PAIR_TABLES, REMARKS, VOICES, Facts

__all__ = ["People"]


@dataclass(frozen=True)
class People:
    """Which customers an analytic reads: those of ``persona`` and in ``segment`` (None: any)."""

    persona: str | None = None
    segment: str | None = None

    def __bool__(self) -> bool:
        return self.persona is not None or self.segment is not None

    def customers(self, f: Facts) -> np.ndarray:
        """A boolean per customer code: whether the customer is chosen."""
        keep = np.ones(f.size("customers"), dtype=bool)
        for name, wanted in (("persona", self.persona), ("segment", self.segment)):
            if wanted is not None:
                keep &= f.column("customers", name) == wanted
        return keep

    def restrict(self, f: Facts) -> Facts:
        """``f`` as the chosen customers' facts (see the module); ``f`` itself when every
        customer is chosen."""
        if not self:
            return f
        chosen = self.customers(f)
        touchpoints = np.zeros(f.size("touchpoints"), dtype=bool)
        touchpoints[f.column("had", "target")[chosen[f.column("had", "source")]]] = True
        in_scope = {"Customer": chosen, "Touchpoint": touchpoints}
        tables = dict(f.tables)
        for name, (rel_type, _) in PAIR_TABLES.items():
            rel = model.relationship(rel_type)
            keep: np.ndarray | None = None
            for end, label in (("source", rel.source), ("target", rel.target)):
                if label in in_scope:
                    mine = in_scope[label][f.column(name, end)]
                    keep = mine if keep is None else keep & mine
            if keep is not None:
                tables[name] = f.tables[name].filter(pa.array(keep))
        for name in (REMARKS, VOICES):
            tables[name] = f.tables[name].filter(
                pa.array(touchpoints[f.column(name, "touchpoint")])
            )
        restricted = Facts(
            version=f.version,
            written_at=f.written_at,
            built_at=f.built_at,
            location=f.location,
            tables=tables,
            counts=f.counts,
            customers_in_scope=chosen,
            touchpoints_in_scope=touchpoints,
        )
        # the node tables are the same: what was decoded of them is shared, not decoded again
        restricted._columns.update({k: v for k, v in f._columns.items() if k[0] in NODE_TABLES})
        restricted._codes.update({k: v for k, v in f._codes.items() if k[0] in NODE_TABLES})
        restricted._ranks.update(f._ranks)
        return restricted
