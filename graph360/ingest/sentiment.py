"""Sentiment computed for the touchpoints whose source gave text but no sentiment.

Why here, at load and ingest: a touchpoint's text does not change unless its row does, and
the loader already knows which rows are new or changed (their content hash,
``graph360.ingest.changes``). Scoring those rows as they are written means a reload of an
unchanged bundle scores nothing, and no analytic ever waits for a lexicon (docs/DECISIONS.md,
"Computed sentiment").

How: VADER (``vaderSentiment``), a lexicon and rules that ship inside the package, so nothing
is downloaded; its ``compound`` score is already on the -1..1 scale a source's ``sentiment``
uses. Texts repeat (a canned survey comment, "still waiting for my refund"), so each distinct
text is scored once. The score goes to its own property, ``sentiment_computed``, with
``sentiment_model`` naming what made it (:data:`MODEL`); a source's ``sentiment`` is never
written or overwritten. Readers take the source's value where there is one
(:func:`effective`).

Agreement with people's labels, measured on ``tests/data/sentiment_labelled.csv``
(``tests/test_sentiment.py`` prints and checks it), is in docs/DECISIONS.md.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from graph360.store.base import GraphStore

__all__ = [
    "MODEL",
    "NEGATIVE",
    "POSITIVE",
    "VOICE_KINDS",
    "annotate",
    "backfill",
    "effective",
    "label",
    "score",
]

#: What ``sentiment_model`` says of a computed score.
MODEL = f"vader {version('vaderSentiment')}"
#: VADER's own cut-offs for its compound score: below NEGATIVE is negative, above POSITIVE
#: positive, between them neutral. The analytics use the same ones for a source's sentiment.
NEGATIVE, POSITIVE = -0.05, 0.05
#: Touchpoint kinds whose text is what a person said or wrote: a ticket (one phoned in too: the
#: desk records the caller's request as its subject), a complaint, a survey comment, a review,
#: a social mention, a chat message. Other kinds carry text that is no one's voice (a page
#: title, a product name, a link): it is neither scored nor themed. A ``call`` is not a voice:
#: it leaves no words of the customer's own, and what a system holds of it is what the caller's
#: company typed (a CRM's subject line, "Business Sales call: Team licences outreach", the same
#: for every call of a campaign; an agent's sales notes), docs/DECISIONS.md.
VOICE_KINDS = (
    "ticket",
    "complaint",
    "survey",
    "nps",
    "csat",
    "review",
    "mention",
    "comment",
    "feedback",
    "message",
    "chat",
)


@lru_cache(maxsize=1)
def _analyzer() -> Any:  # vaderSentiment has no type hints
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(texts: pd.Series) -> pd.Series:
    """VADER's compound score (-1..1) of each text, each distinct text scored once; NaN for a
    missing or blank text."""
    present = texts.notna()
    out = pd.Series(np.nan, index=texts.index, dtype="float64")
    if not present.any():
        return out
    words = texts[present].astype(str)
    distinct = pd.unique(words.to_numpy(dtype=object))
    analyzer = _analyzer()
    scores = {
        text: analyzer.polarity_scores(text)["compound"] if text.strip() else np.nan
        for text in distinct
    }
    out[present] = words.map(scores).to_numpy(dtype="float64")
    return out


def annotate(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (touchpoint rows with ``kind``, ``text`` and ``sentiment``) with
    ``sentiment_computed`` and ``sentiment_model`` set for the rows of a voice kind
    (:data:`VOICE_KINDS`) with text and no source sentiment, null for the others;
    ``sentiment`` itself is left as it came."""
    if frame.empty or "text" not in frame:
        return frame.assign(sentiment_computed=np.nan, sentiment_model=None)
    given = frame["sentiment"] if "sentiment" in frame else pd.Series(np.nan, index=frame.index)
    wanted = given.isna() & frame["text"].notna() & frame["kind"].isin(VOICE_KINDS)
    computed = pd.Series(np.nan, index=frame.index, dtype="float64")
    if wanted.any():
        computed[wanted] = score(frame.loc[wanted, "text"])
    model = pd.Series(np.where(computed.notna(), MODEL, None), index=frame.index, dtype=object)
    return frame.assign(sentiment_computed=computed, sentiment_model=model)


#: Rows per UNWIND of ``sentiment_store`` on Neo4j.
STORE_BATCH = 5_000


def backfill(store: GraphStore) -> tuple[int, float]:
    """Score what a load before computed sentiment left unscored (``sentiment_pending``) and
    store it (``sentiment_store``), in one transaction, bumping the graph's version; how many
    texts were scored, and the seconds the scoring took. A second run finds nothing."""
    import time

    import pyarrow as pa

    from graph360 import facts

    pending = store.frame("sentiment_pending", kinds=list(VOICE_KINDS)).reindex(
        columns=["touchpoint_id", "kind", "text"]
    )
    started = time.perf_counter()
    scored = annotate(pending.assign(sentiment=np.nan))
    scored = scored[scored["sentiment_computed"].notna()]
    seconds = time.perf_counter() - started
    if scored.empty:
        return 0, seconds
    rows = pa.table(
        {
            "k": pa.array(scored["touchpoint_id"].astype(object), pa.string()),
            "v_score": pa.array(scored["sentiment_computed"], pa.float64()),
            "v_model": pa.array(scored["sentiment_model"].astype(object), pa.string()),
        }
    )
    with store.atomic():
        facts.bump_version(store)
        if store.backend == "ladybug":
            store.write("sentiment_store", rows=rows)
        else:
            named = rows.rename_columns(["touchpoint_id", "sentiment_computed", "sentiment_model"])
            for start in range(0, rows.num_rows, STORE_BATCH):
                store.write("sentiment_store", rows=named.slice(start, STORE_BATCH).to_pylist())
    return rows.num_rows, seconds


def effective(given: np.ndarray, computed: np.ndarray) -> np.ndarray:
    """The sentiment an analytic reads: the source's where it gave one, else the computed one
    (NaN where neither)."""
    return np.where(np.isnan(given), computed, given)


def label(values: np.ndarray) -> np.ndarray:
    """-1 negative, 0 neutral, 1 positive (VADER's cut-offs); 0 for NaN, so mask those first."""
    return np.where(values < NEGATIVE, -1, np.where(values > POSITIVE, 1, 0))
