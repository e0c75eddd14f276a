"""The support desk: tickets about orders and everything else, with their outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph360.demo.shapes import _email_case, _fmt, _pick, _s, _times, _typo
from graph360.demo.shop import Shop
from graph360.demo.vocabulary import (
    _BROKEN_SUBJECT,
    _SKU,
    DAYS,
    HORIZON,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_PHONES,
)
from graph360.demo.world import World


class Support:
    """Raises and settles every ticket at construction, some about the shop's deliveries."""

    def __init__(self, rng: np.random.Generator, world: World, shop: Shop) -> None:
        self.rng, self.world, self.shop = rng, world, shop
        self._support()

    def _support(self) -> None:
        rng, n = self.rng, self.world.n
        kinds = {
            "delivery": (
                ["Where is my order?", "Parcel arrived damaged", "Wrong item delivered"],
                "Customer Care",
                ["Replacement dispatched", "Courier traced, delivered next day", "Refund issued"],
            ),
            "billing": (
                ["Charged twice this month", "Refund request", "Card payment failing"],
                "Retail Sales",
                ["Duplicate charge refunded", "Refund issued", "Card details updated"],
            ),
            "account": (
                ["Can't log in", "Password reset email not arriving", "Change my email address"],
                "Customer Care",
                ["Password reset link resent", "Account email updated", "Login issue fixed"],
            ),
            "subscription": (
                [
                    "Cancel my subscription",
                    "Pause print delivery while on holiday",
                    "Upgrade to annual plan",
                ],
                "Retail Sales",
                ["Subscription cancelled", "Delivery paused", "Plan changed"],
            ),
            "editorial": (
                [
                    "Correction request: article error",
                    "Complaint about coverage",
                    "Letter to the editor",
                ],
                "Newsroom",
                [
                    "Correction published",
                    "Explained editorial policy",
                    "Passed to the letters editor",
                ],
            ),
            "app": (
                ["App crashes on launch", "Puzzles not loading", "Offline reading not working"],
                "Customer Care",
                ["Fixed in app update", "Cache cleared, working", "Known issue, workaround sent"],
            ),
            "business": (
                [
                    "Add seats to our team licence",
                    "Invoice for our licence",
                    "Remove a leaver from our licence",
                ],
                "Business Sales",
                ["Seats added", "Invoice resent", "Seat reassigned"],
            ),
        }
        kind_names = list(kinds)
        # order-related tickets
        delivered = np.flatnonzero(
            self.shop.order_delivered & (self.shop.order_first_physical >= 0)
        )
        issue = delivered[rng.random(len(delivered)) < 0.07]
        t_issue_lo = self.shop.order_fulfilled_at[issue] // 86400 + 1
        tickets_person = [self.shop.order_person[issue]]
        tickets_kind = [np.full(len(issue), "delivery", dtype=object)]
        tickets_lo = [t_issue_lo]
        tickets_hi = [t_issue_lo + 6]
        tickets_sku = [_SKU[self.shop.order_first_physical[issue]]]
        # general tickets, heavier for business contacts and shop customers
        lam = 0.1 + 0.08 * self.world.in_shop + 0.1 * self.world.business
        general = np.repeat(np.arange(n), rng.poisson(lam))
        forced = np.concatenate(
            [
                self.world.pools["sup_test"],
                self.world.pools["sup_none"],
                self.world.pools["sup_switch"],
            ]
        )
        general = np.concatenate([general, forced])
        g_kind = _pick(rng, kind_names[1:6], len(general), [0.25, 0.25, 0.25, 0.1, 0.15])
        g_kind = np.where(
            self.world.business[general] & (rng.random(len(general)) < 0.6), "business", g_kind
        )
        tickets_person.append(general)
        tickets_kind.append(g_kind)
        tickets_lo.append(np.zeros(len(general), dtype=np.int64))
        tickets_hi.append(np.full(len(general), DAYS))
        tickets_sku.append(np.full(len(general), "", dtype=object))
        who = np.concatenate(tickets_person)
        kind = np.concatenate(tickets_kind)
        lo, hi = np.concatenate(tickets_lo), np.concatenate(tickets_hi)
        sku = np.concatenate(tickets_sku)
        t = len(who)
        via = _pick(
            rng,
            [
                "Email",
                "Web form",
                "Chat",
                "Phone call (incoming)",
                "Twitter DM",
                "Facebook Messenger",
                "Mobile app",
            ],
            t,
            [0.33, 0.2, 0.15, 0.2, 0.05, 0.04, 0.03],
        )
        pattern = {
            "Email": "email",
            "Web form": "web",
            "Chat": "chat",
            "Phone call (incoming)": "phone",
            "Twitter DM": "social",
            "Facebook Messenger": "social",
            "Mobile app": "web",
        }
        created = np.zeros(t, dtype=np.int64)
        for v, ch in pattern.items():
            mask = via == v
            if mask.any():
                created[mask] = _times(rng, int(mask.sum()), ch, lo[mask], hi[mask])
        ok = created < HORIZON
        who, kind, created, via, sku = who[ok], kind[ok], created[ok], via[ok], sku[ok]
        order = np.argsort(created, kind="stable")
        who, kind, created, via, sku = (
            who[order],
            kind[order],
            created[order],
            via[order],
            sku[order],
        )
        t = len(who)
        recent = created > HORIZON - 10 * 86400
        status = _pick(
            rng,
            ["solved", "closed", "pending", "open", "hold", "new"],
            t,
            [0.66, 0.16, 0.06, 0.07, 0.02, 0.03],
        )
        status = np.where(
            recent & (rng.random(t) < 0.6), _pick(rng, ["new", "open", "pending"], t), status
        )
        fast = np.isin(via, ["Phone call (incoming)", "Chat"])
        reply_lag = np.where(
            fast, rng.integers(60, 900, size=t), rng.integers(1800, 30 * 3600, size=t)
        )
        reply_at = created + reply_lag
        solve_lag = np.where(
            fast & (rng.random(t) < 0.6),
            rng.integers(120, 1800, size=t),
            rng.integers(3600, 96 * 3600, size=t),
        )
        solved_at = reply_at + solve_lag
        solved = np.isin(status, ["solved", "closed"])
        status = np.where(solved & (solved_at >= HORIZON), "open", status)
        solved = np.isin(status, ["solved", "closed"])
        replied = (status != "new") & (reply_at < HORIZON)
        slow = solve_lag > 48 * 3600
        offered = solved & (rng.random(t) < 0.55)
        good = rng.random(t) < np.where(slow, 0.55, 0.85)
        score = np.where(
            offered,
            np.where(good, "good", np.where(rng.random(t) < 0.8, "bad", "offered")),
            "unoffered",
        )
        subject = np.array(
            [kinds[k][0][i % 3] for k, i in zip(kind, rng.integers(0, 3, size=t), strict=True)],
            dtype=object,
        )
        # the complaints people recognise (issue 18), from a generator of their own so every
        # other value of the demo stays as it was
        voiced = np.random.default_rng(int(rng.bit_generator.seed_seq.entropy or 0) + 19)
        themed = {
            "delivery": ["My delivery is late", "Late delivery, parcel still not here"],
            "billing": [
                "Refund still not received",
                "Where is my refund?",
                "Price went up without notice",
                "Why has my price increased?",
            ],
            "app": ["App crashes when I open an article", "App keeps crashing after update"],
        }
        for k, lines in themed.items():
            swap = (kind == k) & (voiced.random(t) < 0.5)
            subject = np.where(swap, _pick(voiced, lines, t), subject)
        # a newspaper's print readers write about their paper arriving late more than about
        # pausing it: most print-delivery tickets are that
        late = [
            "Newspaper delivered late again",
            "My paper arrives late every morning",
            "Print edition delivered late, after I left for work",
        ]
        swap = (subject == kinds["subscription"][0][1]) & (voiced.random(t) < 0.7)
        subject = np.where(swap, _pick(voiced, late, t), subject)
        group = np.array([kinds[k][1] for k in kind], dtype=object)
        resolution = np.array(
            [kinds[k][2][i % 3] for k, i in zip(kind, rng.integers(0, 3, size=t), strict=True)],
            dtype=object,
        )
        resolution = np.where(solved, resolution, "")

        # requester as the desk knows them
        email = _email_case(
            rng, self.world.contact_email.iloc[who].reset_index(drop=True), [0.6, 0.25, 0.15]
        )
        no_contact = (email == "").to_numpy()
        email = email.where(~no_contact, self.world.personal_email.iloc[who].reset_index(drop=True))
        alternate = rng.random(n) < 0.05
        alt_email = (
            self.world.first.str.lower().str.replace(r"[^a-z]", "", regex=True)
            + "."
            + self.world.last.str.lower().str.replace(r"[^a-z]", "", regex=True)
            + "."
            + _s(np.arange(n).astype(str))
            + "@mailbox.example.org"
        )
        email = email.where(~alternate[who], alt_email.iloc[who].reset_index(drop=True))
        for pool, value in (
            ("sup_test", PLACEHOLDER_EMAILS[0]),
            ("sup_none", PLACEHOLDER_EMAILS[1]),
        ):
            email = email.where(~np.isin(who, self.world.pools[pool]), value)
        has_phone = (rng.random(n) < 0.45) | alternate
        phone = self.world.phone(self.rng, who, ["parens", "national", "intl0"], [0.4, 0.4, 0.2])
        phone = phone.where(has_phone[who], "")
        phone = phone.where(~np.isin(who, self.world.pools["sup_switch"]), PLACEHOLDER_PHONES[1])
        requester = _typo(rng, self.world.first.iloc[who].reset_index(drop=True), 0.06)
        full = requester + " " + self.world.last.iloc[who].reset_index(drop=True)
        style = rng.random(t)
        requester = full.where(style > 0.08, requester)
        requester = requester.where(style > 0.03, full.str.lower())
        # one requester per person: the desk keeps the first way it learnt their details
        first_seen = pd.Series(np.arange(t)).groupby(who).transform("min").to_numpy()
        email, phone, requester = (s.to_numpy()[first_seen] for s in (email, phone, requester))

        self.tickets = pd.DataFrame(
            {
                "Id": (10001 + np.arange(t)).astype(str),
                "Requester id": self.world.sup_id.to_numpy()[who],
                "Requester": requester,
                "Requester email": email,
                "Requester phone": phone,
                "Created at": _fmt(created, "ymd_hms"),
                "Via": via,
                "Subject": subject,
                "Status": status,
                "Priority": _pick(
                    rng, ["low", "normal", "high", "urgent"], t, [0.2, 0.6, 0.15, 0.05]
                ),
                "Group": group,
                "Assignee": _pick(
                    rng, ["Priya Shah", "Tom Walsh", "Ewa Nowak", "Kwame Mensah", "Sian Rees"], t
                ),
                "Tags": _s(kind) + " " + _s(np.where(self.world.business[who], "b2b", "b2c")),
                "First reply at": _s(np.where(replied, _fmt(reply_at, "ymd_hms"), "")),
                "Solved at": _s(np.where(solved, _fmt(solved_at, "ymd_hms"), "")),
                "Satisfaction Score": score,
                "Satisfaction Comment": np.where(
                    score == "bad",
                    _pick(
                        rng,
                        ["Took far too long.", "Nobody read my first message.", "Still not fixed."],
                        t,
                    ),
                    "",
                ),
                "Resolution": resolution,
                "Product SKU": sku,
            }
        ).astype(str)
        self.ticket_person, self.ticket_solved_at = who, np.where(solved, solved_at, -1)
        self.ticket_bad = score == "bad"
        # planted: an impossible date and a line with an unquoted comma
        planted = self.tickets.iloc[[0, 0]].copy()
        planted["Id"] = ["9990001", "9990002"]
        planted["Created at"] = ["2026-02-30 09:12:00", "2026-03-02 10:05:00"]
        planted["Subject"] = ["Refund request", _BROKEN_SUBJECT]
        planted["Status"] = "new"
        planted["First reply at"] = ""
        planted["Solved at"] = ""
        planted["Satisfaction Score"] = "unoffered"
        planted["Satisfaction Comment"] = ""
        planted["Resolution"] = ""
        position = len(self.tickets) // 2
        self.tickets = pd.concat(
            [self.tickets.iloc[:position], planted, self.tickets.iloc[position:]], ignore_index=True
        )
