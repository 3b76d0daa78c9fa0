"""The planner's refusal layer: questions nothing here can answer get a plain "I can't", never a look-alike answer.

Two kinds (the product rule: answer the question asked or say what cannot be done):
- **unknowable**: a prediction of something the models do not predict ("which customers will win the lottery",
  "what will the weather be"). The answer says so and lists what can be predicted instead.
- **data we do not hold** asked of a non-analytics tool ("why do customers return items", "what did we spend on
  ads", "the email address of customer 123"). The answer names the missing data and the closest thing we can do
  (for returns: search the reviews for mentions). A question that is explicitly about the reviews ("do reviews
  mention returns?") is a review search, not a refusal.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["unknowable_text", "unheld_text", "PREDICTABLE_TEXT", "is_future", "about_reviews"]

PREDICTABLE_TEXT = ("What I can predict from your data: who will buy in the next N days (purchase probability), "
                    "which valuable customers are at risk of lapsing (churn risk) and what each customer is worth "
                    "(lifetime value), what a customer will buy next (next-basket recommendations), who will buy a "
                    "given product or category, and forecasts of revenue, orders and active customers.")

_FUTURE = re.compile(r"\b(will|won't|wil|gonna|going to|predict\w*|forecast\w*|likely|likeliest|chances?|odds|"
                     r"probab\w*|expect\w*|tomorrow|next (week|month|quarter|year)|in the future|soon)\b")

# things no model here predicts (and no table holds); a question naming one of them with a future word is declined
_UNKNOWABLE = re.compile(
    r"\b(lotter(y|ies)|jackpot|winning numbers|weather|rain(fall|y)?|snow(fall)?|temperature|forecast for the sky|"
    r"stock (price|market)s?|share price|stock market|exchange rates?|bitcoin|crypto\w*|interest rates?|"
    r"elections?|(football|soccer|baseball|basketball|hockey|cricket) (match|game)|world cup|super ?bowl|"
    r"horoscope|earthquakes?|(the )?economy|recession|inflation|pandemic|lucky)\b")

# verbs a purchase/churn/forecast prediction is about; "will X <verb>" with any other verb is not predictable
_PREDICTABLE_VERBS = set("""buy buys purchase purchases order orders shop shops spend spends come return returns churn
churns leave leaves lapse lapses stop quit be is are make makes sell sells get gets need want like visit visits redeem
redeems respond convert use stay keep reorder have do grow drop fall rise increase decrease reach hit lose gain look
respond react open click bring generate earn cost pick choose try want add go""".split())
_SUBJECT = set("""we they he she it i you there our their the a an this that these those customer customers household
households shopper shoppers people buyer buyers client clients member members of which who what how many much most
least top best segment each every all any some next still also ever really actually probably likely revenue sales
turnover orders baskets spend spending demand business number numbers total totals units volume shop store product
products category categories department departments brand brands item items""".split())


def _near(word: str, words: set[str]) -> bool:
    """``word`` is one of ``words``, or a typo of one ("custmer", "by" for "buy")."""
    return word in words or (len(word) > 1 and bool(difflib.get_close_matches(word, words, n=1, cutoff=0.8)))


def is_future(question: str) -> bool:
    return bool(_FUTURE.search(question.lower()))


def _unpredictable_verb(t: str) -> str | None:
    """The verb of "will/going to <verb>" when it is none a prediction here is about ("win" in "will win ...")."""
    for m in re.finditer(r"\b(?:will|wil|gonna|going to)\s+((?:[\w'#]+\s+){0,4}?)([a-z]+)\b", t):
        words = m.group(1).split() + [m.group(2)]
        verb = next((w for w in words if not _near(w, _SUBJECT) and not w.isdigit() and not w.startswith("#")),
                    None)
        if verb and not _near(verb, _PREDICTABLE_VERBS) and not verb.endswith("ly"):
            return verb
    return None


def unknowable_text(question: str, route: str) -> str | None:
    """A decline for a prediction nothing here makes, else None.

    ``route`` is where the router sent the question: a verb outside what the models predict counts only when the
    router took it for a prediction (or for nothing), so "will revenue grow" / "who will buy coffee" pass."""
    t = question.lower()
    if not is_future(t):
        return None
    hit = _UNKNOWABLE.search(t)
    if hit is None and route in ("predict_buyers", "product_audience", "at_risk_customers", "customer_value",
                                 "recommend_products", "forecast", "out_of_scope", "help"):
        verb = _unpredictable_verb(t)
        if verb is not None:
            return (f"I can't predict that: whether someone will “{verb}” something is not in your data and not "
                    f"something my models forecast.\n\n{PREDICTABLE_TEXT}")
        return None
    if hit is None:
        return None
    return (f"I can't predict that: “{hit.group(0)}” is not in your data and not something my models forecast.\n\n"
            f"{PREDICTABLE_TEXT}")


# a question about the reviews themselves is a review question even when it names data we do not hold
_REVIEW_WORDS = re.compile(r"\b(reviews?|reviewers?|feedback|comments?|ratings?|rated|stars?|complain\w*|praise\w*|"
                           r"mention\w*|say(s|ing)?|said|write|wrote|written|talk\w*|opinions?|testimonials?)\b")


def about_reviews(question: str) -> bool:
    return bool(_REVIEW_WORDS.search(question.lower()))


# (pattern, what we do not hold, the closest thing we can do). Complements the analytics lexicon's list for
# questions that reach a non-analytics route (a review search, a campaign, a prediction).
_UNHELD: list[tuple[str, str, str]] = [
    (r"\breturn reasons?\b|\breasons? (for|of|behind) (the |their |our )?returns?\b|\breasons?\b[\w ]{0,30}\b(returning|"
     r"returned|returns?|send(ing)? (\w+ )?back)\b|\bwhy (do|did|are|were|would) "
     r"[\w ]{0,30}\b(return|returning|returned|send back|sending back)\b|\breturns? (data|rates?|reasons?)\b|"
     r"\b(returned|refunded) (items|products|orders|goods)\b|\brefunds?\b|\b(send|sent|sending|ship|shipping) "
     r"(\w+ ){0,2}back\b",
     "returns or refunds (which items came back, and why)",
     "I can search the reviews for what customers say about returning a product (\"do reviews mention returns?\")."),
    (r"\b(spend|spent|spending|cost|costs|budget|paid|pay)\b[\w ]{0,20}\b(ads|adverts?|advertising|advertisements?|"
     r"marketing|media|google ads|facebook ads)\b|\b(ad|advertising|marketing|media) (spend|costs?|budget)\b|\broas\b",
     "advertising or marketing spend", "I can report revenue, orders and coupon redemptions per campaign period."),
    (r"\b(web(site)?|site|online|app) (traffic|visits|visitors|sessions)\b|\bpage ?views\b|\bunique visitors\b",
     "web or app traffic", "I can count orders and active customers by day, week or month."),
    (r"\b(e-?mail|newsletter) (open|click)[\w-]*( rates?)?\b|\bopen rates?\b|\bclick[- ]?through\b|\bctr\b|"
     r"\bunsubscribe\w*\b|\bopened (our |the |an? )?([\w-]+ ){0,3}(e-?mails?|newsletters?)\b",
     "email engagement (opens, clicks, unsubscribes)",
     "I can report coupon redemptions and redemption rates by campaign."),
    (r"\bprospects?\b|\bleads\b|\bnon-?customers\b|\b(people|households|customers) (who|that) (have not|haven't|never) "
     r"(bought|shopped|purchased) (from us|with us|anything)( yet)?\b(?! (for|in|since|over|during|within|the (last|past)|"
     r"lately|recently|this|last|past)\b)|\bsign[- ]?ups?\b|\bsigned up\b|\bwe sign up\b",
     "people who have not bought yet (prospects, leads, sign-ups)",
     "I can rank your existing customers by predicted lifetime value (\"most valuable customers\")."),
    (r"\blose (\w+ ){0,3}to (a |the )?(amazon|walmart|costco|kroger|aldi|lidl|target|competitors?|rivals?)\b",
     "competitor data (who shops elsewhere)", "I can show which high-value customers are at risk of lapsing."),
    (r"\be-?mail (address(es)?|of)\b|\b(phone|telephone|mobile) (numbers?|of)\b|\bcontact (details|info\w*)\b|"
     r"\b(home|postal|mailing|street) address(es)?\b|\b(his|her|their|customer'?s?) (e-?mail|phone|address)\b",
     "customer contact details (email, phone, address)",
     "I can export customer ids for a segment or an audience, to join with your CRM."),
]


def unheld_text(question: str, route: str) -> str | None:
    """A decline naming the data we do not hold, for a question a non-analytics tool would otherwise answer
    with something else (a review search dressed as an answer). None when nothing unheld is asked for, or when
    the question is about the reviews themselves."""
    t = question.lower()
    if route in ("search_reviews", "summarize_reviews") and about_reviews(t):
        return None
    for pat, missing, closest in _UNHELD:
        if re.search(pat, t):
            return f"I can't answer that: I don't have {missing} in your data.\n\nThe closest I can do: {closest}"
    return None
