"""The online shop and the web analytics: orders one row per line item, reviews, the web
events of logged-in visitors, and the shop's customer accounts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graph360.demo.email import Email
from graph360.demo.network import Network
from graph360.demo.shapes import (
    _affine,
    _clock,
    _digits,
    _email_case,
    _fmt,
    _pick,
    _s,
    _times,
    _typo,
)
from graph360.demo.vocabulary import (
    _BUNDLE_NAMES,
    _PHYSICAL,
    _PRICE,
    _PRODUCT_NAME,
    _SKU,
    _SKU_INDEX,
    BUNDLES,
    CITIES,
    HORIZON,
)
from graph360.demo.world import World


class Shop:
    """Runs every purchase episode at construction (browse, view, basket, checkout, payment,
    delivery, review; abandoned baskets reminded by e-mail); :meth:`export` writes the shop's
    customer accounts."""

    def __init__(
        self,
        rng: np.random.Generator,
        world: World,
        network: Network,
        email: Email,
        counts: dict[str, int],
    ) -> None:
        self.rng, self.world, self.network = rng, world, network
        self.email, self.counts = email, counts
        self._shopping()

    def _bundle_for(self, who: np.ndarray) -> np.ndarray:
        """A bundle per shopping episode, chosen by the person's interests."""
        rng = self.rng
        interest = {
            "kitchen": self.world.food,
            "puzzles": self.world.puzzles,
            "walking": self.world.walking,
            "gardening": self.world.garden,
            "archive": self.world.history,
            "subscription": ~self.world.subscriber,
            "print": self.world.news,
            "gifts": np.ones(self.world.n, dtype=bool),
            "events": self.world.news,
        }
        weights = np.stack([0.15 + 2.0 * interest[b][who] for b in _BUNDLE_NAMES], axis=1)
        cum = np.cumsum(weights, axis=1)
        u = rng.random(len(who)) * cum[:, -1]
        return (cum < u[:, None]).sum(axis=1)

    def _bundle_items(self, bundle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Order lines: (episode index, product index); the lead item plus co-purchases."""
        rng = self.rng
        ep, prod = (
            [np.arange(len(bundle))],
            [np.array([_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[b]][0]] for b in bundle], dtype=np.int64)],
        )
        for slot in range(1, 4):
            has = np.array([len(BUNDLES[_BUNDLE_NAMES[b]]) > slot for b in bundle], dtype=bool)
            take = has & (rng.random(len(bundle)) < 0.45)
            idx = np.flatnonzero(take)
            ep.append(idx)
            prod.append(
                np.array(
                    [_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[bundle[i]]][slot]] for i in idx],
                    dtype=np.int64,
                )
            )
        extra = np.flatnonzero(rng.random(len(bundle)) < 0.08)
        ep.append(extra)
        prod.append(rng.integers(0, len(_SKU), size=len(extra)))
        ep_a, prod_a = np.concatenate(ep), np.concatenate(prod)
        frame = pd.DataFrame({"ep": ep_a, "prod": prod_a}).drop_duplicates()
        frame = frame.sort_values(["ep"], kind="stable")
        return frame["ep"].to_numpy(), frame["prod"].to_numpy()

    def _shopping(self) -> None:
        rng, n = self.rng, self.world.n
        shoppers = np.flatnonzero(self.world.in_shop)
        lam = np.where(self.world.persona[shoppers] == "Bargain hunter", 2.0, 1.0)
        lam = np.where(self.world.persona[shoppers] == "Hobbyist", 1.5, lam)
        count = rng.poisson(lam)
        person = np.repeat(shoppers, count)
        e = len(person)
        t0 = _times(rng, e, "web", season=True)
        bundle = self._bundle_for(person)
        lead = np.array([_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[b]][0]] for b in bundle], dtype=np.int64)
        second = np.array(
            [_SKU_INDEX[BUNDLES[_BUNDLE_NAMES[b]][1]] for b in bundle], dtype=np.int64
        )
        view = rng.random(e) < 0.78
        cart = view & (rng.random(e) < 0.5)
        checkout = cart & (rng.random(e) < 0.68)
        pay = checkout & (rng.random(e) < 0.72)
        session = np.arange(e) + 1_000_001
        web: list[dict[str, Any]] = []

        def add(
            mask: np.ndarray, event: str, at: np.ndarray, item: np.ndarray | None, page: str
        ) -> None:
            idx = np.flatnonzero(mask & (at < HORIZON))
            items = _SKU[item[idx]] if item is not None else np.full(len(idx), "", dtype=object)
            web.append({"ep": idx, "event": event, "at": at[idx], "item": items, "page": page})

        pages = rng.choice(3, size=e, p=[0.5, 0.35, 0.15]) + 1
        add(np.ones(e, dtype=bool), "page_view", t0, None, "home")
        add(pages >= 2, "page_view", t0 + 40, None, "category")
        add(pages >= 3, "page_view", t0 + 95, None, "offers")
        t_view = t0 + 120 + rng.integers(0, 240, size=e)
        t_view2 = t_view + 30 + rng.integers(0, 90, size=e)
        t_cart = t_view2 + 20 + rng.integers(0, 200, size=e)
        swap = cart & (rng.random(e) < 0.05)  # added from a listing page, viewed afterwards
        t_view, t_cart = np.where(swap, t_cart, t_view), np.where(swap, t_view, t_cart)
        self.counts["episodes_out_of_order"] = int(swap.sum())
        t_check = np.maximum(t_cart, t_view2) + 30 + rng.integers(0, 300, size=e)
        t_order = t_check + 60 + rng.integers(0, 540, size=e)
        add(view, "view_item", t_view, lead, "product")
        add(view & (rng.random(e) < 0.5), "view_item", t_view2, second, "product")
        add(cart, "add_to_cart", t_cart, lead, "cart")
        add(checkout, "begin_checkout", t_check, None, "checkout")
        add(rng.random(e) < 0.15, "search", t0 + 15, None, "search")
        add(rng.random(e) < 0.3, "login", t0 + 5, None, "account")

        # abandoned baskets: an automated reminder to subscribers; some come back and pay
        abandoned = cart & ~pay
        remind = abandoned & self.world.subscribed[person]
        t_basket = np.maximum(t_cart, np.where(checkout, t_check, 0))
        t_remind = t_basket + rng.integers(3600, 20 * 3600, size=e)
        remind &= t_remind < HORIZON
        idx = np.flatnonzero(remind)
        clicked = self.email.events(
            person[idx], "cmp_lc_abandoned", "abandoned_cart", t_remind[idx]
        )
        recovered = np.zeros(e, dtype=bool)
        comeback = np.where(clicked, rng.random(len(idx)) < 0.6, rng.random(len(idx)) < 0.08)
        recovered[idx[comeback]] = True
        t_recover = t_remind + rng.integers(1, 3, size=e) * 86400 + rng.integers(0, 7200, size=e)
        self.counts["baskets_abandoned"] = int(abandoned.sum())
        self.counts["baskets_recovered"] = int(recovered.sum())

        # articles: logged-in reading on the news site (orphan touchpoints)
        readers = np.repeat(shoppers, rng.poisson(1.0, size=len(shoppers)))
        r = len(readers)
        t_read = _times(rng, r, "web")
        read_session = np.arange(r) + 5_000_001
        reads = rng.choice(3, size=r, p=[0.55, 0.3, 0.15]) + 1

        # orders: paid episodes, recovered baskets, in-store and app orders, guest checkouts
        ordered = pay | recovered
        o_person = [person[ordered]]
        o_time = [np.where(pay, t_order, t_recover)[ordered]]
        o_bundle = [bundle[ordered]]
        o_channel = [np.full(ordered.sum(), "web", dtype=object)]
        o_guest = [np.zeros(ordered.sum(), dtype=bool)]
        store = np.repeat(shoppers, rng.poisson(0.25, size=len(shoppers)))
        o_person.append(store)
        o_time.append(_times(rng, len(store), "store", season=True))
        o_bundle.append(self._bundle_for(store))
        o_channel.append(_pick(rng, ["pos", "iphone", "android"], len(store), [0.6, 0.25, 0.15]))
        o_guest.append(np.zeros(len(store), dtype=bool))
        guests = np.flatnonzero(
            ~self.world.in_shop
            & (self.world.contact_email != "").to_numpy()
            & (rng.random(n) < 0.12)
        )
        o_person.append(guests)
        o_time.append(_times(rng, len(guests), "web", season=True))
        o_bundle.append(self._bundle_for(guests))
        o_channel.append(np.full(len(guests), "web", dtype=object))
        o_guest.append(np.ones(len(guests), dtype=bool))
        o_person_a = np.concatenate(o_person)
        o_time_a = np.concatenate(o_time)
        order = np.argsort(o_time_a, kind="stable")
        o_person_a, o_time_a = o_person_a[order], o_time_a[order]
        o_bundle_a = np.concatenate(o_bundle)[order]
        o_channel_a = np.concatenate(o_channel)[order]
        o_guest_a = np.concatenate(o_guest)[order]
        keep = o_time_a < HORIZON
        o_person_a, o_time_a, o_bundle_a = o_person_a[keep], o_time_a[keep], o_bundle_a[keep]
        o_channel_a, o_guest_a = o_channel_a[keep], o_guest_a[keep]
        m = len(o_person_a)
        status = _pick(
            rng,
            ["paid", "refunded", "partially_refunded", "pending", "voided"],
            m,
            [0.92, 0.03, 0.01, 0.02, 0.02],
        )
        line_ep, line_prod = self._bundle_items(o_bundle_a)
        physical = np.zeros(m, dtype=bool)
        np.logical_or.at(physical, line_ep, _PHYSICAL[line_prod])
        deliver = (
            physical & np.isin(status, ["paid", "partially_refunded"]) & (o_channel_a != "pos")
        )
        fulfilled_at = (
            o_time_a
            + rng.integers(1, 4, size=m) * 86400
            + _clock(rng, m, "office")
            - o_time_a % 86400
        )
        deliver &= fulfilled_at < HORIZON
        ful_status = np.where(
            deliver | (o_channel_a == "pos"), "fulfilled", np.where(physical, "unfulfilled", "")
        )
        qty = np.where(rng.random(len(line_ep)) < 0.1, 2, 1)
        order_id = 5_600_000_000_000 + np.arange(m) * 7_919 + 1_234
        self.order_person = o_person_a
        self.order_delivered, self.order_fulfilled_at = deliver, fulfilled_at
        self.order_first_physical = self._first_physical(line_ep, line_prod, m)

        # order-level fields, as the buyer typed them at checkout (the same on every line)
        buyer = o_person_a
        address = np.where(
            self.world.in_shop[buyer],
            self.world.personal_email.to_numpy()[buyer],
            self.world.contact_email.to_numpy()[buyer],
        )
        email = _email_case(rng, _s(address), [0.85, 0.1, 0.05]).to_numpy()
        first = _typo(rng, self.world.first.iloc[buyer].reset_index(drop=True), 0.03)
        name = (first + " " + self.world.last.iloc[buyer].reset_index(drop=True)).to_numpy()
        phone = self.world.phone(self.rng, buyer, ["national", "e164", "intl"], [0.5, 0.3, 0.2])
        phone = phone.where(rng.random(m) < 0.7, "").to_numpy()
        who = o_person_a[line_ep]
        guest = o_guest_a[line_ep]
        subtotal = np.zeros(m)
        np.add.at(subtotal, line_ep, _PRICE[line_prod] * qty)
        currency = np.where(self.world.country[o_person_a] == "IE", "EUR", "GBP")
        ship = np.where(physical & (subtotal < 30) & (o_channel_a != "pos"), 3.95, 0.0)
        orders = pd.DataFrame(
            {
                "Id": order_id[line_ep].astype(str),
                "Name": _s(["#" + str(1001 + i) for i in line_ep]),
                "Email": email[line_ep],
                "Financial Status": status[line_ep],
                "Fulfillment Status": ful_status[line_ep],
                "Created at": _fmt(o_time_a, "shop").to_numpy()[line_ep],
                "Paid at": _s(
                    np.where(
                        np.isin(status, ["paid", "refunded", "partially_refunded"]),
                        _fmt(o_time_a + 2, "shop"),
                        "",
                    )
                ).to_numpy()[line_ep],
                "Fulfilled at": _s(np.where(deliver, _fmt(fulfilled_at, "shop"), "")).to_numpy()[
                    line_ep
                ],
                "Currency": currency[line_ep],
                "Subtotal": [f"{v:.2f}" for v in subtotal[line_ep]],
                "Total": [f"{v:.2f}" for v in (subtotal + ship)[line_ep]],
                "Discount Code": np.where(
                    self.network.referred_mask[buyer] & (rng.random(m) < 0.3), "FRIEND10", ""
                )[line_ep],
                "Lineitem quantity": qty.astype(str),
                "Lineitem name": _PRODUCT_NAME[line_prod],
                "Lineitem price": [f"{v:.2f}" for v in _PRICE[line_prod]],
                "Lineitem sku": _SKU[line_prod],
                "Billing Name": name[line_ep],
                "Billing Phone": phone[line_ep],
                "Billing City": [CITIES[c][0] for c in self.world.city[who]],
                "Billing Country": self.world.country[who],
                "Source": o_channel_a[line_ep],
                "Customer ID": np.where(guest, "", self.world.shop_id.to_numpy()[who]),
            }
        )
        # planted: a hand-keyed phone order with a dd/mm/yyyy date (one line, not fulfilled)
        planted = orders.iloc[:1].copy()
        planted["Id"] = "9990000000001"
        planted["Name"] = "#PHONE-1"
        planted["Financial Status"] = "pending"
        planted["Fulfillment Status"] = "unfulfilled"
        planted["Created at"] = "31/10/2026 14:03"
        planted["Paid at"] = ""
        planted["Fulfilled at"] = ""
        planted["Lineitem quantity"] = "1"
        planted["Lineitem name"] = "Enamel mug"
        planted["Lineitem price"] = "10.00"
        planted["Subtotal"] = "10.00"
        planted["Total"] = "13.95"
        planted["Lineitem sku"] = "MER-MUG"
        planted["Discount Code"] = ""
        planted["Source"] = "shopify_draft_order"
        position = len(orders) * 9 // 10
        self.orders = pd.concat(
            [orders.iloc[:position], planted, orders.iloc[position:]], ignore_index=True
        ).astype(str)
        self.spent = np.zeros(n)
        self.n_orders = np.zeros(n, dtype=np.int64)
        paid_lines = np.isin(status[line_ep], ["paid", "partially_refunded"]) & ~guest
        np.add.at(self.spent, who[paid_lines], (_PRICE[line_prod] * qty)[paid_lines])
        np.add.at(self.n_orders, o_person_a[~o_guest_a], 1)

        # web events export: shop sessions and article reading, in time order
        shop_base = "https://shop.dailyledger.example.com/"
        pages = {  # page kind: (URL, title); product and checkout pages get a suffix
            "home": (shop_base, "The Daily Ledger Shop"),
            "category": (shop_base + "collections/all", "All products"),
            "offers": (shop_base + "collections/offers", "Offers"),
            "product": (shop_base + "products/", ""),
            "cart": (shop_base + "cart", "Your basket"),
            "checkout": (shop_base + "checkouts/", "Checkout"),
            "search": (shop_base + "search", "Search"),
            "account": (shop_base + "account/login", "Log in"),
        }
        kinds = list(pages)
        ep = np.concatenate([w["ep"] for w in web])
        at = np.concatenate([w["at"] for w in web])
        item = np.concatenate([w["item"] for w in web])
        event = np.repeat(
            np.array([w["event"] for w in web], dtype=object), [len(w["ep"]) for w in web]
        )
        kind = np.repeat([kinds.index(w["page"]) for w in web], [len(w["ep"]) for w in web])
        url = _s(np.array([pages[k][0] for k in kinds], dtype=object)[kind])
        title = np.array([pages[k][1] for k in kinds], dtype=object)[kind]
        product = kind == kinds.index("product")
        url = url.where(~product, url + _s(item).str.lower())
        url = url.where(kind != kinds.index("checkout"), url + _s(session[ep].astype(str)))
        names = dict(zip(_SKU, _PRODUCT_NAME, strict=True))
        title[product] = [names[i] for i in item[product]]
        sections = np.array(
            ["news", "politics", "business", "culture", "sport", "puzzles", "food", "travel"],
            dtype=object,
        )
        read_ep = np.repeat(np.arange(r), reads)
        offset = np.arange(len(read_ep)) - np.repeat(np.cumsum(reads) - reads, reads)
        section = sections[rng.integers(0, len(sections), size=len(read_ep))]
        slug = _s(rng.integers(100000, 999999, size=len(read_ep)).astype(str))
        events = {
            "who": np.concatenate([person[ep], readers[read_ep]]),
            "at": np.concatenate(
                [at, t_read[read_ep] + offset * 180 + rng.integers(0, 120, size=len(read_ep))]
            ),
            "event": np.concatenate([event, np.full(len(read_ep), "page_view", dtype=object)]),
            "session": np.concatenate([session[ep], read_session[read_ep]]),
            "url": np.concatenate(
                [
                    url.to_numpy(dtype=object),
                    (
                        "https://www.dailyledger.example.com/" + _s(section) + "/article-" + slug
                    ).to_numpy(dtype=object),
                ]
            ),
            "title": np.concatenate(
                [title, (_s(section).str.title() + " | The Daily Ledger").to_numpy(dtype=object)]
            ),
            "item": np.concatenate([item, np.full(len(read_ep), "", dtype=object)]),
        }
        names_order = ["page_view", "login", "search", "view_item", "add_to_cart", "begin_checkout"]
        event_code = pd.Series(events["event"]).map({e: i for i, e in enumerate(names_order)})
        order = np.lexsort((event_code.to_numpy(), events["session"], events["at"]))
        order = order[events["at"][order] < HORIZON]
        events = {k: v[order] for k, v in events.items()}
        who = events["who"]
        stamp = _fmt(events["at"], "ymd_hms")
        # one device and one traffic source per session
        sessions, first_seen = np.unique(events["session"], return_inverse=True)
        device = _pick(rng, ["mobile", "desktop", "tablet"], len(sessions), [0.58, 0.35, 0.07])
        sources = ["google", "direct", "newsletter", "facebook", "twitter"]
        source = rng.choice(len(sources), size=len(sessions), p=[0.35, 0.3, 0.2, 0.1, 0.05])
        mediums = np.array(["organic", "(none)", "email", "social", "social"], dtype=object)
        self.web = pd.DataFrame(
            {
                "event_date": stamp.str[0:10].str.replace("-", "", regex=False),
                "event_time": stamp,
                "event_name": _s(events["event"]),
                "user_id": _s(self.world.shop_id.to_numpy()[who]),
                "user_pseudo_id": _s(_affine(who, 10**9, 40_503, 17).astype(str))
                + ".1745"
                + _s(_digits(who % 1_000_000, 6)),
                "session_id": _s(events["session"].astype(str)),
                "page_location": _s(events["url"]),
                "page_title": _s(events["title"]),
                "item_id": _s(events["item"]),
                "device_category": _s(device[first_seen]),
                "traffic_source": _s(np.array(sources, dtype=object)[source][first_seen]),
                "traffic_medium": _s(mediums[source][first_seen]),
            }
        )
        planted = self.web.iloc[:1].copy()
        planted["event_date"] = ""
        planted["event_time"] = ""
        planted["event_name"] = "page_view"
        planted["session_id"] = "9990001"
        planted["page_location"] = "https://shop.dailyledger.example.com/"
        planted["page_title"] = "The Daily Ledger Shop"
        planted["item_id"] = ""
        position = len(self.web) // 3
        self.web = pd.concat(
            [self.web.iloc[:position], planted, self.web.iloc[position:]], ignore_index=True
        )

        # delivered orders: a review survey for some (a few before the parcel was dispatched)
        delivered = np.flatnonzero(deliver)
        reachable = (self.world.contact_email.to_numpy()[o_person_a[delivered]] != "") & (
            fulfilled_at[delivered] < HORIZON - 20 * 86400
        )
        chosen = (rng.random(len(delivered)) < 0.3) & reachable
        if not chosen.any():  # even the smallest demo has traffic at the conflict step
            chosen[np.flatnonzero(reachable)[:1]] = True
        review = delivered[chosen]
        early = rng.random(len(review)) < 0.05
        review_at = np.where(
            early,
            o_time_a[review] + 6 * 3600 + rng.integers(0, 3600, size=len(review)),
            (fulfilled_at[review] // 86400 + rng.integers(3, 15, size=len(review))) * 86400
            + _clock(rng, len(review), "email"),
        )
        ok = review_at < HORIZON
        self.reviews = (o_person_a[review][ok], review_at[ok])
        self.counts["reviews_before_delivery"] = int((early & ok).sum())

    @staticmethod
    def _first_physical(line_ep: np.ndarray, line_prod: np.ndarray, m: int) -> np.ndarray:
        first = np.full(m, -1, dtype=np.int64)
        phys = _PHYSICAL[line_prod]
        for e_idx, p_idx in zip(line_ep[phys][::-1], line_prod[phys][::-1], strict=True):
            first[e_idx] = p_idx
        return first

    def export(self) -> pd.DataFrame:
        """shop/customers.csv: the shop's customer accounts."""
        rng = self.rng
        who = np.flatnonzero(self.world.in_shop)
        size = len(who)
        first = _typo(rng, self.world.first.iloc[who].reset_index(drop=True), 0.04)
        last = _typo(rng, self.world.last.iloc[who].reset_index(drop=True), 0.02)
        phone = self.world.phone(self.rng, who, ["national", "e164", "compact"], [0.5, 0.35, 0.15])
        has = rng.random(size) < 0.7
        on_address = rng.random(size) < 0.3
        spent = self.spent[who]
        frame = pd.DataFrame(
            {
                "Customer ID": self.world.shop_id.to_numpy()[who],
                "First Name": first,
                "Last Name": last,
                "Email": _email_case(
                    rng,
                    self.world.personal_email.iloc[who].reset_index(drop=True),
                    [0.85, 0.12, 0.03],
                ),
                "Accepts Email Marketing": np.where(self.world.subscribed[who], "yes", "no"),
                "Default Address Company": "",
                "Default Address Address1": self.world.street.iloc[who].reset_index(drop=True),
                "Default Address Address2": "",
                "Default Address City": [CITIES[c][0] for c in self.world.city[who]],
                "Default Address Province Code": "",
                "Default Address Country Code": self.world.country[who],
                "Default Address Zip": self.world.postcode.iloc[who].reset_index(drop=True),
                "Default Address Phone": phone.where(has & on_address, ""),
                "Phone": phone.where(has & ~on_address, ""),
                "Total Spent": [f"{v:.2f}" for v in spent],
                "Total Orders": self.n_orders[who].astype(str),
                "Tags": np.where(
                    spent > 150,
                    "vip, newsletter",
                    np.where(self.world.subscribed[who], "newsletter", ""),
                ),
                "Note": np.where(
                    rng.random(size) < 0.01,
                    'Prefers "no plastic" packaging, leave with neighbour',
                    "",
                ),
                "Tax Exempt": "no",
            }
        )
        return frame.sort_values("Customer ID", kind="stable").reset_index(drop=True).astype(str)
