"""The CRM: its activity history (calls, meetings, social) and its contacts report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graph360.demo.email import Email
from graph360.demo.network import Network
from graph360.demo.shapes import (
    _base36,
    _clock,
    _day_of,
    _dmy,
    _email_case,
    _fmt,
    _pick,
    _s,
    _times,
    _typo,
)
from graph360.demo.shop import Shop
from graph360.demo.surveys import Surveys
from graph360.demo.vocabulary import (
    _COUNTRY_NAME,
    _DEPT_NAME,
    CAMPAIGNS,
    CITIES,
    HORIZON,
    LEAD_SOURCES,
    PLACEHOLDER_PHONES,
    UNKNOWN_CONTACT,
)
from graph360.demo.world import World


class Crm:
    """Logs every activity at construction (phone campaigns' calls, follow-ups of poor
    ratings); :meth:`contacts` writes the contacts report and records the typo'd duplicates."""

    def __init__(
        self,
        rng: np.random.Generator,
        world: World,
        network: Network,
        email: Email,
        shop: Shop,
        surveys: Surveys,
    ) -> None:
        self.rng, self.world, self.network = rng, world, network
        self.email, self.shop, self.surveys = email, shop, surveys
        self._activities()

    def _activities(self) -> None:
        rng = self.rng
        parts: list[pd.DataFrame] = []

        def add(
            who: np.ndarray,
            at: np.ndarray,
            kind: str,
            subject: Any,
            team: str,
            campaign: str = "",
            result: Any = "",
            minutes: Any = "",
            step: str = "",
            notes: Any = "",
        ) -> None:
            ok = (at < HORIZON) & (at >= 0) & self.world.in_crm[who]
            size = int(ok.sum())

            def cut(value: Any) -> Any:
                return np.asarray(value, dtype=object)[ok] if np.ndim(value) else value

            parts.append(
                pd.DataFrame(
                    {
                        "_t": at[ok],
                        "Contact ID": self.world.crm_id.to_numpy()[who[ok]],
                        "Type": kind,
                        "Subject": cut(subject),
                        "Team": team,
                        "Assigned To": _s(np.full(size, team + " desk ", dtype=object))
                        + _s(rng.integers(1, 4, size=size).astype(str)),
                        "Campaign ID": campaign,
                        "Call Result": cut(result),
                        "Duration (min)": cut(minutes),
                        "Journey Step": step,
                        "Comments": cut(notes),
                    }
                )
            )

        results = ["Connected", "Left voicemail", "No answer", "Meeting booked"]
        notes_bank = [
            "",
            "",
            "Asked to call back next week.",
            "Interested.\nSend pricing by email.",
            "Not the decision maker.\nTry the finance director.",
            "Happy with current plan.",
        ]
        for cid, _name, channel, dept, *_rest in CAMPAIGNS:
            if channel != "phone":
                continue
            who = self.email.phone_members[cid]
            start = next(c[5] for c in CAMPAIGNS if c[0] == cid)
            end = next(c[6] for c in CAMPAIGNS if c[0] == cid)
            at = _times(rng, len(who), "phone", _day_of(start), _day_of(end) + 1)
            result = _pick(rng, results, len(who), [0.45, 0.25, 0.2, 0.1])
            minutes = np.where(
                result == "Connected",
                rng.integers(3, 25, size=len(who)),
                np.where(result == "Meeting booked", rng.integers(10, 40, size=len(who)), 1),
            ).astype(str)
            notes = _pick(rng, notes_bank, len(who))
            subject = f"{_DEPT_NAME[dept]} call: {_name}"
            add(who, at, "Call", subject, _DEPT_NAME[dept], cid, result, minutes, "", notes)
            met = result == "Meeting booked"
            m_at = (at[met] // 86400 + rng.integers(3, 11, size=int(met.sum()))) * 86400 + _clock(
                rng, int(met.sum()), "office"
            )
            add(
                who[met],
                m_at,
                "Meeting",
                "Licence review meeting",
                _DEPT_NAME[dept],
                cid,
                "Held",
                "45",
            )
        # social engagement logged by the social-CRM integration (evenings)
        lam = np.where(np.arange(self.world.n) < 3, 25.0, 0.9 * (rng.random(self.world.n) < 0.35))
        social = np.repeat(np.arange(self.world.n), rng.poisson(lam))
        at = _times(rng, len(social), "social")
        subject = _pick(
            rng,
            [
                "Replied to @DailyLedger",
                "Shared an article",
                "Mentioned @DailyLedger",
                "Commented on a post",
                "Tagged @DailyLedger in a photo",
            ],
            len(social),
        )
        add(social, at, "Social", subject, "Brand")
        # follow-up calls after some poor ratings: nobody owns that step, so few happen
        who, when = self.surveys.poor
        pick = (rng.random(len(who)) < 0.25) & self.world.in_crm[who] & (when < HORIZON - 6 * 86400)
        if not pick.any():  # even the smallest demo shows the gap being worked around
            pick[np.flatnonzero(self.world.in_crm[who] & (when < HORIZON - 6 * 86400))[:1]] = True
        at = _times(rng, int(pick.sum()), "phone", when[pick] // 86400 + 1, when[pick] // 86400 + 5)
        add(
            who[pick],
            at,
            "Call",
            "Follow-up: poor survey score",
            "Customer Care",
            "",
            _pick(rng, results[:3], int(pick.sum())),
            "5",
            "poor_rating_follow_up",
            _pick(
                rng,
                ["", "Apologised, offered a month free.", "Customer still unhappy.\nEscalate?"],
                int(pick.sum()),
            ),
        )

        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values(["_t", "Contact ID"], kind="stable").reset_index(drop=True)
        frame.insert(0, "Activity ID", "00T5g" + _base36(np.arange(len(frame)) + 1, 10))
        frame.insert(4, "Activity Date", _fmt(frame["_t"].to_numpy(), "dmy_hm"))
        frame = frame.drop(columns="_t").astype(str)
        planted = frame.iloc[:1].copy()
        planted["Activity ID"] = "00T5gPLANTED01"
        planted["Contact ID"] = UNKNOWN_CONTACT
        planted["Type"] = "Call"
        planted["Subject"] = "Call about renewal"
        planted["Team"] = "Retail Sales"
        planted["Campaign ID"] = ""
        planted["Journey Step"] = ""
        planted["Comments"] = "Contact was deleted after this call."
        position = len(frame) // 4
        self.activities = pd.concat(
            [frame.iloc[:position], planted, frame.iloc[position:]], ignore_index=True
        )

    def contacts(self) -> pd.DataFrame:
        """crm/contacts.csv, the typo'd duplicates included (``crm_duplicates`` lists them)."""
        rng = self.rng
        who = np.flatnonzero(self.world.in_crm)
        dups = self.world.crm_dup
        rows = np.concatenate([who, dups])
        ids = np.concatenate(
            [
                self.world.crm_id.to_numpy()[who],
                ("0035g" + _base36(self.world.n + 1 + np.arange(len(dups)), 10)).to_numpy(),
            ]
        )
        dup = np.r_[np.zeros(len(who), dtype=bool), np.ones(len(dups), dtype=bool)]
        size = len(rows)
        first = self.world.first.iloc[rows].reset_index(drop=True)
        first = first.where(~dup, _typo(rng, first, 0.5))
        email = _email_case(
            rng, self.world.crm_email.iloc[rows].reset_index(drop=True), [0.6, 0.3, 0.1]
        )
        email = email.where(~(dup & (rng.random(size) < 0.3)), "")
        email = email.where(
            rows != 0, self.world.crm_email.iloc[0]
        )  # the documented address, as is
        phone = self.world.phone(self.rng, rows, ["intl", "national"], [0.5, 0.5])
        landline = self.world.landline[rows]
        mobile = phone.where(~landline, "")
        home = phone.where(landline, "")
        # A duplicate typed without its e-mail is typed without a phone too (from a paper
        # form): it shares no identifier with its original, only the name (often typo'd),
        # birth date, address, postcode and city: what probabilistic matching finds (issue 15).
        # No random draw, so every other figure of the demo stays as it was.
        paper = dup & (email == "").to_numpy()
        mobile = mobile.where(~paper, "")
        home = home.where(~paper, "")
        self.crm_duplicates = [
            {"original": original, "duplicate": copy, "identifier": not alone}
            for original, copy, alone in zip(
                self.world.crm_id.to_numpy()[rows[dup]], ids[dup], paper[dup], strict=True
            )
        ]
        zero = np.isin(rows, self.world.pools["crm_zero"]) & ~dup
        mobile = mobile.where(~zero, "")
        home = home.where(~zero, PLACEHOLDER_PHONES[0])
        created = np.where(
            dup,
            np.maximum(self.world.created[rows], 0) + rng.integers(1, 200, size=size) * 86400,
            self.world.created[rows],
        )
        created = np.minimum(created, HORIZON - 3600)
        country = np.array(
            [
                _COUNTRY_NAME[c][k % len(_COUNTRY_NAME[c])]
                for c, k in zip(
                    self.world.country[rows],
                    rng.choice(8, size=size, p=[0.55, 0.15, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03]),
                    strict=True,
                )
            ],
            dtype=object,
        )
        gender = (
            pd.Series(self.world.gender[rows])
            .map({"F": "Female", "M": "Male", "X": "Non-binary"})
            .to_numpy(dtype=object)
        )
        gender = np.where(rng.random(size) < 0.06, "Prefer not to say", gender)
        gender = np.where(
            rng.random(size) < 0.1,
            pd.Series(self.world.gender[rows])
            .map({"F": "F", "M": "M", "X": ""})
            .to_numpy(dtype=object),
            gender,
        )
        lead = _pick(rng, LEAD_SOURCES, size, [0.4, 0.25, 0.1, 0.1, 0.15])
        lead = np.where(self.network.referred_mask[rows], "Referral", lead)
        stage = np.where(
            self.world.subscriber[rows] | (self.shop.n_orders[rows] > 0),
            "Customer",
            np.where(self.world.subscribed[rows], "Subscriber", "Lead"),
        )
        stage = np.where(np.isin(rows, [0, 1, 2]), "Evangelist", stage)
        frame = pd.DataFrame(
            {
                "Contact ID": ids,
                "Salutation": np.where(
                    self.world.gender[rows] == "F",
                    "Ms",
                    np.where(self.world.gender[rows] == "M", "Mr", "Mx"),
                ),
                "First Name": first,
                "Last Name": self.world.last.iloc[rows].reset_index(drop=True),
                "Email": email,
                "Phone": home,
                "Mobile": mobile,
                "Mailing Street": self.world.street.iloc[rows].reset_index(drop=True),
                "Mailing City": [CITIES[c][0] for c in self.world.city[rows]],
                "Mailing State/Province": [CITIES[c][1] for c in self.world.city[rows]],
                "Mailing Zip/Postal Code": self.world.postcode.iloc[rows].reset_index(drop=True),
                "Mailing Country": country,
                "Gender": gender,
                "Birthdate": _dmy(self.world.birth[rows]),
                "Account Name": self.world.company_name.iloc[rows].reset_index(drop=True),
                "Title": np.where(
                    self.world.business[rows],
                    _pick(
                        rng,
                        [
                            "Director",
                            "Head of Operations",
                            "Analyst",
                            "Office Manager",
                            "Partner",
                            "Engineer",
                        ],
                        size,
                    ),
                    "",
                ),
                "Lead Source": lead,
                "Lifecycle Stage": stage,
                "Customer Segment": self.world.segment[rows],
                "Persona": self.world.persona[rows],
                "Contact Owner": _pick(
                    rng,
                    ["Retail Sales Queue", "Business Sales Queue", "Lifecycle CRM"],
                    size,
                    [0.6, 0.2, 0.2],
                ),
                "Email Opt Out": np.where(self.world.subscribed[rows], "0", "1"),
                "Created Date": _fmt(created, "dmy_hm"),
                "_t": created,
            }
        )
        frame = frame.sort_values(["_t", "Contact ID"], kind="stable")
        return frame.drop(columns="_t").reset_index(drop=True).astype(str)
