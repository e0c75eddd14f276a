"""The survey tool: NPS and 5-point responses after tickets and reviews, and relationship NPS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph360.demo.shapes import _affine, _base36, _clock, _day_of, _email_case, _fmt, _pick, _times
from graph360.demo.shop import Shop
from graph360.demo.support import Support
from graph360.demo.vocabulary import HORIZON
from graph360.demo.world import World


class Surveys:
    """Collects every response at construction; ``poor`` says which ratings were poor."""

    def __init__(
        self,
        rng: np.random.Generator,
        world: World,
        shop: Shop,
        support: Support,
        counts: dict[str, int],
    ) -> None:
        self.rng, self.world, self.shop = rng, world, shop
        self.support, self.counts = support, counts
        self._surveys()

    def _surveys(self) -> None:
        rng = self.rng
        banks = {
            "nps": (
                [
                    "Paywall everywhere.\nI'll read elsewhere.",
                    "Cancelling was far too hard.",
                    "Three departments emailed me the same week.\nPlease talk to each other!",
                    "Too expensive for what it is.",
                    "The app logs me out every day.",
                ],
                [
                    "Good, but the app could be faster.",
                    "Too many emails lately.",
                    "Fine. Prices keep going up though.",
                    "Decent, a bit London-centric.",
                ],
                [
                    "Love the morning briefing.",
                    "Great journalism, worth every penny.",
                    "The puzzles keep me sane!",
                    "Best news app I have used.",
                    "Brilliant weekend edition.",
                ],
            ),
            "review": (
                [
                    "Delivery took two weeks and nobody replied to my emails.",
                    "The mug arrived chipped.\nThe box was crushed.",
                    "Not as described.",
                    "Still waiting for the second item.",
                ],
                [
                    "Nice, but pricey for what it is.",
                    "Fine. Packaging was excessive.",
                    "Good book, slow delivery.",
                ],
                [
                    "Quick delivery and lovely packaging.",
                    "A perfect present.",
                    "Beautiful print, framed it straight away.",
                    "Exactly as pictured.",
                ],
            ),
            "support": (
                [
                    "Support closed my ticket without fixing anything.",
                    "I was charged twice and it took a month to get a refund.",
                    "Had to explain the problem three times.\nNobody read my first message.",
                    "Still not fixed.",
                ],
                ["Sorted in the end, but it took a while.", "Polite, not very quick."],
                ["Fixed in minutes, thank you!", "Really helpful agent.", "Quick and friendly."],
            ),
        }
        rows: list[pd.DataFrame] = []

        # what unhappy people most often write about (issue 18: themes a person would
        # recognise): drawn from a generator of its own, so every other value of the demo
        # is what it was before these lines existed
        voiced = np.random.default_rng(int(rng.bit_generator.seed_seq.entropy or 0) + 18)
        themed = {
            "nps": [
                "The app crashes every time I open it.",
                "App crashed again and I lost my saved articles.",
                "The price went up again and nobody told me.",
                "Price rise on my renewal is far too steep.",
                "The paper is delivered late most mornings.",
            ],
            "review": [
                "My delivery arrived a week late.",
                "Late delivery, the parcel sat in a depot for days.",
                "Still waiting for my refund for the broken item.",
                "The refund took a month to arrive.",
            ],
            "support": [
                "Still waiting for my refund after three weeks.",
                "The app keeps crashing after the update.",
                "My delivery was late again and nobody could say why.",
                "Too expensive now the price has gone up.",
            ],
        }

        def comment(score: np.ndarray, scale: int, bank: str) -> np.ndarray:
            good, fair = (9, 7) if scale == 10 else (5, 3)
            band = np.where(score >= good, 2, np.where(score >= fair, 1, 0))
            texts = [_pick(rng, options, len(score)) for options in banks[bank]]
            out = np.choose(band, texts) if len(score) else np.zeros(0, dtype=object)
            out = np.where(rng.random(len(score)) < 0.3, "", out)
            # most unhappy comments, and some lukewarm ones, name a common complaint
            share = np.where(band == 0, 0.8, np.where(band == 1, 0.3, 0.0))
            swap = (out != "") & (voiced.random(len(score)) < share)
            lines = _pick(voiced, themed[bank], len(score))
            return np.where(swap, lines, out)

        def add(
            who: np.ndarray,
            at: np.ndarray,
            survey: str,
            qtype: str,
            score: np.ndarray,
            step: str,
            bank: str,
        ) -> None:
            ok = (at < HORIZON) & (self.world.contact_email.to_numpy()[who] != "")
            who, at, score = who[ok], at[ok], score[ok]
            collector = _pick(
                rng, ["Email invitation", "Web link", "In-app"], len(who), [0.75, 0.15, 0.1]
            )
            rows.append(
                pd.DataFrame(
                    {
                        "Survey": survey,
                        "Question Type": qtype,
                        "_t": at,
                        "Respondent Email": _email_case(
                            rng,
                            self.world.contact_email.iloc[who].reset_index(drop=True),
                            [0.9, 0.08, 0.02],
                        ),
                        "Score": score.astype(str),
                        "Comment": comment(score, 10 if qtype == "NPS" else 5, bank),
                        "Collector": collector,
                        "step": step,
                        "_who": who,
                    }
                )
            )

        # relationship NPS, two waves (no journey step)
        for wave in ("2025-11-04", "2026-05-05"):
            invited = np.flatnonzero(
                (self.world.contact_email != "").to_numpy()
                & (rng.random(self.world.n) < 0.15 * 0.4)
            )
            at = _times(rng, len(invited), "email", _day_of(wave), _day_of(wave) + 7)
            base = rng.choice(
                11,
                size=len(invited),
                p=[0.02, 0.02, 0.03, 0.03, 0.04, 0.06, 0.07, 0.13, 0.17, 0.2, 0.23],
            )
            add(invited, at, "Relationship NPS", "NPS", base, "", "nps")
        # post-purchase reviews (step review, the conflict step)
        who, at = self.shop.reviews
        score = rng.choice(5, size=len(who), p=[0.06, 0.07, 0.12, 0.3, 0.45]) + 1
        add(who, at, "Post-purchase review", "Rating 1-5", score, "review", "review")
        # support satisfaction (step support_survey), worse after a bad desk rating
        solved = np.flatnonzero(self.support.ticket_solved_at >= 0)
        pick = solved[rng.random(len(solved)) < 0.3]
        at = (
            self.support.ticket_solved_at[pick] // 86400 + rng.integers(1, 4, size=len(pick))
        ) * 86400 + _clock(rng, len(pick), "email")
        p_bad = [0.3, 0.3, 0.2, 0.12, 0.08]
        p_ok = [0.04, 0.06, 0.15, 0.35, 0.4]
        score = (
            np.where(
                self.support.ticket_bad[pick],
                rng.choice(5, size=len(pick), p=p_bad),
                rng.choice(5, size=len(pick), p=p_ok),
            )
            + 1
        )
        add(
            self.support.ticket_person[pick],
            at,
            "Support CSAT",
            "CSAT",
            score,
            "support_survey",
            "support",
        )

        frame = pd.concat(rows, ignore_index=True)
        frame = frame.sort_values("_t", kind="stable").reset_index(drop=True)
        frame.insert(
            0,
            "Response ID",
            "R_" + _base36(_affine(np.arange(len(frame)), 36**12, 1_000_003, 5_555), 12),
        )
        frame.insert(3, "Submitted At", _fmt(frame["_t"].to_numpy(), "dmy_hms"))
        scale = np.where(frame["Question Type"] == "NPS", 10, 5)
        score = frame["Score"].astype(int).to_numpy()
        poor = np.where(scale == 10, score <= 6, score <= 2)
        self.poor = (frame["_who"].to_numpy()[poor], frame["_t"].to_numpy()[poor])
        self.counts["poor_ratings"] = int(poor.sum())
        frame = frame.drop(columns=["_t", "_who"]).astype(str)
        planted = frame.iloc[[0, 0]].copy()
        planted["Response ID"] = ["R_PLANTED_NPS11", "R_PLANTED_CSAT0"]
        planted["Survey"] = ["Relationship NPS", "Support CSAT"]
        planted["Question Type"] = ["NPS", "Rating 1-5"]
        planted["Score"] = ["11", "0"]
        planted["Comment"] = ["Eleven out of ten!", ""]
        planted["step"] = ["", "support_survey"]
        position = len(frame) * 2 // 3
        self.surveys = pd.concat(
            [frame.iloc[:position], planted, frame.iloc[position:]], ignore_index=True
        )
