"""Names and one-line descriptions for segments, derived only from their profiles (so reruns agree).

A name reads "<status> <spend level> <habit>", e.g. "Lapsed high-spend occasional shoppers" or
"Loyal mid-spend weekly regulars". Every word is a rule on the profile compared with all customers:

- status, when the profile carries lifecycle shares (models/value/lifecycle.py: P(alive) and overdue rules per
  customer): Lapsed (half or more of its customers lapsed), At-risk (half or more lapsed or at risk), then New,
  Loyal, Active as below. Without them: Lapsed (median days since last order >= max(60, 3 x everyone's)),
  Fading (>= max(21, 2 x)), New (median tenure <= max(60 days, a quarter of everyone's)), Loyal (orders at
  least weekly), else Active;
- spend level: high-spend (mean spend >= 1.5 x everyone's), low-spend (<= 0.5 x), else mid-spend; followed
  (or, for mid-spend, replaced) by "coupon-driven" when >= 10% of orders use a coupon and >= 2 x everyone's rate;
- habit: weekly regulars (>= 1 order a week), regulars (>= 1 every 2.5 weeks), one-off buyers (median <= 1
  order), else occasional shoppers.

Two segments with the same name are told apart by a qualifier added to *all* of them, in this order until
names are unique: basket size, coupon use, the most over-indexed category, size, mean spend — never a counter;
only segments identical in all of these fall back to their id.
"""

from __future__ import annotations

__all__ = ["name_segments", "describe"]


def _ratio(a, b) -> float:
    return float(a) / float(b) if a is not None and b not in (None, 0) else 1.0


def _base_name(p: dict, o: dict) -> str:
    rec, rec_all = p["recency_days_median"] or 0.0, o["recency_days_median"] or 0.0
    per_week = p.get("orders_per_week_median") or 0.0
    lapsed, at_risk = p.get("share_lapsed"), p.get("share_at_risk")
    if lapsed is not None:
        if lapsed >= 0.5:
            status = "Lapsed"
        elif lapsed + (at_risk or 0.0) >= 0.5:
            status = "At-risk"
        else:
            status = None
    elif rec >= max(60.0, 3 * rec_all):
        status = "Lapsed"
    elif rec >= max(21.0, 2 * rec_all):
        status = "Fading"
    else:
        status = None
    if status is None:
        if (p.get("tenure_days_median") or 0) <= max(60.0, 0.25 * (o.get("tenure_days_median") or 0)):
            status = "New"
        elif per_week >= 1.0:
            status = "Loyal"
        else:
            status = "Active"
    spend = _ratio(p["spend_mean"], o["spend_mean"])
    level = "high-spend" if spend >= 1.5 else "low-spend" if spend <= 0.5 else "mid-spend"
    coupon = p.get("coupon_rate")
    if coupon is not None and coupon >= 0.10 and _ratio(coupon, o.get("coupon_rate") or None) >= 2.0:
        level = "coupon-driven" if level == "mid-spend" else f"{level} coupon-driven"
    if per_week >= 1.0:
        habit = "weekly regulars"
    elif per_week >= 0.4:
        habit = "regulars"
    elif (p["orders_median"] or 0) <= 1:
        habit = "one-off buyers"
    else:
        habit = "occasional shoppers"
    return f"{status} {level} {habit}"


def _qualifiers(p: dict, o: dict) -> list[str]:
    basket = _ratio(p["avg_basket"], o["avg_basket"])
    coupon = _ratio(p.get("coupon_rate"), o.get("coupon_rate")) if o.get("coupon_rate") else 1.0
    top = p.get("top_categories") or []
    return [
        "big baskets" if basket >= 1.25 else "small baskets" if basket <= 0.8 else "average baskets",
        "coupon users" if coupon >= 1.5 else "few coupons" if coupon <= 0.67 else "some coupons",
        f"{top[0]['category']} fans" if top else "no category lean",
        f"{int(p.get('size') or 0):,} customers",
        f"{float(p.get('spend_mean') or 0):,.0f} spent per customer",
        f"segment {p['segment_id']}",
    ]


def name_segments(profiles: list[dict], overall: dict) -> list[dict]:
    """Return the profiles with ``name`` and ``description`` filled in; names are unique."""
    base = {p["segment_id"]: _base_name(p, overall) for p in profiles}
    quals = {p["segment_id"]: _qualifiers(p, overall) for p in profiles}
    used = {sid: 0 for sid in base}  # how many qualifiers each name carries

    def full(sid: int) -> str:
        return base[sid] + (f" ({', '.join(quals[sid][:used[sid]])})" if used[sid] else "")

    for _ in range(len(quals[next(iter(quals))]) if quals else 0):
        seen: dict[str, list[int]] = {}
        for sid in base:
            seen.setdefault(full(sid).casefold(), []).append(sid)
        clashes = [sid for ids in seen.values() if len(ids) > 1 for sid in ids]
        if not clashes:
            break
        for sid in clashes:
            used[sid] += 1
    names = {sid: full(sid) for sid in base}
    out = []
    for p in profiles:
        q = dict(p, name=names[p["segment_id"]])
        q["description"] = describe(q)
        out.append(q)
    return out


def describe(p: dict) -> str:
    """One line a marketer can check against the data."""
    parts = [f"{p['size']:,} customers ({p['share_customers']:.0%}) bringing {p['share_revenue']:.0%} of revenue",
             f"median {p['orders_median']:g} orders and {p['spend_median']:,.0f} spent, "
             f"last order {p['recency_days_median']:.0f} days ago"]
    if p.get("share_lapsed") is not None:
        parts.append(f"{p['share_lapsed']:.0%} lapsed and {p.get('share_at_risk') or 0:.0%} at risk")
    if p.get("coupon_rate") is not None:
        parts.append(f"coupons on {p['coupon_rate']:.0%} of orders")
    if p.get("p_buy_30d") is not None:
        parts.append(f"{p['p_buy_30d']:.0%} likely to buy in 30 days")
    top = p.get("top_categories") or []
    if top:
        parts.append(f"over-indexes on {top[0]['category']} ({top[0]['lift']:.1f}x the usual share of spend)")
    return "; ".join(parts) + "."
