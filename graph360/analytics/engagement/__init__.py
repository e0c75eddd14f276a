"""Engagement: when people actually engage, per channel (and department), hour x weekday.

Definitions (DESIGN.md §1, "When do people actually engage?"):

**Response** — a touchpoint that is the customer's own act: opening or clicking an e-mail,
reading an article, viewing a page or product, searching, logging in, adding to the basket,
checking out, buying, answering a survey, opening a support ticket, a social engagement, a
meeting held, and an outbound call the customer picked up (outcome ``connected`` or
``meeting_booked``). :data:`RESPONSE_KINDS` and :data:`RESPONSE_OUTCOMES` list them.

**Delivery** — an attempt the organisation makes to reach someone: ``email_sent`` and an
outbound ``call`` (:data:`DELIVERIES`). Neither a response nor a delivery: what staff or systems
do (``reply`` — in the support desk export that is the agent's first reply —, ``resolution``,
``delivery`` of an order, ``sales_email``), ``bounce`` (a failed delivery) and ``unsubscribe``.

**Response rate** (channels with deliveries): per cell of the hour-of-day (0-23) x weekday
(Mon-Sun) grid *of the delivery's time* — the thing a planner controls —
``responded deliveries / delivered deliveries``. An e-mail is delivered unless a ``bounce``
answers it; it has responded when an open or click answers it. A response or bounce answers
the latest send of the same campaign (or, without a campaign, of no campaign) to the same
customer on the same channel before it, within the attribution window (7 days by default),
so each send counts at most once, however often it was opened. A call is delivered by being
made and has responded when its own outcome is a response outcome. Sends are taken in
``[since, until)`` and the responses that answer them up to the window after ``until``.
Counting responses by the hour they happen over deliveries by the hour they were sent would
divide two different sets of people (opens at 07:00 from mails sent at 10:00 the day before)
and gives "rates" above 1 in some cells and none in others; the rate by send time answers
"if we send at Tuesday 08:00, what share responds?".

**Activity share** (every channel; the measure for channels without deliveries — social, web,
chat, store …): ``responses in the cell / all responses of the channel`` (of the department,
with ``--by department``), by the response's own time. For e-mail it shows when people open
(the demo's 07-09 peak); the response rate shows which send times work.

**Best windows**: the cells with the highest value among those with at least ``min_volume``
deliveries (rate) or responses (share), so a cell of three sends cannot win by luck; each
with its counts and a 95% Wilson interval.

**A/B comparison**: the response rates of two channels, or of two windows of one channel
(e.g. ``"Mon 07-09"`` against ``"Sat 19-22"``), by a two-sided two-proportion z-test (pooled
standard error; equal to Pearson's chi-square without continuity correction), with both rates,
the difference (A - B) and its 95% confidence interval (unpooled standard error).

**Time zone**: the touchpoint ``at`` is stored as naive UTC, so hours and weekdays are UTC
unless a ``timezone`` (an IANA name such as ``Europe/London``) is given; then each time is
converted to that zone's wall clock (summer time included). The period bounds are UTC.
"""
