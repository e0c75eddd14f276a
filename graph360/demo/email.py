"""The e-mail platform: campaign sends, opens, clicks, unsubscribes and bounces, the welcome
series, and the phone campaigns' lists (canonical campaign_members.csv); email/activity.csv.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph360.demo.shapes import _clock, _day_of, _fmt, _pick
from graph360.demo.vocabulary import CAMPAIGNS, HORIZON, UNKNOWN_CAMPAIGN
from graph360.demo.world import World


class Email:
    """Sends every campaign at construction; the shop adds its abandoned-basket reminders
    through :meth:`events`, and :meth:`export` writes what the platform exports."""

    def __init__(self, rng: np.random.Generator, world: World, counts: dict[str, int]) -> None:
        self.rng, self.world, self.counts = rng, world, counts
        self._email_campaigns()

    def _audience(self, name: str) -> np.ndarray:
        n = self.world.n
        rules = {
            "news": self.world.news,
            "non_subscribers": ~self.world.subscriber,
            "food": self.world.food,
            "all": np.ones(n, dtype=bool),
            "buyers": self.world.in_shop,
            "business": self.world.business & self.world.in_crm,
            "garden": self.world.garden,
            "lapsed": self.world.lapsed,
            "hobby": self.world.garden | self.world.food | (self.rng.random(n) < 0.1),
            "subscribers": self.world.subscriber & ~self.world.lapsed,
        }
        return rules[name]

    def _email_campaigns(self) -> None:
        """Regular campaign sends, opens, clicks; phone campaign lists (canonical members)."""
        rng = self.rng
        self.esp_rows: list[dict[str, np.ndarray]] = []
        members = []
        self.phone_members: dict[str, np.ndarray] = {}
        for (
            cid,
            _name,
            channel,
            _dept,
            _obj,
            start,
            _end,
            audience,
            share,
            waves,
            hour,
        ) in CAMPAIGNS:
            if audience == "automation":
                continue
            pool = self._audience(audience) & (rng.random(self.world.n) < share)
            if channel == "phone":
                who = np.flatnonzero(pool & self.world.in_crm)
                self.phone_members[cid] = who
                source, customer = self.world.ref(who)
                listed = (_day_of(start) - rng.integers(2, 6, size=len(who))) * 86400 + 9 * 3600
                members.append(
                    pd.DataFrame(
                        {
                            "campaign_id": cid,
                            "source": source,
                            "customer_id": customer,
                            "email": "",
                            "added_at": _fmt(listed, "iso"),
                        }
                    )
                )
                continue
            who = np.flatnonzero(pool & self.world.subscribed)
            for wave in range(waves):
                day = _day_of(start) + 7 * wave
                sent = day * 86400 + hour * 3600 + rng.integers(0, 1800, size=len(who))
                self.events(who, cid, "", sent)
        self.welcome()
        self.campaign_members = pd.concat(members, ignore_index=True).astype(str)

    def welcome(self) -> None:
        who = np.flatnonzero(self.world.subscribed & (self.world.created >= 0))
        sent = (
            (self.world.created[who] // 86400 + 1) * 86400
            + 9 * 3600
            + self.rng.integers(0, 600, size=len(who))
        )
        keep = sent < HORIZON
        self.events(who[keep], "cmp_lc_welcome", "welcome", sent[keep])

    def events(self, who: np.ndarray, cid: str, automation: str, sent: np.ndarray) -> np.ndarray:
        """One send per person and the opens, clicks, unsubscribes and bounces it causes.

        Returns a boolean per send: was it clicked (abandoned baskets use it to recover).
        """
        rng = self.rng
        size = len(who)
        persona_open = {
            "News skimmer": 0.45,
            "Long-form reader": 0.4,
            "Hobbyist": 0.35,
            "Bargain hunter": 0.3,
            "Business professional": 0.25,
        }
        p_open = (
            np.array([persona_open[p] for p in self.world.persona[who]]) if size else np.zeros(0)
        )
        r = rng.random(size)
        bounce = r < 0.008
        opened = (~bounce) & (r < 0.008 + p_open)
        lag = rng.geometric(0.55, size=size) - 1
        open_at = (sent // 86400 + lag) * 86400 + _clock(rng, size, "email")
        open_at = np.where(open_at <= sent, open_at + 86400, open_at)  # read it the next morning
        clicked = opened & (rng.random(size) < 0.2)
        click_at = open_at + rng.integers(5, 300, size=size)
        unsub = opened & (rng.random(size) < 0.006)
        unsub_at = open_at + rng.integers(20, 600, size=size)
        device = _pick(rng, ["mobile", "desktop", "tablet"], size, [0.55, 0.38, 0.07])
        link = f"https://www.dailyledger.example.com/{cid.replace('_', '-')}"
        for mask, event, at in (
            (np.ones(size, dtype=bool), "sent", sent),
            (bounce, "bounce", sent + 5),
            (opened, "open", open_at),
            (clicked, "click", click_at),
            (unsub, "unsubscribe", unsub_at),
        ):
            mask = mask & (at < HORIZON)
            self.esp_rows.append(
                {
                    "who": who[mask],
                    "campaign": np.full(mask.sum(), cid, dtype=object),
                    "automation": np.full(mask.sum(), automation, dtype=object),
                    "event": np.full(mask.sum(), event, dtype=object),
                    "at": at[mask],
                    "link": np.full(mask.sum(), link if event == "click" else "", dtype=object),
                    "device": np.where(event in ("open", "click"), device[mask], ""),
                }
            )
        return clicked & (click_at < HORIZON)

    def export(self) -> pd.DataFrame:
        """email/activity.csv: every send and what it caused, as the platform exports them."""
        rows = {k: np.concatenate([r[k] for r in self.esp_rows]) for k in self.esp_rows[0]}
        who, at = rows["who"], rows["at"]
        ids = [c[0] for c in CAMPAIGNS]
        campaign = pd.Series(rows["campaign"]).map({c: i for i, c in enumerate(ids)}).to_numpy()
        # Nobody is mailed after unsubscribing: drop later sends and what followed them.
        unsub = rows["event"] == "unsubscribe"
        first_unsub = np.full(self.world.n, HORIZON, dtype=np.int64)
        np.minimum.at(first_unsub, who[unsub], at[unsub])
        send_key = campaign.astype(np.int64) * self.world.n + who
        late = (rows["event"] == "sent") & (at > first_unsub[who])
        keep = ~np.isin(send_key, send_key[late])
        events = ["sent", "bounce", "open", "click", "unsubscribe"]
        code = pd.Series(rows["event"]).map({e: i for i, e in enumerate(events)}).to_numpy()
        order = np.lexsort((code, who, campaign, at))
        order = order[keep[order]]
        who, at, campaign = who[order], at[order], campaign[order]
        names = np.array([c[1] for c in CAMPAIGNS], dtype=object)
        frame = pd.DataFrame(
            {
                "Email Address": self.world.esp_address.to_numpy()[who],
                "First Name": self.world.first.to_numpy()[who],
                "Last Name": self.world.last.to_numpy()[who],
                "Subscriber ID": self.world.esp_id.to_numpy()[who],
                "Campaign ID": np.array(ids, dtype=object)[campaign],
                "Campaign Title": names[campaign],
                "Automation": rows["automation"][order],
                "Event": rows["event"][order],
                "Event Time": _fmt(at, "ymd_hms").to_numpy(),
                "Link URL": rows["link"][order],
                "Device": rows["device"][order],
            }
        )
        planted = frame.iloc[:1].copy()
        planted["Campaign ID"] = UNKNOWN_CAMPAIGN
        planted["Campaign Title"] = "Spring 2024 (archived)"
        planted["Automation"] = ""
        planted["Event"] = "click"
        when = _day_of("2025-05-06") * 86400 + 8 * 3600 + 1234
        planted["Event Time"] = _fmt(np.array([when]), "ymd_hms").to_numpy()
        planted["Link URL"] = "https://www.dailyledger.example.com/spring-2024"
        planted["Device"] = "mobile"
        position = int(np.searchsorted(at, when, side="right"))
        self.counts["esp_unsubscribed"] = int(unsub.sum())
        return pd.concat([frame.iloc[:position], planted, frame.iloc[position:]], ignore_index=True)
