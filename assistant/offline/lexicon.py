"""The words of the analytics grammar: metric and dimension phrases, data we do not hold, filler words.

Every phrase maps to a name the semantic layer declares (models/analytics/layer.py); the parser keeps only the
names the workspace's layer actually offers and says so for the others.
"""

from __future__ import annotations

__all__ = ["SHORTHAND", "METRIC_PHRASES", "DIM_PHRASES", "UNHELD", "FILLER", "REVIEW_METRICS", "REVIEW_WORDS", "GROUP_CUES", "TIME_DIMS",
           "CUSTOMER_MEASURES"]

# chat shorthand a marketer types, expanded before routing and parsing (whole words, case-insensitive); nothing
# that can be a product word ("cat" food, "mo" as a name) or a one-letter word
SHORTHAND: dict[str, str] = {
    "hw": "how", "wat": "what", "wht": "what", "whats": "what is", "ppl": "people", "ppls": "people",
    "wk": "week", "wks": "weeks", "wkly": "weekly", "mo": "month", "mos": "months", "mth": "month", "mths": "months",
    "yr": "year", "yrs": "years", "qtr": "quarter", "qtrs": "quarters", "ytd": "year to date", "mtd": "this month",
    "dept": "department", "depts": "departments", "rev": "revenue",
    "cust": "customers", "custs": "customers", "hh": "households", "hhs": "households", "txn": "transactions",
    "txns": "transactions", "qty": "quantity", "amt": "amount", "num": "number", "pct": "percent",
    "b/w": "between", "w/": "with", "w/o": "without", "pls": "please", "plz": "please",
    "thx": "thanks", "vs.": "vs", "tot": "total", "wknd": "weekend", "wknds": "weekends", "wkend": "weekend",
    "hr": "hour", "hrs": "hours", "avg.": "average", "mgmt": "management",
}

# (regex over the normalised question, metric). Longer, more specific phrases first: the first match wins a span.
METRIC_PHRASES: list[tuple[str, str]] = [
    (r"(share|percent(age)?|proportion|fraction|%|how much) of (the |our |all )?(revenue|sales|spend|takings|turnover)"
     r"( that)? (comes?|came|is|was) (from|in) (the )?(baskets|orders|transactions|purchases|trips)( that| which)? "
     r"(where|with|that had|which had|that used|had|used|using|including) (a |any |one or more )?coupons?"
     r"( (was|were) used| applied| redeemed)?", "coupon_order_revenue_share"),
    (r"(revenue|sales|spend|takings) (from|of|in) (the )?(baskets|orders|transactions|purchases|trips)( that| which)? "
     r"(where|with|that had|which had|that used|had|used|using|including) (a |any |one or more )?coupons?"
     r"( (was|were) used| applied| redeemed)?", "coupon_order_revenue"),
    # reviews (issue 18): only as measured things, never a bare "reviews" (a topic search stays a review search)
    (r"(share|percent(age)?|proportion|fraction|%|ratio) of (1|one|1-2|1 or 2|one or two|1- or 2|low|bad|negative|"
     r"poor|unhappy)[- ]?(stars?[- ]?|star )?(ratings?|reviews?)|negative[- ]review (share|rate)|"
     r"(share|percent(age)?|proportion|fraction|%|ratio) of (reviews|ratings) (that are|which are|are|with|"
     r"giving|rated) (negative|bad|low|poor|1|one)( or (2|two))?( stars?)?", "share_negative"),
    (r"(number of|how many|count of|total|volume of) (product )?reviews|review (count|volume)s?|"
     r"reviews (per|by|each|a|every) (month|week|quarter|year|product|category|department|brand)", "review_count"),
    (r"(average|avg|mean|overall|typical) (star |customer |review )?ratings?|(average|avg|mean) (number of )?stars?|"
     r"star ratings?|ratings?|rated|how (is|are) .{1,40}? rated", "avg_rating"),
    (r"(number of|how many|count of|total) (marketing )?campaigns|campaign count|(the )?(most|fewest|more|fewer|"
     r"highest number of|largest number of) campaigns", "campaigns"),
    (r"(coupon|coupons) (and|&|\+|plus) (retailer|store|shop) discounts?|(retailer|store|shop) (and|&|\+|plus) coupon "
     r"discounts?|(all|both kinds of|both types of) discounts?( combined| together)?|discounts? of (both|all) kinds",
     "all_discounts"),
    (r"(ran|run|runs|running|lasted|lasts|lasting|went on)( the)?(?= ~| longest| shortest| the longest| the shortest)|"
     r"(?<=campaign )(length|duration)s?|(length|duration) of (the |each |our )?campaigns?|how long (did|does|was|were|do) "
     r"([~\w]+ ){0,3}?(run|last|go on)|(longest|shortest)[- ]running", "campaign_days"),
    (r"(number of|how many|count of|count the) (different |distinct |unique |individual )?(stores|shops|locations|"
     r"branches|outlets)|store count", "stores"),
    (r"(average|avg|mean|typical) (number of )?(different |distinct |unique )?(products|items|skus) (bought )?(per|by|for "
     r"each|for an?|for the average) (customer|household|shopper|buyer|client)|(how many|number of) (different |distinct )?"
     r"(products|items|skus) (does|do|did) (a|an|the|each|the average|a typical) (customer|household|shopper)s? buy",
     "products_per_customer"),
    (r"((number of|how many|count of|count the) (different |distinct |unique |individual )?(products|skus|"
     r"articles)|(number of|how many|count of) (different|distinct|unique) items|product count|sku count)"
     r"(?![^?]*\b(per|in an?|in each|in the|each|every|by|for the average|for an?) (average |typical )?(basket|order|"
     r"trip|visit|cart|customer|household|shopper|buyer|client)s?\b)", "products"),
    (r"(number of|how many|count of|count the) (different |distinct |unique )?brands|brand count", "brands"),
    (r"(number of|how many|count of|count the) (different |distinct |unique )?(product )?categories", "categories"),
    (r"(number of|how many|count of|count the) (different |distinct |unique )?departments", "departments"),
    (r"(share|percent(age)?|proportion|fraction|%) of (the )?(targeted |reached )?(customers|households|shoppers|people)"
     r"( (targeted|reached|mailed|sent|contacted|in|of|on|by|from) [^?]{0,40}?)? "
     r"(who |that )?(redeemed|used|have redeemed|have used)( (a |any |at least one )?coupons?)?|customer redemption rates?",
     "customer_redemption_rate"),
    (r"coupon redemption rates?|redemption rates?", "coupon_redemption_rate"),
    (r"(average|avg|mean|typical) (number of )?(households|customers|people|shoppers) (targeted |reached )?(per|in each|in a|"
     r"for each|by) campaign|(average|avg|mean) (campaign )?reach( per campaign)?|reach per campaign",
     "reach_per_campaign"),
    (r"(got|received|were sent|were in|were part of|have had|had|were targeted by|were reached by) (at least one|any|a|one "
     r"or more|1 or more) campaigns?|campaign reach|reach(ed|es)?|customers? (were )?targeted|targeted (customers|households|shoppers|people)|"
     r"people targeted|targeted|targets|(did|does|do) (~+|campaign ~?\w+|the campaign|that campaign|it|they|we) target|"
     r"(households|customers|people|shoppers) (in|on) (the )?campaign'?s? (list|audience|target list)", "campaign_reach"),
    (r"(customers|households|shoppers|people|buyers)( who| that)?( have| had| ever)? (redeemed|used)( at least one| at least 1|"
     r" a| any| one or more| one)?( coupons?)?|redeeming (customers|households|shoppers)|"
     r"redeemers", "redeeming_customers"),
    (r"(how many|number of) coupons(?=[^?]{0,40}?\bredeemed\b)|redeem(s|ed|ing)? (the )?([~\w]+ )?coupons?|coupon redemptions?|coupons? (were |was |have been |got )?redeemed|redeemed coupons?|redemptions?|coupons (were |got |have been |been )?used|coupon use", "coupon_redemptions"),
    (r"(orders|baskets|transactions|purchases|trips)( that| which)? (had|have|with|got|received|carried)( an?| any)? "
     r"(retailer |store )?discounts?( (applied|on (it|them)))?|discounted (orders|baskets|transactions)",
     "orders_with_discount"),
    (r"(orders|baskets|transactions|purchases|trips) (where|in which|with which|on which) (an? |any |the )?coupons? "
     r"(was |were |got |had been )?(used|applied|redeemed)|"
     r"(orders|baskets|transactions|purchases|trips)( that| which)? (had|have|with|used|using)( an?| any)? coupons?"
     r"( (applied|used|discount|redeemed))?|coupon orders|orders (paid )?with coupons?", "orders_with_coupon"),
    (r"(average |avg |mean )?coupon (discount|saving)s? per (coupon )?(order|basket|transaction)( where| with| in which)?"
     r"( an?| the)?( coupon)?( was| were)?( used| applied| redeemed)?", "coupon_discount_per_coupon_order"),
    (r"discounts? (as an?|as|in) (%|percent|percentage|share|proportion) of (revenue|sales)|discount rate|"
     r"discount (share|%) of (revenue|sales)", "discount_share_of_revenue"),
    (r"coupon discounts?|coupon savings|coupon value|value of coupons|((dollars?|money|amount|value) )?(off|saved|"
     r"savings?|discounted) (from|with|through|via|by|on|thanks to|using) (the |our )?coupons?|"
     r"(saved|knocked off|taken off) (by|with|through|via|using) coupons?", "coupon_discount"),
    (r"(average |avg |mean |typical )?(time|days|gap|gaps|interval|intervals|number of days|how (long|many days)) "
     r"(is there |are there |do (customers|people|shoppers|households) (wait|go|take) )?between (their |two |each |"
     r"consecutive )?(orders|purchases|visits|trips|baskets|shopping trips)|(purchase|order|buying|shopping|"
     r"inter-?purchase) (intervals?|cycles?|gaps?)|days between (orders|purchases|visits)", "days_between_orders"),
    (r"(how many|number of|count of|count the) repeat (customers|households|shoppers|buyers)", "repeat_customers"),
    (r"(shop|shops|shopped|buy|buys|visit|visits|come in|comes in|order|orders) (the )?(~+ |most |least |more |less )?"
     r"(often|frequently)|how (often|frequently) (do|does|did)", "orders_per_customer"),
    (r"(more|less|most|least) valuable", "revenue_per_customer"),
    (r"repeat (customer|purchase|buyer)s?( share| rate)?|repeat rate|share of (customers|buyers) (who )?(bought|buy|"
     r"ordered|shop(ped)?) (more than once|again|twice)|buy more than once|bought more than once|retention( rate)?",
     "repeat_customer_share"),
    (r"(share|percent(age)?|proportion|fraction|%) (of |(?=~))(the |our |all )?([~\w-]+ |~+){0,3}?(customers|households|shoppers|"
     r"buyers|clients)( who| that)?( were| are| was| is)? (returning|repeat|existing)( customers| households| shoppers| "
     r"buyers)?|(returning|repeat) (customer|household|shopper|buyer) (share|rate|percent(age)?)", "returning_customer_share"),
    (r"(share|percent(age)?|proportion|fraction|%) (of |(?=~))(the |our |all )?([~\w-]+ |~+){0,3}?(customers|households|shoppers|"
     r"buyers|clients)( who| that)?( were| are| was| is)? (new|first[- ]time)( customers| households| shoppers| "
     r"buyers)?|new (customer|household|shopper|buyer) (share|rate|percent(age)?)", "new_customer_share"),
    (r"(percent(age)?|share|proportion|%) of (our )?(revenue|sales) (do |did )?(we )?(give|gave|hand|handed|lose|lost) "
     r"(back|away)( as| in| to)? (retailer |store )?discounts?", "discount_share_of_revenue"),
    (r"(new|first[- ]time) (customer|household|shopper|buyer)s?'? (revenue|sales|spend(ing)?)", "new_customer_revenue"),
    (r"(returning|repeat|existing) (customer|household|shopper|buyer)s?'? (revenue|sales|spend(ing)?)",
     "returning_customer_revenue"),
    (r"new (vs\.?|versus|and|or) returning( customers| households| shoppers| buyers)?|new (customers|households|shoppers|buyers)|first[- ]time (customers|buyers|shoppers)|customer acquisition|"
     r"acquired customers", "new_customers"),
    (r"returning (customers|households|shoppers|buyers)", "returning_customers"),
    # "what fraction of customers are married": the customers counted, the share word left to the share parse
    (r"(share|percent(age)?|proportion|fraction|%|how many) of (the |our |all |my )?(?P<who>customers|households|shoppers|"
     r"buyers|clients)(?= (are|were|is|have|own|rent|live|with|without|aged?|earn|in)\b| ~)", "customers"),
    (r"(how many |number of |average number of |avg number of |mean number of )?(line items|items|products|lines|"
     r"things) (are |is |do (we|customers|people|shoppers) (buy|put) |does a customer buy )?(in|per|on) (an? |the |"
     r"each |every |one )?(average |typical |avg |mean |single )?(order|basket|transaction|trip|cart|checkout)s?"
     r"(?! (data|table|history|file|lines|records))|"
     r"(items|line items|lines) per (order|basket|transaction|trip)|(how many |number of )?(items|products|lines|things) "
     r"(does|do|did|will) (the |an? |each |one )?(average |typical |usual )?(order|basket|cart|trip|transaction)s? "
     r"(have|has|contain|hold|include)|(average|avg|mean) (number of )?(items|lines|"
     r"line items|products) (per|in an?|on an?) (order|basket|transaction|trip)|basket size in items|"
     r"(average|avg|mean|typical) (basket|order) size in items", "line_items_per_order"),
    (r"(average |avg |mean )?(units|items) (bought |purchased )?(per|by each|for each|for the average) (customer|"
     r"household|shopper|buyer|client)", "units_per_customer"),
    (r"units (sold |bought |purchased )?(are |is )?(in|per) (an? |the |each )?(average |typical )?(order|basket|transaction|trip)|"
     r"(average|avg|mean) (number of )?units (per|in an?) (order|basket|transaction|trip)", "units_per_order"),
    (r"(?!(how many|the number of) \w+ did (our |all |the )?(customers|households|shoppers|buyers|clients)\b)"
     r"(how many|average number of|avg number of|mean number of|the number of) (orders|times|visits|trips|purchases|"
     r"baskets|transactions) (does|do|did|will|would) (a|an|the|each|every|our|one)? ?(average |typical |single )?"
     r"(customer|household|shopper|buyer|client)s?( (place|make|shop|order|buy|visit|have|come))?|"
     r"(average|avg|mean|typical) (number of )?(orders|visits|trips|purchases|baskets) (per|by|of|for|from) (a |an |"
     r"each |one )?(customer|household|shopper|buyer)s?|"
     r"(average|avg|mean|typical) (customer|household|shopper)'?s? (number of )?(orders|visits|trips)", "orders_per_customer"),
    (r"(average|avg|mean|typical) (basket|order|ticket|transaction|purchase|cart)( size| value| amount| spend)?|"
     r"(baskets|orders|carts) (are |were |is )?(bigger|larger|smaller|higher|lower)|(bigger|larger|smaller|biggest|largest|smallest) (baskets|orders)|"
     r"basket (size|value)|aov|(spend|revenue|sales|spent|spending|money) per (shopping |store )?(order|basket|"
     r"transaction|trip|visit|checkout)|(average|avg|mean|typical) (spend|spending|revenue|sales|amount spent) (per|on "
     r"an?|for an?|in an?) (shopping |store )?(order|basket|transaction|trip|visit|checkout)|"
     r"order value", "avg_basket"),
    (r"(orders|baskets|visits|trips|transactions|purchases) per (customer|household|shopper|buyer)|"
     r"purchase frequency|shopping frequency|order frequency", "orders_per_customer"),
    (r"(revenue|sales|spend|spending|spent) per (customer|household|shopper|buyer|head)|arpu|"
     r"(spend|spends|spent|spending) (more |less )?(money )?per (customer|household|shopper|buyer|head)|"
     r"how much (does|do|did|will) (a|an|the|each|the average|our average|a typical|our typical|one|every) "
     r"(customer|household|shopper|buyer|client)s? (spend|spends|spent)|"
     r"(spends?|spent|spending|spend) (more|less|the most|most|the least|least)? ?on (average|avg)|on (average|avg),? (who|which \w+) "
     r"(spends?|spent)|(average|avg|mean) (spend|spending) (each|apiece|per head)|(spend|spends|spent) (more|less) "
     r"(money )?than (the ones|those|ones|the others|others|customers|households|people|shoppers)|"
     r"(average|avg|mean) (customer|household) (spend|value|revenue)|(average|avg|mean) (spend|spending) "
     r"(of|by|per) (a )?(customer|household)s?", "revenue_per_customer"),
    (r"(average |avg |mean )?(unit price|price per (unit|item)|selling price|item price|(average|avg|mean) (price|prices))|"
     r"prices? (per|of an?|for an?) (unit|item)", "price_per_unit"),
    (r"line items?|order lines?|lines sold|basket lines", "line_items"),
    (r"units?( sold)?|quantity|quantities|how many items|number of items|items sold|volume", "units"),
    (r"(average|avg|mean|typical) (retailer |store )?discounts? (per|an?|each|on an?) (order|basket|trip|transaction|"
     r"visit)|discounts? per (order|basket|trip|transaction|visit)", "discount_per_order"),
    (r"(retailer |store |total )?discounts?( given)?|markdowns?|money off", "discount"),
    (r"(number of |how many |count of |total )?(orders|baskets|transactions|purchases|trips|shopping trips|visits|"
     r"checkouts)|order counts?|basket counts?", "orders"),
    (r"(bought|purchased|shopped|ordered) by (the )?(most|fewest|least|highest number of|largest number of) "
     r"(customers|households|shoppers|buyers|people)|(most|fewest) (customers|households|shoppers|buyers)", "customers"),
    (r"(number of |how many |count of |total |distinct |unique |active )((different|distinct|unique|individual|separate|"
     r"actual|active|real) )?(customers|households|shoppers|buyers|clients)|(customer|household|shopper|buyer) (numbers|"
     r"counts?)|(more|fewer|less) (customers|households|shoppers|buyers)|customer count|household count|(customers?|households?|shoppers?|people|buyers?) (who |that )?(have )?(bought|shopped|shop|purchased|ordered|visited)|"
     r"(customers|households|shoppers|buyers) (who were |that were |who are |that are )?active", "customers"),
    (r"(how much|what) (did|does|do)(?! (we|they|you|i|customers|households|people|shoppers)\b)(?=( the| our)?"
     r"( [~\w&'-]+){1,4}? (make|earn|bring in|take in|generate|gross)\b)|"
     r"revenue|sales|turnover|takings|gmv|money|spend|spending|spent|(how much|what) did (we|they|customers|"
     r"households) (make|sell|earn|take)|(how much|what) (we|they) (made|sold|earned)|earn(ed|ings)?|"
     r"sold|sells|sell|income from sales|(bring|brings|brought|bringing) in|(took|take|takes|taken|taking) in", "revenue"),
]

# (regex, dimension): words that name a dimension (as a group-by when a cue precedes them)
DIM_PHRASES: list[tuple[str, str]] = [
    (r"campaign types?|types? of campaigns?|kinds? of campaigns?", "campaign_type"),
    (r"campaigns?", "campaign"),
    (r"day of (the )?week|days of (the )?week|weekdays?|week ?days?", "weekday"),
    (r"hour of (the )?day|time of (the )?day|hours?|hourly", "hour"),
    (r"days?|daily|dates?", "day"),
    (r"weeks?|weekly", "week"),
    (r"months?|monthly|calendar months?", "month"),
    (r"quarters?|quarterly", "quarter"),
    (r"years?|yearly|annual(ly)?", "year"),
    (r"departments?|depts?", "department"),
    (r"(product )?categor(y|ies)|product types?|commodit(y|ies)", "category"),
    (r"brands?|brand types?|private label vs national|national vs private", "brand"),
    (r"products?|items?|skus?|articles?", "product"),
    (r"stores?|shops?|locations?|branch(es)?|outlets?", "store"),
    (r"(customer )?segments?|clusters?|customer groups?", "segment"),
    (r"(household )?income( groups?| bands?| brackets?| levels?| ranges?| classes?)?", "income"),
    (r"age( groups?| bands?| brackets?| ranges?| classes?)?|ages", "age"),
    (r"home ?ownership( status)?|home ?owner status|owner status|renter status|homeowners? (vs|or|and) renters?|"
     r"owners? (vs|or|and) renters?|housing( status)?|"
     r"own or rent|owning or renting", "home_ownership"),
    (r"marital status|married (vs|or|and) (single|unmarried)", "marital_status"),
    (r"household sizes?|size of (the )?households?|household members|people in the household", "household_size"),
    (r"household (composition|comp|types?|makeup)|family types?", "household_comp"),
    (r"(number of )?(kids|children)( count)?|kids count", "kids_count"),
]
TIME_DIMS = ("day", "week", "month", "quarter", "year", "weekday", "hour")

# words before a dimension that make it a group-by
GROUP_CUES = (r"by|per|each|every|across|split by|broken down by|breakdown by|break(ing)? down by|for each|for every|"
              r"rank|rank the|rank our|rank all|ranking of|sort|sort the|list the|compare the|peak|"
              r"for all|which|what|top \d+|bottom \d+|top|bottom|best|worst|all|among|between|grouped by|group by|over|compare|"
              r"biggest|largest|leading|highest|lowest|smallest|most|least|best[- ]selling|selling|performing|popular")

# data no table of ours holds: (regex, plain words)
UNHELD: list[tuple[str, str]] = [
    (r"ad(vertising)? spend|advertising (spend|costs?|budget)|marketing (spend|costs?|budget)|media spend|"
     r"cost per (click|acquisition|lead)|cpc|cpa|cpm|roas|return on ad spend|ad budget|"
     r"(google|facebook|meta|instagram|tiktok|bing|youtube|search|display|social|paid|online|tv|radio) ads?|adwords|"
     r"ads? (cost|costs|spend|spending|budget)|"
     r"(customer )?acquisition costs?|cac|cost to acquire|campaign costs?|costs? of (the |our )?campaigns?",
     "advertising or acquisition costs"),
    (r"impressions|click[- ]?through( rates?)?|ctr|clicks|clicked|ad clicks|open rates?|email opens?|unsubscribes?|"
     r"open(ed|s)? (our |the |an? |their )?([\w-]+ ){0,3}(e-?mails?|newsletters?|messages?|mailers?|campaigns?)|"
     r"(e-?mails?|newsletters?|mailers?|messages?) (were |was |got |get |gets |are |is |being )?(opened|read|clicked)|"
     r"bounce rates?", "ad or email engagement (impressions, clicks, opens)"),
    (r"foot ?fall|foot traffic|store traffic|walk-?ins|door counts?|people (coming|walking) (in|through)|passers-?by",
     "store foot traffic (only the shoppers who bought, in the orders)"),
    (r"web(site)? (traffic|visits|visitors|sessions)|site (traffic|visits|visitors)|page ?views|sessions|"
     r"unique visitors|online traffic|app (installs|downloads|users)", "web or app traffic"),
    (r"e-?mail address(es)?|e-?mails? of|(their|his|her|customer'?s?) e-?mails?|phone numbers?|"
     r"(home |postal |mailing )?address(es)?|contact details|names? of (the )?customers?|customer names?|"
     r"date of birth|birthdays?|gender|ethnicity", "customer contact or identity details"),
    (r"prospects?|leads|non-?customers|(people|customers|households) (who|that) (have not|haven't|never) (bought|shopped|"
     r"purchased) (from us|with us|anything)( yet)?(?! (for|in|since|over|during|within|the (last|past)|lately|recently|"
     r"this|last|past) )|sign[- ]?ups?|signed up|we sign up|not yet (bought|customers)",
     "people who have not bought (prospects, leads, sign-ups)"),
    (r"(gross |net |profit )?margins?|profits?|profitability|cost of goods( sold)?|cogs|markup|unit costs?|"
     r"wholesale (cost|price)s?|earnings before", "costs, margins or profit"),
    (r"returns? rate|refunds?|returned items|product returns|how many returns|number of returns|returns|"
     r"return reasons?|reasons? for return\w*|returning (products|items|goods|purchases|orders|things|stuff|it|them)|"
     r"(products|items|orders) (being |getting |were |are )?returned|send (it |them |products |items )?back",
     "returns or refunds as a measure"),
    (r"inventory|stock levels?|out of stock|stockouts?|in stock|shelf space", "inventory or stock"),
    (r"shipping|delivery times?|deliveries|fulfil?ment|shipments?", "shipping or delivery"),
    (r"nps|net promoter|customer satisfaction|csat|survey", "satisfaction surveys"),
    (r"cart abandon\w*|abandoned carts?|checkout abandon\w*|conversion rates?|funnel", "web conversion or cart data"),
    (r"(lose|lost|losing) (customers |shoppers |them |business |sales )?to (a |the )?[a-z]+|amazon'?s? (prices|share)|"
     r"competitors?|market share|competition|rivals?|walmart'?s?|costco'?s?|kroger'?s?|aldi'?s?|lidl'?s?|tesco'?s?|"
     r"safeway'?s?|publix'?s?|trader joe'?s?|whole foods'?|sainsbury'?s?|walgreens'?|other (stores|retailers|chains|"
     r"supermarkets|grocers)'? (prices|sales)|(their|other retailers'?|others'?) prices", "competitor or market data"),
    (r"employees?|staff|cashiers?|headcount|wages|payroll", "staff data"),
    (r"weather|temperature|rain", "weather"),
    (r"social media|followers|instagram|facebook|twitter|tiktok|likes", "social media"),
]

# what a customer-level condition measures, by the words after the number
CUSTOMER_MEASURES: list[tuple[str, str]] = [
    (r"orders?|baskets?|purchases?|visits?|trips?|transactions?|times", "orders"),
    (r"items?|units?", "units"),
    (r"stores?|shops?|locations?|branch(?:es)?", "stores"),
    (r"(?:different |distinct )?products", "products"),
]

# the layer's metrics over the reviews table, and the words that only name what such a metric measures ("the mean
# star rating of our reviews"): filler when the question asks for one of these metrics
REVIEW_METRICS = frozenset({"avg_rating", "review_count", "share_negative"})
REVIEW_WORDS = frozenset("review reviews reviewed rating ratings rated star stars received written wrote left".split())

# words that carry no query content (what remains after the parse must be empty or filler)
FILLER = set("""a an the of for in on at to and or is are was were be been being do does did done what which who whom
how why when where about with from by me us our ours we my i you your show showing find give gave list tell any some
all there their them they it its this that these those please can could would should will shall let see get got have
has had look looking compare compared comparing versus vs against between each every per total overall much many
number count amount value values sum level levels most more less least fewest than highest lowest biggest smallest
largest top bottom best worst rank ranking ranked order ordered sort sorted sorting breakdown break broken down split
across among over under above below up into out via vs. so far year month week day quarter time times period periods
during since until till before after last past previous prior this current next same also just only then now
please ok okay hey hi one two three four five six seven eight nine ten n number percent percentage share %
table chart graph plot trend trends trending went go going goes did do grow grew growth change changed changes
increase increased decrease decreased drop dropped fall fell rise rose difference differ differences vs
customer customers household households shopper shoppers people buyer buyers client clients spender spenders
purchaser purchasers
make made earn earned sell sold bring brought generate generated come comes came from were
different distinct unique individual separate redeemed redeem applied apply used using
start starting started beginning begin end ending
like such kind kinds type types sort whole entire full complete record data numbers figures figure stats statistics
report summary summarise summarize overview give tell show display see view get pull fetch compute calculate
big small high low good bad great strong weak performing performance perform performed doing done
spent spend spending buy bought purchase purchased shop shopped shopping order ordered placed place
had having has been being get got getting say says said know known exactly roughly approximately about around
distinct unique individual separate respectively respective overall altogether combined together
ago back recent recently lately latest newest oldest first second third fourth half quarter's month's year's week's
mine ours theirs own owned lot lots bit few several various some both either neither other others another
well very really quite much more most many something anything everything thing things stuff
happen happened happening look looks looked like selling seller sellers performing performer performers
popular brings bring run ran running launch launched sent send account accounts accounted represent represents
responsible make makes visit visited visiting average avg mean typical both
aged old older younger olds earning earners move moves moved moving shift shifts shifted active
bigger larger greater higher lower smaller better worse fewer beat beats outperform outperformed outsold outsell
exceed exceeded surpass surpassed given giving pick picked real quick quickly rundown run-down need needs needed
want wanted serve served serving section sections aisle aisles folks guys peeps buying making drive drives drove driven driving deliver delivers delivered
contain contains contained containing include includes included including
crowd bunch gang terms wins winner winning dependent reliant depend depends rely relies relying finish finished
merchandise wise meaning means mean actually actual rather saw seen sees file size sizes bracket brackets band bands
within inside amongst whilst
almost am anyhow anyway as because beside besides eg etc ie else even hence her here herself him his however if indeed
itself may might meanwhile moreover mostly must myself namely nevertheless ourselves perhaps seem seemed seems she he
somehow themselves therefore thereby though although thus too toward towards upon whatever whereas whether whose yours
yourself yourselves onto through thru throughout along approx ballpark basically literally honestly currently generally
kindly wondering wonder curious reckon guess ish boss manager managers colleague colleagues team asked asking ask
thanks thank cheers everyone everybody anyone check checking barely point but take took taking
once ever away used use acquire acquired gain gained win won attract attracted redeemed""".split())
