"""Seeded synthetic reviews for the demo products. Complete Journey has no review text, so the demo makes some.

They are labelled ``synthetic=True`` on every row, and must be shown as synthetic wherever they appear.

The generator has structure for search and summaries to find, not noise: each category has its own aspects
(produce talks about freshness, household goods about how well they work) and its own typical quality; each
product has a hidden quality per aspect, and some products have a real problem (leaky packaging, goes stale
fast, shrinking pack size), a few of them only from a date on ("since the new packaging"). Reviewers are
real buyers of the product where the data has them, and review dates follow their purchases.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["synthetic_reviews", "category_kind", "EXCLUDED_CATEGORIES"]

# categories that are not products a shopper reviews
EXCLUDED_CATEGORIES = re.compile(r"coupon|misc|unknown|fuel|gasoline|kiosk|postage|gift card|lottery|deposit",
                                 re.IGNORECASE)


def category_kind(category: str) -> str:
    """Which aspect vocabulary a category uses (produce, bakery, dairy, meat, ..., pantry)."""
    c = str(category).lower()
    for kind, pattern in KIND_PATTERNS:
        if re.search(pattern, c):
            return kind
    return "pantry"


_VAGUE_WORDS = {"miscellaneous", "misc", "other", "all", "select", "assorted", "various", "regular", "premium"}


def _noun(name: str) -> str | None:
    """A plain noun phrase from a product name, or None when the name is catalogue shorthand."""
    base = str(name).split(" (")[0].strip().lower()
    if ":" in base:  # "bread:italian/french" → "italian/french bread"
        head, _, tail = base.partition(":")
        base = f"{tail.strip()} {head.strip()}"
    base = base.split("/")[-1].strip() if "/" in base else base
    words = [w for w in base.split() if w not in _VAGUE_WORDS]
    base = " ".join(words)
    # adjectives alone ("traditional", "select") do not name a thing
    if words and re.search(r"(al|ed|ic|ive|ous|ble|ful|ary)$", words[-1]):
        return None
    if not 1 <= len(words) <= 3:
        return None
    if any(len(w) < 3 or not w.isalpha() or not re.search(r"[aeiouy]", w) for w in words):
        return None
    return base


def _pick_products(orders: pd.DataFrame, products: pd.DataFrame, n_products: int, n_categories: int) -> pd.DataFrame:
    buyers = orders.groupby("product_id", observed=True)["customer_id"].nunique().rename("buyers")
    p = products.set_index("product_id").join(buyers, how="inner").reset_index()
    p = p[p["category"].notna() & ~p["category"].astype(str).str.contains(EXCLUDED_CATEGORIES)]
    p = p[~p["name"].fillna("").str.startswith("Item")]
    cats = (p.groupby("category")["buyers"].sum().sort_values(ascending=False, kind="stable")
            .head(n_categories).index)
    per_cat = max(1, n_products // max(1, len(cats)))
    p = p[p["category"].isin(cats)].sort_values(["category", "buyers", "product_id"], ascending=[True, False, True])
    return p.groupby("category", sort=True).head(per_cat).reset_index(drop=True)


def _sentence(rng: np.random.Generator, pool: list[str], **fill: str) -> str:
    return pool[rng.integers(len(pool))].format(**fill)


def synthetic_reviews(
    orders: pd.DataFrame,
    products: pd.DataFrame,
    *,
    n_reviews: int = 4500,
    n_products: int = 300,
    n_categories: int = 20,
    random_state: int = 0,
) -> pd.DataFrame:
    """Canonical ``reviews`` rows (``synthetic=True``) for popular products in ``orders``.

    ``orders`` and ``products`` are canonical tables; reviewers are sampled among each product's buyers.
    """
    rng = np.random.default_rng(random_state)
    picked = _pick_products(orders, products, n_products, n_categories)
    if picked.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
            ("review_id", "string"), ("product_id", "string"), ("customer_id", "string"), ("rating", "float64"),
            ("title", "string"), ("text", "string"), ("timestamp", "datetime64[ns]"), ("synthetic", "bool"))})
    start, end = orders["timestamp"].min(), orders["timestamp"].max()
    span = end - start

    # reviews per product grow with popularity, but sub-linearly (a few bestsellers should not take all)
    weight = np.sqrt(picked["buyers"].to_numpy(dtype=float))
    counts = np.maximum(2, np.floor(n_reviews * weight / weight.sum())).astype(int)

    # category character: each (category, aspect) has its own typical quality
    cat_base = {(c, a): rng.normal(0.45, 0.35) for c in picked["category"].unique()
                for a in KIND_ASPECTS[category_kind(c)]}

    bought = orders.loc[orders["product_id"].isin(picked["product_id"]), ["product_id", "customer_id", "timestamp"]]
    # one random purchase per (product, customer), so reviewers are distinct buyers where possible
    bought = bought.sample(frac=1.0, random_state=random_state).drop_duplicates(["product_id", "customer_id"])
    by_product = {pid: g for pid, g in bought.groupby("product_id", sort=False)}

    rows: list[dict] = []
    for i, prod in enumerate(picked.itertuples(index=False)):
        kind = category_kind(prod.category)
        aspects = KIND_ASPECTS[kind]
        quality = {a: cat_base[(prod.category, a)] + rng.normal(0, 0.45) for a in aspects}
        if str(getattr(prod, "brand", "")) == "Private":  # store brand: cheaper, a little less loved
            quality["value"] = quality.get("value", 0) + 0.4
        problem, onset = None, None
        if rng.random() < 0.18:
            problem = PROBLEM_ASPECTS[kind][rng.integers(len(PROBLEM_ASPECTS[kind]))]
            if rng.random() < 0.4:
                onset = start + span * rng.uniform(0.3, 0.7)
        noun = _noun(prod.name)
        buyers = by_product[prod.product_id]  # every picked product has buyers (inner join in _pick_products)
        n = int(counts[i])
        take = rng.choice(len(buyers), size=n, replace=n > len(buyers))
        who = buyers["customer_id"].to_numpy()[take]
        # a review follows its purchase by half a day to two weeks
        when = buyers["timestamp"].to_numpy()[take] + (rng.uniform(0.5, 14, n) * 86400e9).astype("timedelta64[ns]")
        when = np.minimum(when, np.datetime64(end)).astype("datetime64[s]")  # whole seconds, like the orders
        for cust, ts in zip(who, when):
            active = problem is not None and (onset is None or pd.Timestamp(ts) >= onset)
            rows.append(_review(rng, kind, aspects, quality, problem if active else None, onset is not None,
                                noun, str(getattr(prod, "brand", "")), prod.product_id, cust, pd.Timestamp(ts)))

    out = pd.DataFrame(rows).sort_values(["timestamp", "product_id"], kind="stable").reset_index(drop=True)
    out.insert(0, "review_id", pd.array([f"SYN-{i:06d}" for i in range(1, len(out) + 1)], dtype="string"))
    for c in ("product_id", "customer_id", "title", "text"):
        out[c] = out[c].astype("string")
    out["rating"] = out["rating"].astype("float64")
    out["timestamp"] = out["timestamp"].astype("datetime64[ns]")
    out["synthetic"] = True
    return out[["review_id", "product_id", "customer_id", "rating", "title", "text", "timestamp", "synthetic"]]


def _review(rng, kind, aspects, quality, problem, sudden, noun, brand, product_id, customer_id, ts) -> dict:
    k = int(rng.choice([1, 2, 2, 3]))
    mentioned = list(rng.choice(aspects, size=min(k, len(aspects)), replace=False))
    if problem and problem not in mentioned and rng.random() < 0.85:
        mentioned[0] = problem  # people with a problem write about it
    sentiment = {}
    for a in mentioned:
        q = quality[a] if a != problem else -1.6
        sentiment[a] = q + rng.normal(0, 0.6)
    score = float(np.mean(list(sentiment.values())))
    rating = int(np.clip(np.rint(3.5 + 1.1 * score + rng.normal(0, 0.45)), 1, 5))
    fill = {"noun": noun or "it", "Noun": (noun or "it").capitalize(), "stale": STALE[kind]}
    parts = [_sentence(rng, OPENERS[rating], **fill)]
    # the most strongly felt aspect first, as people write
    for a in sorted(mentioned, key=lambda a: -abs(sentiment[a])):
        s = sentiment[a]
        tone = "pos" if s > 0.3 else "neg" if s < -0.3 else "neu"
        if a == problem and sudden and tone == "neg" and rng.random() < 0.7:
            parts.append(_sentence(rng, SINCE_CHANGE[a], **fill))
        else:
            parts.append(_sentence(rng, ASPECT[a][tone], **fill))
    if noun and rng.random() < 0.35:
        parts.append(_sentence(rng, USE_NOTES[kind], **fill))
    if brand == "Private" and rng.random() < 0.25:
        parts.append(_sentence(rng, STORE_BRAND["pos" if rating >= 4 else "neg"], **fill))
    closer = _sentence(rng, CLOSERS[rating], **fill)
    if closer:
        parts.append(closer)
    main = max(mentioned, key=lambda a: abs(sentiment[a]))
    s = sentiment[main]
    title_tone = "pos" if s > 0.3 else "neg" if s < -0.3 else "neu"
    title = _sentence(rng, TITLES[main][title_tone], **fill)
    return {"product_id": product_id, "customer_id": customer_id, "rating": rating, "title": title,
            "text": " ".join(p for p in parts if p), "timestamp": ts}


# --- vocabulary ------------------------------------------------------------------------------------------
# Sentences refer to the product as "it" (or a plain noun where the catalogue name allows), past or present
# tense without number agreement, so that any product reads naturally.

KIND_PATTERNS: list[tuple[str, str]] = [  # first match wins: foods before the non-food kinds
    ("pantry", r"shelf stable"),  # canned vegetables are not bruised produce
    ("pet", r"\bpet|\bdog|\bcat\b|cat food|cat litter"),
    ("produce", r"fruit|vegetables|potato|onion|tomato|salad|apple|grape|berr|citrus|banana|melon|lettuce|"
                r"peppers|carrot|mushroom|corn|stone fruit|pear"),
    ("bakery", r"bread|bun|roll|bake|bkd|bakery|sweet goods|breakfast sweets|cake|donut|muffin|bagel"),
    ("dairy", r"milk|cheese|yogurt|egg|margarine|butter|ice cream|cream|dough"),
    ("meat", r"beef|chicken|pork|lunchmeat|hot dog|sausage|deli|meat|seafood|turkey|fish|bacon"),
    ("frozen", r"frzn|frozen|pizza|novelt"),
    ("beverages", r"drink|juice|water|coffee|\btea\b|soda|soft drinks|beer|wine|beverage"),
    ("snacks", r"snack|cracker|candy|chip|cookie|nut|popcorn|pretzel|\bbars?\b"),
    ("pantry", r"cereal|soup|sauce|condiment|spice|pasta|noodle|rice|sugar|oil|flour|baking|hispanic|dinner"),
    ("health_beauty", r"vitamin|shampoo|soap|oral|deodor|cosmetic|hair|skin|cough|allerg|analgesic|medic"),
    ("household", r"tissue|towel|wrap|detergent|laundry|clean|paper|dish|trash|foil|napkin|bleach|softener"),
]

KIND_ASPECTS: dict[str, list[str]] = {
    "produce": ["freshness", "taste", "value", "packaging", "size"],
    "bakery": ["freshness", "taste", "texture", "packaging", "value"],
    "dairy": ["freshness", "taste", "packaging", "value", "availability"],
    "meat": ["freshness", "quality", "value", "packaging", "size"],
    "frozen": ["taste", "quality", "value", "packaging", "size"],
    "beverages": ["taste", "value", "packaging", "availability"],
    "snacks": ["taste", "freshness", "value", "packaging", "size"],
    "pantry": ["taste", "quality", "value", "packaging", "availability"],
    "household": ["effectiveness", "quality", "value", "packaging", "scent"],
    "health_beauty": ["effectiveness", "quality", "scent", "value", "packaging"],
    "pet": ["quality", "value", "packaging", "availability"],
}

# the problems a product in each kind can really have
PROBLEM_ASPECTS: dict[str, list[str]] = {
    "produce": ["freshness", "packaging"], "bakery": ["freshness", "texture", "packaging"],
    "dairy": ["freshness", "packaging"], "meat": ["freshness", "packaging", "size"],
    "frozen": ["packaging", "size", "taste"], "beverages": ["packaging", "taste"],
    "snacks": ["size", "packaging", "freshness"], "pantry": ["packaging", "taste", "availability"],
    "household": ["effectiveness", "packaging"], "health_beauty": ["effectiveness", "packaging", "scent"],
    "pet": ["packaging", "quality"],
}

STALE: dict[str, str] = {
    "produce": "bruised and soft", "bakery": "already stale", "dairy": "sour", "meat": "grey at the edges",
    "frozen": "covered in freezer burn", "beverages": "flat", "snacks": "stale", "pantry": "stale",
    "household": "dried out", "health_beauty": "separated", "pet": "stale",
}

ASPECT: dict[str, dict[str, list[str]]] = {
    "freshness": {
        "pos": ["Everything was fresh and lasted the whole week.", "Really fresh, nothing was {stale} when I got it home.",
                "Freshness was excellent, it must have just been stocked.", "It stayed fresh for days after opening.",
                "The {noun} was as fresh as from a farmers market."],
        "neu": ["Freshness was fine, nothing special.", "Reasonably fresh, though I used it up quickly anyway.",
                "Fresh enough, but check the date before you buy."],
        "neg": ["It was {stale} only two days after I bought it.", "Not fresh at all: {stale} by the time I got home.",
                "The sell-by date was far too close for comfort.", "Half of it had already gone off when I opened it.",
                "I had to throw most of the {noun} away, it was {stale}."],
    },
    "taste": {
        "pos": ["Tastes great and the whole family liked it.", "The flavor is spot on.",
                "Honestly delicious, better than the name brands.", "My kids ask for it every week now.",
                "Great taste, not too sweet and not too salty."],
        "neu": ["Taste is okay, a bit bland for me.", "Flavor is decent but not memorable.",
                "It tastes like every other one on the shelf."],
        "neg": ["It tasted off, almost like it had been sitting around.", "Way too salty for my taste.",
                "The flavor just isn't there anymore.", "Nobody at home wanted to finish it.",
                "It has a strange aftertaste I can't get past."],
    },
    "texture": {
        "pos": ["Soft and chewy, exactly right.", "Lovely texture, light and fluffy.", "Perfect crust and a soft middle."],
        "neu": ["Texture is fine.", "A little denser than I like, but fine."],
        "neg": ["Dry and crumbly.", "Hard as a rock by day two.", "Gummy in the middle, like it was underbaked."],
    },
    "quality": {
        "pos": ["Solid quality for the price.", "Good quality, consistent every time I buy it.",
                "You can tell it's made with care.", "Quality is as good as the premium brands."],
        "neu": ["Quality is about what you'd expect.", "Quality varies a bit from one batch to the next."],
        "neg": ["Quality has gone downhill lately.", "Poor quality compared to what it used to be.",
                "It felt cheap and I won't rely on it again.", "Lots of fat and gristle, very poor cut."],
    },
    "value": {
        "pos": ["Great value for money.", "Priced well below the competition.",
                "Good price, especially with the weekly coupon.", "Hard to beat at this price."],
        "neu": ["The price is fair.", "A little pricey, but it goes on sale often.", "Price is okay for what it is."],
        "neg": ["Way overpriced for what you get.", "The price went up again and it's no longer worth it.",
                "Too expensive for such a small amount.", "Not worth the money, even on sale."],
    },
    "packaging": {
        "pos": ["The packaging is sturdy and reseals well.", "Well packed, nothing damaged.",
                "I like the resealable packaging.", "Packaging keeps it fresh and doesn't leak."],
        "neu": ["Packaging is standard.", "The packaging is fine, if a bit wasteful."],
        "neg": ["The packaging leaked all over my other groceries.", "The seal was broken when I got it home.",
                "The package was crushed and half of it had spilled.",
                "The packaging is flimsy and tears open far too easily.", "The lid doesn't close properly."],
    },
    "size": {
        "pos": ["Generous portion, it lasts us the whole week.", "Good size for a family.",
                "Plenty in the pack for the price."],
        "neu": ["Size is as advertised.", "The pack size is okay for one or two people."],
        "neg": ["The pack is smaller than it used to be but the price is the same.", "Portions are tiny.",
                "There is far less in the package than you'd think.", "Shrinkflation at its finest, the pack keeps getting smaller."],
    },
    "availability": {
        "pos": ["Always in stock at my store.", "Easy to find on the shelf.", "Never had trouble finding it."],
        "neu": ["Usually available.", "Sometimes hard to find, but mostly there."],
        "neg": ["It's out of stock half the time.", "The shelf is empty every time I go.",
                "I had to go to three stores to find it."],
    },
    "scent": {
        "pos": ["Smells nice and not overpowering.", "Love the fresh, light scent.", "The scent lasts all day."],
        "neu": ["The scent is okay.", "Smell is mild, barely noticeable."],
        "neg": ["The scent is way too strong.", "It smells like chemicals.", "The smell gives me a headache."],
    },
    "effectiveness": {
        "pos": ["Works exactly as it should.", "Does the job better than the pricier brands.",
                "Very effective, a little goes a long way."],
        "neu": ["It works, nothing special.", "Does the job most of the time."],
        "neg": ["It doesn't work as well as it used to.", "I had to use twice as much to get the job done.",
                "Barely works at all."],
    },
}

# a problem that started at some date reads differently: reviewers compare with before
SINCE_CHANGE: dict[str, list[str]] = {
    "packaging": ["Since they changed the packaging it leaks every single time.",
                  "The new packaging is a step back: it tears and spills.", "Ever since the new package design the seal breaks."],
    "freshness": ["Lately it goes bad much faster than it used to.", "The last few times it was {stale} within days; it used to keep."],
    "size": ["They made the pack smaller recently and kept the price.", "The new smaller pack is a rip-off."],
    "taste": ["They must have changed the recipe, it doesn't taste the same anymore.",
              "The new recipe is worse, it used to be my favourite."],
    "texture": ["Recently it comes out dry and crumbly; it wasn't like that before."],
    "effectiveness": ["The new formula doesn't work nearly as well as the old one."],
    "scent": ["They changed the scent and now it's far too strong."],
    "quality": ["Quality dropped noticeably in the last few months."],
    "availability": ["These days it's hardly ever in stock."],
}

USE_NOTES: dict[str, list[str]] = {
    "produce": ["I use the {noun} in salads and for snacks.", "Bought the {noun} for a family dinner."],
    "bakery": ["We have the {noun} with breakfast most days.", "Picked up the {noun} for a weekend brunch."],
    "dairy": ["We go through the {noun} quickly with two kids.", "I buy the {noun} every week."],
    "meat": ["Grilled the {noun} for a barbecue with friends.", "I cook the {noun} for weeknight dinners."],
    "frozen": ["The {noun} is handy for busy weeknights.", "I keep the {noun} in the freezer for emergencies."],
    "beverages": ["We keep the {noun} in the fridge for guests.", "Bought the {noun} for a birthday party."],
    "snacks": ["I pack the {noun} in the kids' lunches.", "The {noun} is my go-to movie night snack."],
    "pantry": ["I keep the {noun} in the pantry at all times.", "Used the {noun} for a quick dinner."],
    "household": ["I stock up on the {noun} when it's on sale.", "We go through the {noun} fast."],
    "health_beauty": ["I've used the {noun} for a couple of months now.", "Bought the {noun} on a friend's advice."],
    "pet": ["Our dog gets the {noun} every day.", "The cat seems happy with the {noun}."],
}

STORE_BRAND: dict[str, list[str]] = {
    "pos": ["It's the store brand, but you'd never know.", "Store brand and just as good as the big names."],
    "neg": ["You get what you pay for with the store brand.", "I'll stick to the name brand from now on."],
}

OPENERS: dict[int, list[str]] = {
    5: ["Love this.", "Five stars from me.", "One of my regular buys.", "Excellent.", "Can't complain at all.",
        "We buy this every week.", ""],
    4: ["Pretty good overall.", "Solid choice.", "Happy with this purchase.", "Good, with one small gripe.",
        "Good buy.", ""],
    3: ["It's okay.", "Mixed feelings about this one.", "Average.", "Not bad, not great.", ""],
    2: ["Disappointed.", "Not what it used to be.", "Expected better.", "Meh.", ""],
    1: ["Terrible.", "Would not recommend.", "Very disappointed this time.", "Never again.", "Awful."],
}

CLOSERS: dict[int, list[str]] = {
    5: ["Will buy again.", "Highly recommend.", "Already on my list for next week.", ""],
    4: ["Would buy again.", "Recommended.", "", ""],
    3: ["Might try a different brand next time.", "It'll do.", "", ""],
    2: ["Probably won't buy it again.", "Going back to the other brand.", ""],
    1: ["Won't be buying this again.", "Save your money.", "Going back to the other brand."],
}

TITLES: dict[str, dict[str, list[str]]] = {
    "freshness": {"pos": ["Fresh every time", "Lasts all week"], "neu": ["Fresh enough"],
                  "neg": ["Not fresh", "Went bad fast"]},
    "taste": {"pos": ["Delicious", "Great flavor"], "neu": ["Just okay"], "neg": ["Tastes off", "Bland"]},
    "texture": {"pos": ["Perfect texture"], "neu": ["Fine"], "neg": ["Dry and crumbly"]},
    "quality": {"pos": ["Good quality", "Consistent"], "neu": ["As expected"], "neg": ["Poor quality"]},
    "value": {"pos": ["Great value", "Good price"], "neu": ["Fair price"], "neg": ["Overpriced"]},
    "packaging": {"pos": ["Well packed"], "neu": ["Okay"], "neg": ["Leaky packaging", "Damaged package"]},
    "size": {"pos": ["Generous size"], "neu": ["Okay size"], "neg": ["Smaller pack, same price", "Tiny portions"]},
    "availability": {"pos": ["Always in stock"], "neu": ["Usually there"], "neg": ["Never in stock"]},
    "scent": {"pos": ["Smells great"], "neu": ["Mild scent"], "neg": ["Scent too strong"]},
    "effectiveness": {"pos": ["Works great"], "neu": ["It works"], "neg": ["Doesn't work"]},
}
