"""Are our divisions hitting the same people without sequencing? Overlap, collisions, cross-sell.

A **unit** is a department, or a division (the departments' ``division``; a department with
no division stands alone under its own name). Every measure here is computed for a period
``[since, until)`` (unbounded when not given; a date ``until`` includes its whole day) from
compact projections pulled with the ``overlap_*`` named queries (customer, department, time
rows), then by set algebra in numpy / scipy sparse: no loop over customers or touchpoints.

Definitions
-----------
**Reached.** A unit reached a customer in the period when

- a campaign the unit runs targets the customer (``(Campaign)-[:RUN_BY]->(Department)``,
  ``(Campaign)-[:TARGETS]->(Customer)``), the target placed in time by its ``added_at``, or by
  the campaign's ``started_at`` when ``added_at`` is empty; a target with neither date counts
  only when no period is asked for (it cannot be placed in one); or
- the customer had a touchpoint in the period (by ``at``) that the unit handled
  (``HANDLED_BY``) or that came from a campaign the unit runs (``FROM_CAMPAIGN``), unless the
  touchpoint did not reach anyone: kind ``bounce`` or outcome ``no_answer``
  (:data:`NOT_REACHED_KINDS`, :data:`NOT_REACHED_OUTCOMES`).

**Overlap.** For every pair of units A, B: the customers each reached, ``both`` = |A∩B|, the
Jaccard index both / (|A| + |B| - both) and the overlap coefficient both / min(|A|, |B|)
(``None`` when the denominator is 0), all from the incidence matrix R (customers by units):
the pairwise intersections are RᵀR. The **exclusive intersections**
(UpSet-style): for every combination of units, the customers reached by exactly that
combination and no other unit; every non-empty one, largest first.

**Contact.** A touchpoint that reached the person (as above) at its time ``at``, made by one
unit: the department that handled it, or, when no department handled it, the department
running its campaign. Being on a distribution list is *not* a contact (nothing reached the
person yet; the e-mail sent from the list is). Customer-initiated touchpoints a unit handled
(a support ticket, a reply) are contacts too: offering a sale to someone with a ticket open in
another unit is exactly the kind of clash to see.

**Contact collision.** A customer contacted by two different units at most ``window_hours``
apart (inclusive: 48 h apart collides, 48 h and one second does not). Per unit pair: the
colliding customers, how often each unit came first in the pair's closest encounter, and the
median closest gap. **Worst offenders**: customers ranked by the most distinct units inside
any window of that length, then the most contacts inside it; with that window's contacts.

**Suggested sequence.** For each colliding pair, one goes first and the other waits at least
the window. The first is the unit whose contacts get the clearly better **response rate**:
the share of its contacts in the period followed by a purchase of the same customer within
:data:`RESPONSE_DAYS` days (a purchase: kind ``purchase``, value > 0, outcome not cancelled,
refunded or voided); "clearly" means a two-proportion z-test at the 5% level (|z| >= 1.96),
so noise does not decide. Otherwise (no clear difference, no purchases at all) the unit that
usually came first in the pair's collisions goes first, keeping the habit but adding the
gap; then the unit name.

**Cross-sell candidates.** A unit's **buyers** are the customers who, before ``until``, held
an account the unit manages (``HOLDS``/``MANAGED_BY``) or made a purchase the unit handled or
that came from its campaign. A customer's **profile** is their (segment, persona, region)
cell. The unit's buyer rate in a cell, shrunk towards its overall buyer rate as if the cell
held :data:`PRIOR_CUSTOMERS` more customers buying at the overall rate, divided by the overall
rate, is the cell's **lift**; rates are over every customer in the graph, and an empty
property is a value of its own, ``(unknown)``. Candidates for unit U: customers reached in
the period by some other unit, who have not bought from U, whose cell's lift for U is above
``min_lift``; ranked by lift, then by their contacts in the period, then id. (Account holding
is what makes most buyers: in the demo, shop orders name no department, so only Retail Sales,
Business Sales and Magazines, which manage accounts, have buyers.)

**Consent.** The suggested sequence leaves out the colliding customers who refused e-mail
marketing, and the cross-sell candidates those who refused e-mail marketing or profiling
(:data:`graph360.consent.SUGGESTION_PURPOSES`); each answer says how many it left out
(``left_out_by_consent``). The pairs, intersections and offenders are facts, not suggestions:
they count everyone.
"""

from __future__ import annotations

from graph360.analytics.overlap.base import (
    NOT_REACHED_KINDS,
    NOT_REACHED_OUTCOMES,
    PRIOR_CUSTOMERS,
    PROFILE,
    RESPONSE_DAYS,
    VOID_OUTCOMES,
    Units,
    parse_when,
    units,
)
from graph360.analytics.overlap.collisions import Collisions, contact_collisions
from graph360.analytics.overlap.cross_sell import cross_sell_candidates
from graph360.analytics.overlap.reach import Reach, exclusive_intersections, pairwise_overlap, reach
from graph360.analytics.overlap.report import OverlapReport, overlap_report

__all__ = [
    "NOT_REACHED_KINDS",
    "NOT_REACHED_OUTCOMES",
    "PRIOR_CUSTOMERS",
    "PROFILE",
    "RESPONSE_DAYS",
    "VOID_OUTCOMES",
    "Collisions",
    "OverlapReport",
    "Reach",
    "Units",
    "contact_collisions",
    "cross_sell_candidates",
    "exclusive_intersections",
    "overlap_report",
    "pairwise_overlap",
    "parse_when",
    "reach",
    "units",
]
