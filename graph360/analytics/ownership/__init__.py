"""The ownership audit: which journey steps no department owns, who is stuck there, what it costs.

A journey step with no owning department is a place where customers arrive and nobody is
accountable for moving them on; a step with several owners is one where each department can
assume another is doing it. The audit finds both, measures the traffic and the customers at
each, and says who should probably own it, so the report can go straight to the department
heads.

Definitions (DESIGN.md §3, refined here):

- **Unowned step**: a JourneyStep with no OWNED_BY. **Conflict**: two or more owners. Both are
  **gaps**.
- **Traffic** at a step: every touchpoint AT_STEP it, all time: count, first and last time, per
  channel.
- **Customers** at a step: distinct customers with a touchpoint there.
- **Stuck** at a step: customers whose *current* step in its journey is this one — the step of
  their latest touchpoint in the journey, ties on time to the further step (higher position),
  as the 360 card's ``current_journey_steps`` says. A customer who finished the journey is
  "stuck" at its last step.
- **Value window**: the 365 days before ``as_of`` (``[as_of - 365 days, as_of)``), as the
  card's "purchases in the last 12 months".
- **Value at stake** at a step: the total value of the touchpoints in the value window that
  either belong to a customer stuck at the step (their purchases anywhere: the relationship at
  risk) or happened at the step (e.g. abandoned baskets, if the source gives them a value) —
  each touchpoint counted once. It is reported with its two parts, ``stuck_value`` (the stuck
  customers' purchases in the window) and ``step_value`` (the value of the touchpoints at the
  step in the window); ``value_at_stake = stuck_value + step_value - (stuck customers' own
  touchpoints at the step in the window)``. A touchpoint's missing value counts as 0. (In the
  demo only purchases carry a value: touchpoints at ``checkout`` and
  ``abandoned_checkout_follow_up`` have none, so there the value at stake is the stuck
  customers' purchases.)
- **Orphan touchpoints**: touchpoints mapped to no step, counted per channel and kind with their
  value (all time). They belong to no journey, so an audit of one journey leaves them out.
- **Likely owner** of a gap, in this order of evidence:

  1. the department that works the step: the one handling most of its touchpoints
     (HANDLED_BY; for a touchpoint nobody is recorded as handling, the department running its
     campaign);
  2. otherwise the owners of the nearest owned step before and after it in the journey: a
     department owning both wins, else the single owner of the step before (the department
     handing customers into the gap), else the single owner of the step after.

  For a conflict only the current owners are candidates (the point is to pick one of them).
  A tie in the evidence names no one. ``inferred_from`` says which evidence was used.

**One persona at a time**: with ``persona`` and/or ``segment`` every figure (traffic, customers,
stuck, value, handlers, orphans, mood) is over those customers' touchpoints only
(``graph360.facts.people``). **Coverage**: the data behind the steps, by source system, and the
customers only one system knows (``graph360.analytics.coverage``).
"""
