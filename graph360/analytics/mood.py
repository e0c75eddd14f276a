"""The mood at each journey step: how people rated it, how they sounded, what they raised.

Shown beside the funnel, the ownership audit and the journey view, so an unowned step with
angry customers stands out. Definitions, per step, over the touchpoints at the step (AT_STEP)
in the period:

- **ratings**: touchpoints with a rating; **average rating**: the mean of rating / its scale
  (5/5 and 10/10 are 1.0; a 1-5 rating of 3 is 0.6), so five- and ten-point scales average
  together; **share poor**: the share of ratings that are poor (at or below 2 of 5, 0-6 of
  10: ``routing.poor_rating``, the rules' own definition).
- **sentiments**: touchpoints with a sentiment, the source's or else the one computed at load
  (``graph360.ingest.sentiment``); **average sentiment** (-1..1) and **share negative** (below
  VADER's -0.05).
- **themes**: the labels of the step's most common themes (at most three, most texts first),
  from one theme model (``graph360.analytics.themes``) fitted on every voice text in the
  period, so a theme is the same theme at every step (eight themes, at most one per three
  distinct texts).

Everything is read from the facts projection (``graph360.facts``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from graph360 import facts
from graph360.analytics.routing import poor_rating
from graph360.analytics.themes import label_of, themes_of
from graph360.facts.tables import Facts
from graph360.facts.voices import Scope, read_voices
from graph360.model import NEGATIVE
from graph360.store.base import GraphStore

__all__ = ["MOOD_THEMES", "StepMood", "step_moods"]

#: Themes fitted for the mood (the step shows its top three of them).
MOOD_THEMES = 8
SHOWN_THEMES = 3


@dataclass
class StepMood:
    step_id: str
    ratings: int = 0
    average_rating: float | None = None
    share_poor: float | None = None
    sentiments: int = 0
    average_sentiment: float | None = None
    share_negative: float | None = None
    themes: list[str] = field(default_factory=list)

    def columns(self) -> dict[str, object]:
        """The mood as flat columns (a table, CSV)."""
        return {
            "ratings": self.ratings,
            "average_rating": self.average_rating,
            "share_poor": self.share_poor,
            "sentiments": self.sentiments,
            "average_sentiment": self.average_sentiment,
            "share_negative": self.share_negative,
            "themes": "; ".join(self.themes),
        }


def step_moods(
    store: GraphStore,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    projection: Facts | None = None,
) -> dict[str, StepMood]:
    """The mood of every step with a rating or a voice in ``[since, until)``, by step id
    (a step with neither has no entry). ``projection``: the caller's current facts, if it
    has them (asking for them again costs a count of the graph)."""
    f = projection or facts.current(store)
    step_keys = f.keys("steps")
    n_steps = len(step_keys)
    moods: dict[str, StepMood] = {}
    if n_steps == 0:
        return moods

    def mood(code: int) -> StepMood:
        key = str(step_keys[code])
        if key not in moods:
            moods[key] = StepMood(key)
        return moods[key]

    v = read_voices(f)  # every rated touchpoint is one
    in_scope = Scope(since=since, until=until).mask(f, v)
    rated = np.flatnonzero(in_scope & (v.step >= 0) & ~np.isnan(v.rating))
    step = v.step[rated]
    value, scale = v.rating[rated], v.rating_scale[rated]
    share = value / np.where(np.isnan(scale), 5.0, scale)
    poor = poor_rating(value, scale)
    count = np.bincount(step, minlength=n_steps)
    total = np.bincount(step, weights=share, minlength=n_steps)
    poor_n = np.bincount(step, weights=poor.astype(float), minlength=n_steps)
    for code in np.flatnonzero(count):
        m = mood(code)
        m.ratings = int(count[code])
        m.average_rating = float(total[code] / count[code])
        m.share_poor = float(poor_n[code] / count[code])

    # sentiment and themes
    said = np.flatnonzero(in_scope & (v.step >= 0) & ~np.isnan(v.sentiment))
    step = v.step[said]
    count = np.bincount(step, minlength=n_steps)
    total = np.bincount(step, weights=v.sentiment[said], minlength=n_steps)
    negative = np.bincount(
        step, weights=(v.sentiment[said] < NEGATIVE).astype(float), minlength=n_steps
    )
    for code in np.flatnonzero(count):
        m = mood(code)
        m.sentiments = int(count[code])
        m.average_sentiment = float(total[code] / count[code])
        m.share_negative = float(negative[code] / count[code])

    texts = np.flatnonzero(in_scope & (v.text >= 0))
    if len(texts):
        _, inverse, fitted = themes_of(v, texts, MOOD_THEMES, per_text=True)
        theme = fitted.theme[inverse]
        placed = (v.step[texts] >= 0) & (theme >= 0)
        pairs = v.step[texts][placed] * len(fitted.terms) + theme[placed]
        found, n = np.unique(pairs, return_counts=True)
        by_step: dict[int, list[tuple[int, int]]] = {}
        for pair, k in zip(found, n, strict=True):
            by_step.setdefault(int(pair // len(fitted.terms)), []).append(
                (int(k), int(pair % len(fitted.terms)))
            )
        for code, counted in by_step.items():
            labels = [label_of(fitted.terms[t]) for t in range(len(fitted.terms))]
            counted.sort(key=lambda kt: (-kt[0], labels[kt[1]]))
            mood(code).themes = [labels[t] for _, t in counted[:SHOWN_THEMES]]
    return moods
