"""What customers are not saying: voices nobody answered, and people going quiet.

"Most unhappy customers leave without providing feedback": two signals that need no
complaint. The rules, written once (:func:`unanswered_mask`, :func:`silent_churn_mask`) and
applied both to the whole graph (from the facts projection: ``graph360 silence``) and to one
customer (their own touchpoints: the 360 card's ``silence`` section):

- **Unanswered voice**: a public voice — a social ``mention`` or a ``review``
  (:data:`PUBLIC_KINDS`) — after which, within :data:`ANSWER_DAYS` days, the same customer
  has no answer: no touchpoint of an answering kind (:data:`ANSWER_KINDS`: a ticket, a reply, a
  resolution, a call, a chat) handled by a department (HANDLED_BY). A voice less than
  ``ANSWER_DAYS`` old with no answer yet counts: it is the one that can still be answered.
- **Silent churn risk**: a customer whose touchpoints in the last :data:`RECENT_DAYS` days
  before ``as_of`` fell to at most :data:`FALL` of their own average per ``RECENT_DAYS`` over
  the :data:`HISTORY_DAYS` days before that (at least :data:`MIN_HISTORY` touchpoints there,
  so a newcomer or an occasional customer is not "falling"), and who never complained up to
  ``as_of``: no ticket or complaint (``model.COMPLAINT_KINDS``), no poor rating
  (``routing.poor_rating``), no negative sentiment (the source's, else the computed one, below
  -0.05).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from graph360 import facts
from graph360.analytics.routing import poor_rating
from graph360.errors import InvalidRequestError
from graph360.facts.tables import VOICES, micros
from graph360.model import COMPLAINT_KINDS, NEGATIVE
from graph360.periods import utc_now
from graph360.privacy import Audience
from graph360.store.base import GraphStore

__all__ = [
    "ANSWER_DAYS",
    "ANSWER_KINDS",
    "PUBLIC_KINDS",
    "Silence",
    "customer_silence",
    "silence",
    "silent_churn_mask",
    "unanswered_mask",
]

PUBLIC_KINDS = ("mention", "review")
ANSWER_KINDS = ("ticket", "reply", "resolution", "call", "chat")
ANSWER_DAYS = 14
RECENT_DAYS = 90
HISTORY_DAYS = 360
FALL = 0.5
MIN_HISTORY = 8
_DAY = 86_400_000_000  # microseconds


def unanswered_mask(
    customer: np.ndarray, at: np.ndarray, voice: np.ndarray, answer: np.ndarray
) -> np.ndarray:
    """For rows (touchpoints) of ``customer`` at ``at`` (int64 microseconds), which of the
    ``voice`` rows have no ``answer`` row of the same customer in [at, at + ANSWER_DAYS]."""
    out = np.zeros(len(at), dtype=bool)
    voices = np.flatnonzero(voice)
    if not len(voices):
        return out
    answers = np.flatnonzero(answer)
    if not len(answers):
        out[voices] = True
        return out
    # one int64 key per row, (customer, time) in order: the first answer of the same
    # customer at or after a voice is one searchsorted
    # (in seconds: a million customers times decades of microseconds would not fit)
    seconds = at // 1_000_000
    stamps = np.concatenate([seconds[voices], seconds[answers]])
    low, span = int(stamps.min()), int(stamps.max() - stamps.min()) + 1

    def keyed(rows: np.ndarray) -> np.ndarray:
        return customer[rows].astype(np.int64) * span + (seconds[rows] - low)

    order = np.argsort(keyed(answers), kind="stable")
    a_customer, a_at = customer[answers][order], at[answers][order]
    first = np.searchsorted(keyed(answers)[order], keyed(voices), side="left")
    found = first < len(a_at)
    clipped = np.minimum(first, len(a_at) - 1)
    same = found & (a_customer[clipped] == customer[voices])
    soon = same & (a_at[clipped] <= at[voices] + ANSWER_DAYS * _DAY)
    out[voices] = ~soon
    return out


def silent_churn_mask(
    customer: np.ndarray, at: np.ndarray, complaint: np.ndarray, n_customers: int, as_of: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer code: (at risk, touchpoints in the recent window, average per window in
    the history), from rows of ``customer`` at ``at`` where ``complaint`` marks a complaint,
    a poor rating or a negative sentiment (see the module)."""
    recent_start = as_of - RECENT_DAYS * _DAY
    history_start = recent_start - HISTORY_DAYS * _DAY
    valid = customer >= 0
    recent = valid & (at >= recent_start) & (at < as_of)
    history = valid & (at >= history_start) & (at < recent_start)
    n_recent = np.bincount(customer[recent], minlength=n_customers)
    n_history = np.bincount(customer[history], minlength=n_customers)
    complained = np.zeros(n_customers, dtype=bool)
    complained[customer[valid & complaint & (at < as_of)]] = True
    baseline = n_history * (RECENT_DAYS / HISTORY_DAYS)
    risk = (n_history >= MIN_HISTORY) & (n_recent <= FALL * baseline) & ~complained
    return risk, n_recent, baseline


@dataclass
class Silence:
    as_of: dt.datetime
    unanswered: int  # voices
    public_voices: int
    unanswered_customers: int
    silent_churn: int  # customers
    voices: list[dict[str, Any]] = field(default_factory=list)  # the latest unanswered
    quiet: list[dict[str, Any]] = field(default_factory=list)  # the biggest falls
    rules: dict[str, Any] = field(default_factory=dict)
    graph_as_of: dict[str, Any] | None = None

    def for_audience(self, audience: Audience) -> Silence:
        """The same answer with the voices' texts as ``audience`` may see them."""
        shown = [{**v, "text": audience.text(v["text"])} for v in self.voices]
        return Silence(**{**asdict(self), "voices": shown})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rules() -> dict[str, Any]:
    return {
        "public_kinds": list(PUBLIC_KINDS),
        "answer_kinds": list(ANSWER_KINDS),
        "answer_days": ANSWER_DAYS,
        "recent_days": RECENT_DAYS,
        "history_days": HISTORY_DAYS,
        "fall": FALL,
        "min_history": MIN_HISTORY,
    }


def _complaint(kind: np.ndarray, rating: np.ndarray, scale: np.ndarray, said: np.ndarray):
    """Rows that are a complaint, a poor rating or a negative sentiment."""
    return kind | poor_rating(rating, scale) | (said < NEGATIVE)


def silence(store: GraphStore, *, as_of: dt.datetime | None = None, top: int = 20) -> Silence:
    """Both signals over the whole graph, with the ``top`` latest unanswered voices and the
    ``top`` customers whose engagement fell most (see the module)."""
    if not 0 <= top <= 1000:
        raise InvalidRequestError(f"top must be between 0 and 1000, not {top}")
    moment = as_of or utc_now()
    now = micros(moment)
    f = facts.current(store)
    n = f.size("touchpoints")
    customer = np.full(n, -1, dtype=np.int64)
    i, j = f.join(np.arange(n), "had", "target")
    customer[i] = f.column("had", "source")[j]
    at = f.column("touchpoints", "at")
    kinds, names = f.codes("touchpoints", "kind")

    def of_kind(wanted: tuple[str, ...]) -> np.ndarray:
        codes = [c for c, name in enumerate(names) if name in wanted]
        return np.isin(kinds, codes)

    handled = np.zeros(n, dtype=bool)
    handled[f.column("handled_by", "source")] = True
    voice = of_kind(PUBLIC_KINDS) & (customer >= 0) & (at < now)
    answer = of_kind(ANSWER_KINDS) & handled & (customer >= 0)
    open_ = unanswered_mask(customer, at, voice, answer)

    said = np.full(n, np.nan)
    said[f.column(VOICES, "touchpoint")] = f.column(VOICES, "sentiment")
    complaint = _complaint(
        of_kind(tuple(COMPLAINT_KINDS)),
        f.column("touchpoints", "rating"),
        f.column("touchpoints", "rating_scale"),
        said,
    )
    n_customers = f.size("customers")
    risk, recent, baseline = silent_churn_mask(customer, at, complaint, n_customers, now)

    keys = f.keys("customers")
    report = Silence(
        as_of=moment,
        unanswered=int(open_.sum()),
        public_voices=int(voice.sum()),
        unanswered_customers=len(np.unique(customer[open_])),
        silent_churn=int(risk.sum()),
        rules=_rules(),
        graph_as_of=f.as_of,
    )
    latest = np.flatnonzero(open_)
    latest = latest[np.argsort(-at[latest], kind="stable")[:top]]
    voice_rows = {int(c): r for r, c in enumerate(f.column(VOICES, "touchpoint"))}
    texts = f.column(VOICES, "text") if len(latest) else np.array([])
    key_of = f.column(VOICES, "key") if len(latest) else np.array([])
    for code in latest:
        row = voice_rows.get(int(code))
        report.voices.append(
            {
                "touchpoint_id": None if row is None else key_of[row],
                "customer_id": str(keys[customer[code]]),
                "at": _time(at[code]),
                "kind": names[kinds[code]],
                "text": None if row is None else texts[row],
            }
        )
    quiet = np.flatnonzero(risk)
    fall = baseline[quiet] - recent[quiet]
    for c in quiet[np.lexsort((keys[quiet].astype(str), -fall))][:top]:
        report.quiet.append(
            {
                "customer_id": str(keys[c]),
                "recent": int(recent[c]),
                "baseline": round(float(baseline[c]), 2),
            }
        )
    return report


def customer_silence(
    rows: list[dict[str, Any]], as_of: dt.datetime, audience: Audience
) -> dict[str, Any]:
    """The two signals for one customer, from their touchpoints (``customer_silence`` named
    query rows): their unanswered voices (latest three shown, masked for ``audience``) and
    whether they are a silent churn risk, with the figures behind it."""
    now = micros(as_of)
    n = len(rows)
    at = np.array([micros(r["at"]) for r in rows], dtype=np.int64)
    kind = np.array([r["kind"] for r in rows], dtype=object)
    customer = np.zeros(n, dtype=np.int64)
    voice = np.isin(kind, PUBLIC_KINDS) & (at < now) if n else np.zeros(0, bool)
    handled = np.array([r["handled"] for r in rows], dtype=bool)
    answer = np.isin(kind, ANSWER_KINDS) & handled if n else np.zeros(0, bool)
    open_ = unanswered_mask(customer, at, voice, answer)
    said = np.array(
        [r["sentiment"] if r["sentiment"] is not None else _nan(r["computed"]) for r in rows],
        dtype=float,
    )
    rating = np.array([_nan(r["rating"]) for r in rows], dtype=float)
    scale = np.array([_nan(r["rating_scale"]) for r in rows], dtype=float)
    complaint = _complaint(np.isin(kind, COMPLAINT_KINDS), rating, scale, said)
    risk, recent, baseline = silent_churn_mask(customer, at, complaint, 1, now)
    latest = np.flatnonzero(open_)
    latest = latest[np.argsort(-at[latest], kind="stable")[:3]]
    return {
        "unanswered_voices": int(open_.sum()),
        "latest_unanswered": [
            {
                "touchpoint_id": rows[i]["touchpoint_id"],
                "at": rows[i]["at"],
                "kind": rows[i]["kind"],
                "text": audience.text(rows[i]["text"]),
            }
            for i in latest
        ],
        "silent_churn_risk": bool(risk[0]),
        "recent_touchpoints": int(recent[0]),
        "usual_touchpoints": round(float(baseline[0]), 2),
    }


def _nan(value: Any) -> float:
    return np.nan if value is None else float(value)


def _time(micros: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(micros))
