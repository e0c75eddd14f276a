"""The themes people raise in what they write: tickets, survey comments, mentions, reviews.

Definitions:

- **Texts in scope**: touchpoints with a text, filtered by journey (its steps), handling
  department, the customer's persona and segment, and period (``graph360.facts.voices``).
- **Themes**: TF-IDF (English stop words, words of letters, sublinear term frequency) and
  NMF (scikit-learn, ``init="nndsvda"``, a fixed seed, so the same texts give the same themes).
  Texts repeat (a canned comment, a bot's reply), so the model is fitted on the *distinct*
  texts, each row weighted by how often it occurs (rows scaled by the square root of the count:
  NMF's squared loss then counts a text once per occurrence), at most :data:`FIT_TEXTS`
  distinct texts drawn at random in proportion to their counts when there are more. The model
  is *finer* than the report: it has up to :data:`FINER` times as many themes as are asked for
  (at most one per :data:`TEXTS_PER_THEME` distinct texts, never fewer than asked), and the
  largest are shown. Fitted with exactly as many as shown, a small theme (a late delivery
  among many paused deliveries) is folded into a larger one that shares a word and is never
  seen. Every distinct text in scope is then assigned to the theme its TF-IDF vector projects
  on most (``X · Hᵀ``, one sparse product; NMF's own ``transform`` solves a problem per row and
  costs seconds per hundred thousand texts). Both are of unit length, so the projection is the
  cosine of the text and the theme; a text whose best cosine is below :data:`MIN_SIMILARITY`
  (it shares no term, or only a word of little weight, with every theme) is *unthemed* rather
  than counted in a theme it does not speak of.
- **Label**: the top three terms of the texts in the theme (their TF-IDF vectors summed, each
  text as often as it occurs); ``terms`` holds the top eight.
- **Volume**: texts (touchpoints) assigned to it; **share**: of the texts in scope.
- **Share negative**: of its texts with a sentiment (the source's, else the computed one), the
  share below VADER's negative cut-off (-0.05, ``graph360.ingest.sentiment``).
- **Trend**: texts per calendar month (UTC) of the touchpoint's time.
- **Steps / departments**: the journey steps and handling departments its texts occur at, most
  texts first (at most five each).
- **Examples**: the three distinct texts weighing most in the theme, masked for the caller
  (:meth:`ThemesReport.for_audience`; the analytic itself returns them as stored).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from graph360 import facts
from graph360.errors import InvalidRequestError
from graph360.facts.voices import Scope, Voices, read_voices
from graph360.model import NEGATIVE
from graph360.privacy import Audience
from graph360.store.base import GraphStore

__all__ = ["FIT_TEXTS", "Theme", "ThemesReport", "fit_themes", "label_of", "themes", "themes_of"]

#: At most this many distinct texts fit the model (the rest are assigned to its themes).
FIT_TEXTS = 20_000
#: The model has up to this many times the themes asked for; the largest are shown.
FINER = 2
#: Distinct texts fitted times themes fitted, at most: a finer model is fitted on fewer texts,
#: so the fit costs what ``FIT_TEXTS`` texts on eight themes cost (docs/DECISIONS.md).
FIT_BUDGET = FIT_TEXTS * 8
#: At most one fitted theme per this many distinct texts (and, for the themes behind another
#: figure, the mood, the feedback, one shown): a dozen texts split eight ways give eight
#: themes of one text each.
TEXTS_PER_THEME = 3
#: A text is in a theme when the cosine of its TF-IDF vector and the theme is at least this.
MIN_SIMILARITY = 0.2
#: Themes asked for at most.
MAX_THEMES = 30
#: Steps and departments shown per theme.
PLACES = 5
EXAMPLES = 3


@dataclass
class Theme:
    label: str
    terms: list[str]
    volume: int
    share: float
    share_negative: float | None
    with_sentiment: int
    trend: list[dict[str, Any]]  # {"month": "2026-01", "texts": n}
    steps: list[dict[str, Any]]  # {"step_id", "step", "texts"}
    departments: list[dict[str, Any]]  # {"department_id", "department", "texts"}
    examples: list[str]


@dataclass
class ThemesReport:
    texts: int  # texts in scope
    distinct_texts: int
    fitted_on: int  # distinct texts the model was fitted on
    unthemed: int  # texts sharing no term with any theme
    themes: list[Theme]
    journey: str | None = None
    department: str | None = None
    persona: str | None = None
    segment: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    as_of: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def for_audience(self, audience: Audience) -> ThemesReport:
        """The same report with its example texts as ``audience`` may see them."""
        shown = [
            Theme(**{**asdict(t), "examples": [audience.text(x) or "" for x in t.examples]})
            for t in self.themes
        ]
        return ThemesReport(**{**asdict(self), "themes": shown})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per theme (the CLI's table and CSV)."""
        return [
            {
                "theme": t.label,
                "texts": t.volume,
                "share": t.share,
                "negative": t.share_negative,
                "steps": "; ".join(s["step"] or s["step_id"] for s in t.steps),
                "departments": "; ".join(
                    d["department"] or d["department_id"] for d in t.departments
                ),
                "example": t.examples[0] if t.examples else "",
            }
            for t in self.themes
        ]


@dataclass
class FittedThemes:
    """Distinct texts' themes: ``theme[i]`` for text ``i`` (-1 unthemed), ``weight[i]`` its
    projection on that theme, and each theme's terms by weight."""

    theme: np.ndarray
    weight: np.ndarray
    terms: list[list[str]]
    fitted_on: int


def fit_themes(
    texts: list[str], counts: np.ndarray, n_themes: int, *, seed: int = 0
) -> FittedThemes:
    """Themes of ``texts`` (distinct), each occurring ``counts[i]`` times, from a model finer
    than the ``n_themes`` to be shown (see the module): the caller keeps the largest."""
    from scipy import sparse
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(texts)
    empty = FittedThemes(np.full(n, -1), np.zeros(n), [], 0)
    if n == 0:
        return empty
    rng = np.random.default_rng(seed)
    k = max(n_themes, min(FINER * n_themes, n // TEXTS_PER_THEME))
    size = min(FIT_TEXTS, FIT_BUDGET // k)
    if n > size:
        fit = np.sort(rng.choice(n, size=size, replace=False, p=counts / counts.sum()))
    else:
        fit = np.arange(n)
    vectorizer = TfidfVectorizer(
        stop_words="english",
        ngram_range=(1, 1),  # words: pairs make each wording of a complaint its own theme
        sublinear_tf=True,
        max_features=20_000,
        token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b",  # words of letters: no order numbers
    )
    try:
        x_fit = vectorizer.fit_transform([texts[i] for i in fit])
    except ValueError:  # no word left after the stop words: nothing to theme
        return empty
    k = max(1, min(k, x_fit.shape[0], x_fit.shape[1]))
    weighted = x_fit.multiply(np.sqrt(counts[fit])[:, None]).tocsr()
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=500)
    model.fit(weighted)
    components = model.components_
    vocabulary = vectorizer.get_feature_names_out()
    x_all = vectorizer.transform(texts)
    norms = np.linalg.norm(components, axis=1)
    norms[norms == 0] = 1.0
    projection = np.asarray(x_all @ (components / norms[:, None]).T)
    theme = projection.argmax(axis=1)
    weight = projection[np.arange(n), theme]
    theme = np.where(weight >= MIN_SIMILARITY, theme, -1)
    # a theme's terms are those of the texts in it, each counted as often as it occurs: the
    # component's own top terms can name texts that went to another theme or to none
    themed = np.flatnonzero(theme >= 0)
    members = sparse.csr_matrix(
        (counts[themed].astype(float), (theme[themed], themed)), shape=(len(components), n)
    )
    centroid = np.asarray((members @ x_all).todense())
    terms = [[str(vocabulary[i]) for i in np.argsort(-row)[:8] if row[i] > 0] for row in centroid]
    return FittedThemes(theme, weight, terms, len(fit))


def themes_of(
    v: Voices, rows: np.ndarray, top: int, *, per_text: bool = False
) -> tuple[np.ndarray, np.ndarray, FittedThemes]:
    """The themes of voices ``rows`` (each with a text): the distinct text codes used, each
    row's index into them, and the fitted themes of those distinct texts; ``per_text`` caps
    the themes at one per :data:`TEXTS_PER_THEME` distinct texts."""
    used, inverse, counts = np.unique(v.text[rows], return_inverse=True, return_counts=True)
    if per_text:
        top = max(1, min(top, len(used) // TEXTS_PER_THEME))
    return used, inverse, fit_themes([v.texts[i] for i in used], counts, top)


def label_of(terms: list[str]) -> str:
    """A theme's label: its top three terms."""
    return " / ".join(terms[:3])


def themes(
    store: GraphStore,
    *,
    journey: str | None = None,
    department: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    persona: str | None = None,
    segment: str | None = None,
    top: int = 8,
) -> ThemesReport:
    """The top ``top`` themes of the texts in scope (see the module for every definition).
    Raises NotFoundError for an unknown journey or department, InvalidRequestError for a
    ``top`` outside 1..30."""
    if not 1 <= top <= MAX_THEMES:
        raise InvalidRequestError(f"top must be between 1 and {MAX_THEMES}, not {top}")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    f = facts.current(store)
    v = read_voices(f)
    scope = Scope(journey, department, since, until, persona, segment)
    keep = scope.mask(f, v) & (v.text >= 0)
    rows = np.flatnonzero(keep)
    seconds["read"] = time.perf_counter() - started

    started = time.perf_counter()
    used, inverse, fitted = themes_of(v, rows, top)
    seconds["fit"] = time.perf_counter() - started

    started = time.perf_counter()
    theme_of_row = fitted.theme[inverse]
    report = ThemesReport(
        texts=len(rows),
        distinct_texts=len(used),
        fitted_on=fitted.fitted_on,
        unthemed=int((theme_of_row < 0).sum()),
        themes=[],
        journey=journey,
        department=department,
        persona=persona,
        segment=segment,
        since=since,
        until=until,
        as_of=f.as_of,
    )
    step_keys, step_names = f.keys("steps"), f.column("steps", "name")
    dept_keys, dept_names = f.keys("departments"), f.column("departments", "name")
    month_of = v.at[rows].astype("datetime64[us]").astype("datetime64[M]")
    sentiment = v.sentiment[rows]
    for k, terms in enumerate(fitted.terms):
        mine = theme_of_row == k
        volume = int(mine.sum())
        if not volume:
            continue
        said = sentiment[mine]
        said = said[~np.isnan(said)]
        texts_k = np.flatnonzero(fitted.theme == k)
        best = texts_k[np.argsort(-fitted.weight[texts_k], kind="stable")[:EXAMPLES]]
        month, per_month = np.unique(month_of[mine], return_counts=True)
        report.themes.append(
            Theme(
                label=label_of(terms),
                terms=terms,
                volume=volume,
                share=volume / len(rows),
                share_negative=float((said < NEGATIVE).mean()) if len(said) else None,
                with_sentiment=len(said),
                trend=[
                    {"month": str(m), "texts": int(n)}
                    for m, n in zip(month, per_month, strict=True)
                ],
                steps=_places(v.step[rows][mine], step_keys, step_names, "step"),
                departments=_places(v.department[rows][mine], dept_keys, dept_names, "department"),
                examples=[v.texts[used[i]] for i in best],
            )
        )
    report.themes.sort(key=lambda t: (-t.volume, t.label))
    report.themes = report.themes[:top]
    seconds["describe"] = time.perf_counter() - started
    report.seconds = {k: round(s, 3) for k, s in seconds.items()}
    return report


def _places(codes: np.ndarray, keys: np.ndarray, names: np.ndarray, what: str) -> list[dict]:
    """The most frequent places (steps or departments) among ``codes``, -1 left out."""
    codes = codes[codes >= 0]
    if not len(codes):
        return []
    found, n = np.unique(codes, return_counts=True)
    order = np.lexsort((keys[found].astype(str), -n))[:PLACES]
    return [
        {f"{what}_id": str(keys[found[i]]), what: names[found[i]], "texts": int(n[i])}
        for i in order
    ]
