"""Feedback after each interaction, per handling department or per agent.

"Make sure you're seeking customer feedback after each interaction. This can help you look at
individual agent performance." Definitions, over the touchpoints in the period that carry a
rating or a sentiment (the facts projection's voices), grouped by the department that handled
each one (HANDLED_BY) or by its ``agent_id`` (filled by the support-desk and call-centre
mappings):

- **volume**: those touchpoints; **ratings** and **sentiments**: how many carry each.
- **average rating**: the mean of rating / its scale (as the mood at each step), with a 95 %
  Student-t interval (none below two ratings); **share poor** (``routing.poor_rating``) with
  a 95 % Wilson interval (``scipy.stats.binomtest``).
- **average sentiment** (the source's, else the computed one) with its t interval, and
  **share negative** (below -0.05) with its Wilson interval.
- **worst themes**: of the unit's texts, the themes (one model over every voice text in the
  period, ``graph360.analytics.themes``: eight, at most one per three distinct texts) with at
  least :data:`MIN_THEME_TEXTS` texts, most negative first, at most three.

Units with fewer than ``min_volume`` touchpoints are left out (an interval over three ratings
says little); they are counted in ``left_out``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from graph360 import facts
from graph360.analytics.routing import poor_rating
from graph360.analytics.themes import label_of, themes_of
from graph360.errors import InvalidRequestError
from graph360.facts.voices import Scope, read_voices
from graph360.model import NEGATIVE
from graph360.store.base import GraphStore

__all__ = ["BY", "MIN_THEME_TEXTS", "FeedbackReport", "UnitFeedback", "feedback"]

BY = ("department", "agent")
MIN_THEME_TEXTS = 2
CONFIDENCE = 0.95
FEEDBACK_THEMES = 8


@dataclass
class UnitFeedback:
    unit: str
    name: str | None
    volume: int
    ratings: int
    average_rating: float | None
    rating_ci: list[float] | None
    share_poor: float | None
    poor_ci: list[float] | None
    sentiments: int
    average_sentiment: float | None
    sentiment_ci: list[float] | None
    share_negative: float | None
    negative_ci: list[float] | None
    worst_themes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FeedbackReport:
    by: str
    since: dt.datetime | None
    until: dt.datetime | None
    min_volume: int
    units: list[UnitFeedback]
    left_out: int
    without_unit: int  # touchpoints with feedback and no department (or agent)
    as_of: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per unit (tables, CSV)."""
        out = []
        for u in self.units:
            row = asdict(u)
            for name in ("rating_ci", "poor_ci", "sentiment_ci", "negative_ci"):
                interval = row.pop(name)
                row[f"{name}_low"], row[f"{name}_high"] = interval or (None, None)
            row["worst_themes"] = "; ".join(t["theme"] for t in u.worst_themes)
            out.append(row)
        return out


def _mean_ci(values: np.ndarray) -> tuple[float | None, list[float] | None]:
    if not len(values):
        return None, None
    mean = float(values.mean())
    if len(values) < 2:
        return mean, None
    half = stats.t.ppf((1 + CONFIDENCE) / 2, len(values) - 1) * stats.sem(values)
    if not np.isfinite(half):
        half = 0.0
    return mean, [mean - float(half), mean + float(half)]


def _share_ci(hits: int, n: int) -> tuple[float | None, list[float] | None]:
    if n == 0:
        return None, None
    interval = stats.binomtest(hits, n).proportion_ci(CONFIDENCE, method="wilson")
    return hits / n, [float(interval.low), float(interval.high)]


def feedback(
    store: GraphStore,
    *,
    by: str = "department",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_volume: int = 1,
    top: int = 50,
) -> FeedbackReport:
    """Feedback per department or agent (see the module), the ``top`` units by volume."""
    if by not in BY:
        raise InvalidRequestError(f"by must be one of {', '.join(BY)}, not {by!r}")
    if min_volume < 1 or not 1 <= top <= 1000:
        raise InvalidRequestError("min_volume must be at least 1 and top between 1 and 1000")
    f = facts.current(store)
    v = read_voices(f)
    in_scope = Scope(since=since, until=until).mask(f, v)
    said = ~np.isnan(v.sentiment)
    rated = ~np.isnan(v.rating)
    rows = np.flatnonzero(in_scope & (said | rated))
    if by == "department":
        unit, keys = v.department, [str(k) for k in f.keys("departments")]
        names = list(f.column("departments", "name"))
    else:
        unit, keys = v.agent, v.agents
        names = [None] * len(keys)
    placed = rows[unit[rows] >= 0]

    texts = np.flatnonzero(in_scope & (v.text >= 0))
    theme = np.full(len(v), -1, dtype=np.int64)
    labels: list[str] = []
    if len(texts):
        _, inverse, fitted = themes_of(v, texts, FEEDBACK_THEMES, per_text=True)
        theme[texts] = fitted.theme[inverse]
        labels = [label_of(t) for t in fitted.terms]

    order = np.argsort(unit[placed], kind="stable")
    placed = placed[order]
    groups, starts, counts = np.unique(unit[placed], return_index=True, return_counts=True)
    report = FeedbackReport(
        by=by,
        since=since,
        until=until,
        min_volume=min_volume,
        units=[],
        left_out=int((counts < min_volume).sum()),
        without_unit=len(rows) - len(placed),
        as_of=f.as_of,
    )
    for code, start, n in zip(groups, starts, counts, strict=True):
        if n < min_volume:
            continue
        mine = placed[start : start + n]
        r = mine[rated[mine]]
        share = v.rating[r] / np.where(np.isnan(v.rating_scale[r]), 5.0, v.rating_scale[r])
        average_rating, rating_ci = _mean_ci(share)
        poor = int(poor_rating(v.rating[r], v.rating_scale[r]).sum())
        share_poor, poor_ci = _share_ci(poor, len(r))
        s = v.sentiment[mine[said[mine]]]
        average_sentiment, sentiment_ci = _mean_ci(s)
        share_negative, negative_ci = _share_ci(int((s < NEGATIVE).sum()), len(s))
        report.units.append(
            UnitFeedback(
                unit=keys[code],
                name=names[code],
                volume=int(n),
                ratings=len(r),
                average_rating=average_rating,
                rating_ci=rating_ci,
                share_poor=share_poor,
                poor_ci=poor_ci,
                sentiments=len(s),
                average_sentiment=average_sentiment,
                sentiment_ci=sentiment_ci,
                share_negative=share_negative,
                negative_ci=negative_ci,
                worst_themes=_worst(theme[mine], v.sentiment[mine], labels),
            )
        )
    report.units.sort(key=lambda u: (-u.volume, u.unit))
    report.units = report.units[:top]
    return report


def _worst(theme: np.ndarray, sentiment: np.ndarray, labels: list[str]) -> list[dict[str, Any]]:
    """The unit's themes with at least MIN_THEME_TEXTS texts, most negative first (three)."""
    found = []
    for k in np.unique(theme[theme >= 0]):
        mine = theme == k
        said = sentiment[mine]
        said = said[~np.isnan(said)]
        if mine.sum() < MIN_THEME_TEXTS or not len(said):
            continue
        found.append(
            {
                "theme": labels[k],
                "texts": int(mine.sum()),
                "share_negative": float((said < NEGATIVE).mean()),
            }
        )
    found.sort(key=lambda t: (-t["share_negative"], -t["texts"], t["theme"]))
    return found[:3]
