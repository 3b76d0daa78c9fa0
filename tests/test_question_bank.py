"""The held-out question bank (issue 12, build item 8) asked of the offline assistant on the demo workspace.

The bank and its ground truths are in tests/question_bank.py (independent pandas, written without reading the
planner). An answerable question is right when its ground-truth numbers (and, for rankings, the top item) are in
the answer; a refusal question is right only when the answer declines. `bench/question_bank.py` prints the same
grading as a table per category into bench/results/question_bank.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import pytest

from tests import question_bank_heldout as heldout
from tests import question_bank_heldout2 as heldout2
from tests import question_bank_heldout3 as heldout3
from tests import question_bank_heldout4 as heldout4
from tests import question_bank_heldout5 as heldout5
from tests import question_bank_heldout6 as heldout6
from tests import question_bank_tune as tune
from tests import question_bank_tune2 as tune2
from tests import question_bank_tune3 as tune3
from tests import question_bank_tune4 as tune4
from tests import question_bank_tune5 as tune5
from tests.question_bank import (ANSWERABLE, QUESTIONS, REFUSALS, BankData, Question, either, expects_of, grade,
                                 markdown_table, one, parse_numbers, ranked, run_bank, summarize)

# the issue's target; the lead sets it to the measured number once the planner rewrite lands (and says the gap)
# The issue's targets are 95% answer accuracy and no confident answer on the refusal set. Measured on main
# (528cbad, 2026-12-03): 69/100 answerable right (14 declined, 17 wrong) and 6/26 refusals answered confidently
# (bench/results/question_bank.md lists every miss). Session 4 (main 922b767, 17:56 UTC): 99/100 and 1/26, but this
# DEV bank is the one the planner was tuned on, so it is no longer a fair measure (see the held-out bank below);
# these limits sit just under it so that a regression fails CI.
ISSUE_TARGET_ACCURACY, ISSUE_TARGET_CONFIDENT_REFUSALS = 0.95, 0
# Session 8 (main c570405, 18:25 UTC): 100/100 and 0/26; one question of slack each.
ANSWER_ACCURACY_FLOOR = 0.99
MAX_CONFIDENT_REFUSALS = 1


@pytest.fixture(scope="module")
def bank_data(demo_workspace):
    return BankData(demo_workspace)


def _ask_offline(ws):
    from assistant.agent import build_agent
    from assistant.offline import OfflinePlanner
    from assistant.session import ChatSession
    from tools import ToolContext, build_tools

    ctx = ToolContext(ws)
    agent = build_agent(OfflinePlanner(context=ctx), build_tools(ctx))
    return lambda text: ChatSession(agent, "offline").ask(text).answer


@pytest.fixture(scope="module")
def rows_of(demo_workspace):
    """The graded answers of one bank, asked once per module: ``rows_of("dev")``."""
    cache: dict[str, list[dict]] = {}

    def rows(bank: str) -> list[dict]:
        if bank not in cache:
            cache[bank] = run_bank(demo_workspace, _ask_offline(demo_workspace), BANKS[bank].questions)
        return cache[bank]
    return rows


def _failures(rows: list[dict], limit: int = 400) -> str:
    out = []
    for r in rows:
        answer = " ".join(r["answer"].split())
        out.append(f"- [{r['id']}] {r['question']!r} -> {r['verdict']}: {r['why']}\n    answer: {answer[:limit]}")
    return "\n".join(out)


# ------------------------------------------------------------------------------ the bank itself (no planner)
def test_bank_size_and_ids():
    assert len(ANSWERABLE) >= 80 and len(REFUSALS) >= 20
    ids = [q.id for q in QUESTIONS]
    assert len(ids) == len(set(ids))
    assert len({q.text.lower() for q in QUESTIONS}) == len(QUESTIONS)


def test_every_ground_truth_computes(bank_data):
    for q, e in ((q, e) for q in ANSWERABLE for e in expects_of(q.truth(bank_data))):
        assert e.alternatives and all(alt for alt in e.alternatives), q.id
        assert all(math.isfinite(v) for alt in e.alternatives for v in alt), q.id
        if e.name:
            assert all(e.name), q.id


def test_number_parsing_reads_what_a_reader_sees():
    got = [(round(s.value, 4), s.half_unit) for s in parse_numbers(
        "Revenue (2017-01-01 to 2018-01-01): **$593,558.04**, 1.2k orders, 12.3% share, down -5%, 0.6M, at 22:00 in 2017-Q4")]
    assert got == [(593558.04, 0.005), (1200.0, 50.0), (12.3, 0.05), (-5.0, 0.5), (600000.0, 50000.0)]


def test_grading_rules(bank_data):
    total = Question("t", "totals", "total revenue?", lambda d: one(1234.56))
    assert grade(total, "Revenue: $1,234.56.", bank_data)[0] == "right"
    assert grade(total, "Revenue: $1.23k.", bank_data)[0] == "right"  # shown to 0.4%: within its precision
    assert grade(total, "Revenue: $1k.", bank_data)[0] == "wrong"  # too coarse to count
    assert grade(total, "Revenue: $1,240.00.", bank_data)[0] == "wrong"
    assert grade(total, "I can't compute that; here is $9.", bank_data)[0] == "declined"
    refusal = Question("r", "not held", "ad spend?")
    assert grade(refusal, "We don't have ad spend in your data.", bank_data)[0] == "right"
    assert grade(refusal, "Revenue: $1,234.56.", bank_data)[0] == "wrong"
    rank = next(q for q in ANSWERABLE if q.id == "rk-cat")
    top = rank.truth(bank_data)
    value = f"${top.alternatives[0][0]:,.2f}"
    assert grade(rank, f"Top category: {top.name[0]} ({value}), then {top.rivals[0][0]}.", bank_data)[0] == "right"
    assert grade(rank, f"Top: {top.rivals[0][0]}; {top.name[0]} {value}.", bank_data)[0] == "wrong"
    # a count shown as a whole number is exact (28 is 28, not "too coarse"); 27 or 28.4 is not 28
    count = Question("c", "totals", "how many?", lambda d: one(28))
    assert grade(count, "Customers, age = 45-54: **28**", bank_data)[0] == "right"
    assert grade(count, "Customers: 27", bank_data)[0] == "wrong"
    # a full date in the restatement names no month: "2017-01-01 to 2017-12-31" does not rank 2017-01 first
    month = Question("m", "time series", "slowest month?",
                     lambda d: ranked(pd.Series({"2017-02": 1.0, "2017-01": 2.0}), ascending=True))
    assert grade(month, "Revenue by month (2017-01-01 to 2017-12-31): lowest **2017-02** with $1.00",
                 bank_data)[0] == "right"
    assert grade(month, "lowest 2017-01, then 2017-02 with $1.00", bank_data)[0] == "wrong"
    # either: two readings, each whole ("busiest day" by orders or by revenue); a name from one reading with the
    # number from the other is wrong
    busiest = Question("b", "time series", "busiest day?", lambda d: either(
        ranked(pd.Series({"Sunday": 30.0, "Monday": 20.0})), ranked(pd.Series({"Monday": 500.0, "Sunday": 400.0}))))
    assert grade(busiest, "By orders: Sunday (30), then Monday", bank_data)[0] == "right"
    assert grade(busiest, "By revenue: Monday ($500.00), then Sunday", bank_data)[0] == "right"
    assert grade(busiest, "Sunday ($500.00), then Monday", bank_data)[0] == "wrong"


# ---------------------------------------------------------------------- the offline assistant on the bank
def test_grader_on_an_oracle_and_on_the_grand_total(bank_data):
    """Every answerable question can be graded right (an answer that states its ground truth), and the old
    failure, the grand total given for any question, is right only for the three grand-total questions."""
    d = bank_data
    for q in ANSWERABLE:
        e = expects_of(q.truth(d))[0]
        oracle = (f"{e.name[0]}: " if e.name else "") + ", ".join(f"{v:,.2f}" for v in e.alternatives[0])
        assert grade(q, oracle, d) == ("right", ""), (q.id, oracle)
    o = d.orders
    total = (f"Revenue in all data (2017-01-01 to 2018-01-01): ${o['amount'].sum():,.2f}; orders "
             f"{o['order_id'].nunique():,}; customers {o['customer_id'].nunique():,}; line items {len(o):,}.")
    passed = {q.id for q in ANSWERABLE if grade(q, total, d)[0] == "right"}
    assert passed == {"tot-rev", "tot-orders", "tot-cust", "tot-lines"}


# ------------------------------------------------------------------------------------ the held-out bank
# tests/question_bank_heldout.py was written without reading the planner, its tests or the dev bank's questions;
# the planner was never tuned on it. Issue targets as above (95% right, 0 confident refusals).
# Measured on main (886ddb5 + this bank, 2026-12-03 17:22 UTC, demo workspace, 300 households):
# 75/119 answerable right (63.0%; 18 declined, 26 wrong) and 10/33 refusals answered confidently.
# Re-measured on main 89e1415 (17:46 UTC, after the planner's later landings): 93/119 right (78.2%; 8 declined,
# 18 wrong), 6/33 refusals answered confidently (dev bank in the same run: 99/100, 1/26).
# Same again on main 922b767 (17:56 UTC, lead): 93/119 (78.2%) and 6/33. The floors (0.74 / 8) sit a little under
# that so a regression fails; the gap to the targets (95% / 0) is the planner's and is NOT closed.
# Session 8 (main c570405, 18:25 UTC, after the set operations and the fixes found on the lead's own probes; the
# lead diagnosed one regression on this bank's h-cc-type-a, so it is no longer perfectly blind): 98/119 (82.4%;
# 6 declined, 15 wrong) and 3/33. Floors one question under.
# Later on session 8 (generic fixes from the lead's own probes: distinct counts, "change from X to Y",
# revenue from new customers): 100/119 and 3/33.
# End of session 8 (chat shorthand, unread numbers named, same-name department/category): 102/119 and 2/33.
# Session 9 (main f763fda; the lead read this bank's misses, so it is a tuning bank now): 119/119 and 0/33.
HELDOUT_ACCURACY_FLOOR = 117 / 119
HELDOUT_MAX_CONFIDENT_REFUSALS = 1


def test_heldout_expect_helpers(bank_data):
    d = bank_data
    # versus: either side may be the base of the change
    v = heldout.versus(120.0, 100.0)
    q = Question("v", "comparisons", "a vs b?", lambda _d: v)
    assert grade(q, "A: $120.00, B: $100.00", d)[0] == "right"
    assert grade(q, "$100.00, down 16.67% from $120.00", d)[0] == "right"  # 100 vs 120 as the base
    assert grade(q, "$120.00, up 20.0%", d)[0] == "right"
    assert grade(q, "$120.00, up 25.0%", d)[0] == "wrong"
    # pctl: any usual interpolation rule, nothing else
    p = heldout.pctl(pd.Series([1.0, 2.0, 3.0, 4.0]), 0.5)
    assert {alt[0] for alt in p.alternatives} == {2.0, 2.5, 3.0}
    pq = Question("p", "distributions", "median?", lambda _d: p)
    assert grade(pq, "median 2.50", d)[0] == "right" and grade(pq, "median 2.70", d)[0] == "wrong"
    # id_ranked: the top id bare or as "store N"; a runner-up counts only as "store N"
    e = heldout.id_ranked(pd.Series({"422": 5.0, "323": 9.0, "381": 1.0}), "store")
    rq = Question("r", "rankings", "top store?", lambda _d: e)
    assert grade(rq, "Top: store 323 with $9.00, then store 422", d)[0] == "right"
    assert grade(rq, "| 323 | $9.00 |", d)[0] == "right"
    assert grade(rq, "store 422 ($5.00) and store 323 ($9.00)", d)[0] == "wrong"
    # aliases a reader would use for a weekday, a quarter and an hour
    assert "Sundays" in heldout.weekday_aliases("Sunday")
    assert {"2017-Q4", "Q4 2017"} <= set(heldout.quarter_aliases("2017Q4"))
    assert {"22:00", "10 pm", "10pm"} <= set(heldout.hour_aliases(22))
    hq = Question("h", "time series", "peak hour?",
                  lambda _d: ranked(pd.Series({22: 10.0, 21: 9.0}), aliases=heldout.hour_aliases))
    assert grade(hq, "Busiest hour: 10 pm (10.00 orders), then 9 pm", d)[0] == "right"
    assert grade(hq, "Busiest: 21:00, then 22:00 with 10.00", d)[0] == "wrong"


# ----------------------------------------------------------------------------------- the held-out bank 2
# tests/question_bank_heldout2.py (session 8) was written blind to the planner, its tests and both other banks'
# questions. First untuned run (bank3, main f33b27d + this bank, 2026-12-04 18:08 UTC, demo workspace, 300
# households): 48/65 answerable right (73.8%; 7 declined, 10 wrong) and 4/16 refusals answered confidently.
# Rebased on main 72f986a (customer set operations, landed before this bank existed, so still untuned on it):
# 52/65 (80.0%; 5 declined, 8 wrong) and 4/16 (bench/results/question_bank.md). The floors are exactly that
# measurement, so any regression fails; the gap to the issue targets (95% / 0) is the planner's and is NOT closed.
# Raise them as the planner improves; do not tune the planner on these questions' wording.
# Later on session 8 (the same generic fixes, made without reading this bank's questions; the lead did read the
# helper's one-line summary of its misses): 55/65 (84.6%) and 3/16; floors one question under.
# End of session 8: 59/65 (90.8%), 3/16 — partly informed by the helper's miss summary (not blind any more).
# Session 9 (main f763fda; tuned on its misses): 65/65 and 0/16.
HELDOUT2_ACCURACY_FLOOR = 63 / 65
HELDOUT2_MAX_CONFIDENT_REFUSALS = 1


# ----------------------------------------------------------------------------------- the held-out bank 3
# tests/question_bank_heldout3.py (session 8 end, helper bank4) was written blind to the planner, its tests and
# question files, bench/results/question_bank.md and the question lists of the three other banks. First untuned run
# (main 6bf7ad2 + this bank, 2026-12-04 19:12 UTC, demo workspace, 300 households): 37/45 answerable right (82.2%;
# 5 declined, 3 wrong) and 0/12 refusals answered confidently (bench/results/question_bank_heldout3.md). The floors
# are that measurement with one question of slack; the gap to the issue targets (95% / 0) is the planner's and is
# NOT closed. Do not tune the planner on these questions' wording. Rebased on main da20518 (the chat-shorthand change,
# landed before this bank existed): 38/45 (84.4%; 4 declined, 3 wrong) and 0/12.
# Session 9 (main f763fda, still blind: only its score was read): 39/45 (86.7%; 5 declined, 1 wrong) and 0/12.
HELDOUT3_ACCURACY_FLOOR = 38 / 45
HELDOUT3_MAX_CONFIDENT_REFUSALS = 1


# ----------------------------------------------------------------------------------- the held-out bank 4
# tests/question_bank_heldout4.py (session 9, helper blind5) was written blind to the planner, its tests and question
# files, bench/results/question_bank*.md and the question lists of the other banks; its misses are not written
# anywhere the planner's author reads (bench/question_bank.py and the tests below give its counts only), so it stays
# blind. First untuned run (main 22a62bc + this bank, 2026-12-04 22:20 UTC, demo workspace, 300 households): 70/85
# answerable right (82.4%; 12 declined, 3 wrong) and 3/18 refusals answered confidently
# (bench/results/question_bank_heldout4.md, the score only). Floors one question under that; the gap to the issue
# targets (95% / 0) is the planner's and is NOT closed. Do not tune the planner on these questions' wording.
# End of session 9 (main a08cef6, score only; still blind): 71/85 and 3/18.
# Session 10 end: 75/85 (8 declined, 2 wrong), 2/18.
HELDOUT4_ACCURACY_FLOOR = 74 / 85
HELDOUT4_MAX_CONFIDENT_REFUSALS = 3


# ----------------------------------------------------------------------------------- the held-out bank 5
# tests/question_bank_heldout5.py (session 10, helper blind6) was written blind to the planner, its parser, its tests
# and question files, bench/results/question_bank*.md and the question lists of the other banks; its misses are not
# written anywhere the planner's author reads (bench/question_bank.py and the tests below give its counts only), so it
# stays blind. First untuned run (main 59d5d00 + this bank, 2026-12-08 00:15 UTC, demo workspace, 300 households):
# 76/103 answerable right (73.8%; 14 declined, 13 wrong) and 3/21 refusals answered confidently
# (bench/results/question_bank_heldout5.md, the score only). Floors one question under that; the gap to the issue
# targets (95% / 0) is the planner's and is NOT closed. Do not tune the planner on these questions' wording.
# Session 10 end (lead, after tuning on tune2-5 only, never on this bank): 81/103 (78.6%; 13 declined, 9 wrong), 0/21.
HELDOUT5_ACCURACY_FLOOR = 80 / 103
HELDOUT5_MAX_CONFIDENT_REFUSALS = 1


# ----------------------------------------------------------------------------------- the held-out bank 6
# tests/question_bank_heldout6.py (session 10 end, helper blind7) was written blind to the planner, its parser, its
# tests and question files, bench/results/question_bank*.md and the question lists of the other banks; its misses are
# not written anywhere the planner's author reads (bench/question_bank.py and the tests below give its counts only), so
# it stays blind. First untuned run (main a8e5468 + this bank, 2026-12-08 02:07 UTC, demo workspace, 300 households):
# 60/65 answerable right (92.3%; 2 declined, 3 wrong) and 0/13 refusals answered confidently
# (bench/results/question_bank_heldout6.md, the score only). Floors one question under that; the gap to the
# issue targets (95% / 0) is the planner's and is NOT closed. Do not tune the planner on these questions' wording.
HELDOUT6_ACCURACY_FLOOR = 59 / 65
HELDOUT6_MAX_CONFIDENT_REFUSALS = 1


# ------------------------------------------------------------------------------------- the tuning bank
# tests/question_bank_tune.py (session 9, helper tune5) was written without reading the planner, its tests or the other
# banks' question lists, but it is NOT blind: the lead reads its misses and tunes the planner on them, so its score
# measures tuning progress, not generalisation. First run (main 9360f51 + this bank, 2026-12-04 20:42 UTC, demo
# workspace, 300 households): 63/87 answerable right (72.4%; 10 declined, 14 wrong) and 2/19 refusals answered
# confidently (bench/results/question_bank_tune.md lists every miss). Floors one question under that.
# End of session 9 (main f763fda): 87/87 and 0/19.
TUNE_ACCURACY_FLOOR = 85 / 87
TUNE_MAX_CONFIDENT_REFUSALS = 1


# ----------------------------------------------------------------------------------- the tuning bank 2
# tests/question_bank_tune2.py (session 9, helper tune6) was written without reading the planner, its tests or the
# other banks' question lists, and is NOT blind either: the lead tunes the planner on its misses. First run (main
# 0685fb2 + this bank, 2026-12-04 21:42 UTC, demo workspace, 300 households): 49/76 answerable right (64.5%;
# 11 declined, 16 wrong) and 3/16 refusals answered confidently (bench/results/question_bank_tune2.md lists every
# miss). Floors one question under that. Re-measured on main 81de516 (the lead's 'last fortnight' / 'since black friday'
# change, landed during the first run): 51/76 and 4/16 (t2-no-segment, 'Big Spenders Club', now answered by product name).
# End of session 9 (main a08cef6): 70/76 (92.1%) and 0/16.
TUNE2_ACCURACY_FLOOR = 75 / 76  # session 10 end: 76/76
TUNE2_MAX_CONFIDENT_REFUSALS = 1


# ----------------------------------------------------------------------------------- the tuning bank 3
# tests/question_bank_tune3.py (session 10, helper tune7) was written without reading the planner, its tests or the
# other banks' question lists, and is NOT blind either: the lead tunes the planner on its misses. First run (main
# 59d5d00 + this bank, 2026-12-08 00:09 UTC, demo workspace, 300 households): 62/90 answerable right (68.9%;
# 14 declined, 14 wrong) and 2/20 refusals answered confidently (bench/results/question_bank_tune3.md lists every
# miss). Floors one question under that.
# Session 10 end, after the lead tuned on its misses: 90/90, 0/20.
TUNE3_ACCURACY_FLOOR = 89 / 90
TUNE3_MAX_CONFIDENT_REFUSALS = 1


# ----------------------------------------------------------------------------------- the tuning bank 4
# tests/question_bank_tune4.py (session 10, helper tune8) was written without reading the planner, its parser, its
# tests or the other banks' question lists, as four personas would ask (CRM / retention, category manager,
# promotions analyst, exec typing fast), and is NOT blind either: the lead tunes the planner on its misses. First run
# (main 3353aa3 + this bank, 2026-12-08 00:48 UTC, demo workspace, 300 households): 53/81 answerable right
# (65.4%; 13 declined, 15 wrong) and 4/18 refusals answered confidently (bench/results/question_bank_tune4.md
# lists every miss). Floors one question under that.
# Session 10 end, after the lead tuned on its misses: 79/81 (2 wrong), 0/18.
TUNE4_ACCURACY_FLOOR = 78 / 81
TUNE4_MAX_CONFIDENT_REFUSALS = 1


# ----------------------------------------------------------------------------------- the tuning bank 5
# tests/question_bank_tune5.py (session 10, helper tune9) was written without reading the planner, its parser, its
# tests or the other banks' question lists, as busy non-analysts type into a chat box (rambling sentences, hedges,
# polite wrappers, unusual verbs, negations, "apart from" filters, bottom rankings, per-X averages), and is NOT blind
# either: the lead tunes the planner on its misses. First run
# (main f243e62 + this bank, 2026-12-08 01:20 UTC, demo workspace, 300 households): 29/59 answerable right (49.2%;
# 22 declined, 8 wrong) and 0/14 refusals answered confidently (bench/results/question_bank_tune5.md lists every
# miss). Floors one question under that.
# Session 10 end, after the lead tuned on its misses: 54/59 (1 declined, 4 wrong), 0/14.
TUNE5_ACCURACY_FLOOR = 53 / 59
TUNE5_MAX_CONFIDENT_REFUSALS = 1


# the side banks' own checks (every bank but dev): (module, minimum answerable, minimum refusals, the questions the
# grand total may answer — the first held-out bank asks three plain totals)
_SIDE = {"heldout": (heldout, 90, 30, {"h-tot-sales", "h-tot-trans", "h-tot-shoppers"}),
         "heldout2": (heldout2, 50, 15, set()), "heldout3": (heldout3, 40, 12, set()),
         "heldout4": (heldout4, 60, 15, set()), "heldout5": (heldout5, 80, 18, set()),
         "heldout6": (heldout6, 60, 12, set()),
         "tune": (tune, 70, 15, set()), "tune2": (tune2, 60, 12, set()), "tune3": (tune3, 80, 20, set()),
         "tune4": (tune4, 70, 15, {"t4-two-alltime"}), "tune5": (tune5, 55, 12, set())}


@pytest.mark.parametrize("bank", list(_SIDE))
def test_side_bank_size_ids_and_independence(bank):
    mod, n_answerable, n_refusals, _ = _SIDE[bank]
    assert len(mod.ANSWERABLE) >= n_answerable and len(mod.REFUSALS) >= n_refusals
    ids = [q.id for q in mod.QUESTIONS]
    others = QUESTIONS + [q for m, *_ in _SIDE.values() if m is not mod for q in m.QUESTIONS]
    assert len(ids) == len(set(ids)) and not set(ids) & {q.id for q in others}
    texts = {q.text.lower() for q in mod.QUESTIONS}
    assert len(texts) == len(mod.QUESTIONS)
    assert not texts & {q.text.lower() for q in others}  # no question shared with the other banks
    assert all(q.truth is None for q in mod.REFUSALS) and all(q.truth for q in mod.ANSWERABLE)


@pytest.mark.parametrize("bank", list(_SIDE))
def test_side_bank_truths_compute_and_an_oracle_grades_right(bank, bank_data):
    mod, totals_ok, d = _SIDE[bank][0], _SIDE[bank][3], bank_data
    for q in mod.ANSWERABLE:
        for e in expects_of(q.truth(d)):  # every reading a truth accepts grades right on its own
            assert e.alternatives and all(alt for alt in e.alternatives), q.id
            assert all(math.isfinite(v) for alt in e.alternatives for v in alt), q.id
            oracle = (f"{e.name[0]}: " if e.name else "") + ", ".join(f"{v:,.2f}" for v in e.alternatives[0])
            assert grade(q, oracle, d) == ("right", ""), (q.id, oracle)
        assert grade(q, "Sorry, I don't have that.", d)[0] == "declined", q.id
    # the grand total (the old failure) answers none of them but the plain totals asked for
    o = d.orders
    total = (f"Revenue in all data (2017-01-01 to 2018-01-01): ${o['amount'].sum():,.2f}; orders "
             f"{o['order_id'].nunique():,}; customers {o['customer_id'].nunique():,}; line items {len(o):,}.")
    assert {q.id for q in mod.ANSWERABLE if grade(q, total, d)[0] == "right"} == totals_ok


def test_heldout3_two_questions_in_one_need_both_numbers(bank_data):
    d = bank_data
    two = next(q for q in heldout3.ANSWERABLE if q.id == "h3-two-dec")
    rev, orders = expects_of(two.truth(d))[0].alternatives[0]
    assert grade(two, f"Revenue last month: ${rev:,.2f}; orders: {orders:,.0f}", d)[0] == "right"
    assert grade(two, f"Revenue last month: ${rev:,.2f}", d)[0] == "wrong"


def test_tune_two_in_one_needs_both_numbers_and_segments_read_the_artifact(bank_data):
    d = bank_data
    two = next(q for q in tune.ANSWERABLE if q.id == "t-two-nov")
    orders, aov = expects_of(two.truth(d))[0].alternatives[0]
    assert grade(two, f"November: {orders:,.0f} orders, avg order value ${aov:,.2f}", d)[0] == "right"
    assert grade(two, f"November: {orders:,.0f} orders", d)[0] == "wrong"
    # segment membership comes from the fitted artifact: the segment's size is its row count there
    seg = pd.read_parquet(d.path / "artifacts" / "segments.parquet")
    size = next(q for q in tune.ANSWERABLE if q.id == "t-seg-coupon-size").truth(d).alternatives[0][0]
    assert size == int(seg["segment"].str.contains("coupon-driven", case=False).sum()) > 0


def test_heldout4_readings_are_whole(bank_data):
    """A two-part question needs both numbers, and a set question read half by category, half by product name
    is not one of its accepted readings."""
    d = bank_data
    two = next(q for q in heldout4.ANSWERABLE if q.id == "h4-two-q1")
    orders, aov = expects_of(two.truth(d))[0].alternatives[0]
    assert grade(two, f"Q1 2017: {orders:,.0f} orders, average order value ${aov:,.2f}", d)[0] == "right"
    assert grade(two, f"Q1 2017: {orders:,.0f} orders", d)[0] == "wrong"
    beef = next(q for q in heldout4.ANSWERABLE if q.id == "h4-set-beef-chicken")
    lines = d.lines
    by_cat = set(lines.loc[lines["category"] == "Beef", "customer_id"])
    by_word = set(lines.loc[lines["name"].str.contains("chicken", case=False, na=False), "customer_id"])
    mixed = len(by_cat - by_word)
    assert mixed not in {alt[0] for alt in expects_of(beef.truth(d))[0].alternatives}
    assert grade(beef, f"{mixed} customers bought beef but not chicken", d)[0] == "wrong"


def test_heldout5_two_part_questions_need_both_parts(bank_data):
    """A two-part question needs both numbers, and the 'which department and what share' one the department too."""
    d = bank_data
    two = next(q for q in heldout5.ANSWERABLE if q.id == "h5-two-nov")
    rev, orders = expects_of(two.truth(d))[0].alternatives[0]
    assert grade(two, f"November 2017: revenue ${rev:,.2f} from {orders:,.0f} orders", d)[0] == "right"
    assert grade(two, f"November 2017: revenue ${rev:,.2f}", d)[0] == "wrong"
    top = next(q for q in heldout5.ANSWERABLE if q.id == "h5-two-top-dept-share")
    e = expects_of(top.truth(d))[0]
    share = e.alternatives[0][0]
    assert grade(top, f"{e.name[0]} is the biggest department: {share:.1f}% of revenue", d)[0] == "right"
    assert grade(top, f"The biggest department makes {share:.1f}% of revenue", d)[0] == "wrong"



def test_tune4_two_in_one_needs_both_numbers(bank_data):
    """A two-part question needs both numbers; a count alone does not pass."""
    d = bank_data
    two = next(q for q in tune4.ANSWERABLE if q.id == "t4-two-13")
    coupons, households = expects_of(two.truth(d))[0].alternatives[0]
    assert grade(two, f"Campaign 13: {coupons:,.0f} coupons redeemed by {households:,.0f} households", d)[0] == "right"
    assert grade(two, f"Campaign 13: {coupons:,.0f} coupons redeemed", d)[0] == "wrong"

def test_tune5_readings_are_whole(bank_data):
    """A two-part question needs both numbers; the top item of an 'apart from X' ranking is not X."""
    d = bank_data
    two = next(q for q in tune5.ANSWERABLE if q.id == "t5-two-dec")
    orders, aov = expects_of(two.truth(d))[0].alternatives[0]
    assert grade(two, f"December 2017: {orders:,.0f} orders, average basket ${aov:,.2f}", d)[0] == "right"
    assert grade(two, f"December 2017: {orders:,.0f} orders", d)[0] == "wrong"
    apart = next(q for q in tune5.ANSWERABLE if q.id == "t5-produce-apart-salad")
    e = expects_of(apart.truth(d))[0]
    assert e.name[0] != "Salad Mix"
    assert grade(apart, f"Salad Mix: ${e.alternatives[0][0]:,.2f}", d)[0] == "wrong"


# ------------------------------------------------------------------------- every bank, asked of the assistant
@dataclass(frozen=True)
class Bank:
    title: str
    questions: list
    accuracy_floor: float
    max_confident_refusals: int
    blind: bool = False  # a blind bank's test output gives counts only: no per-category table, no misses


BANKS = {
    "dev": Bank("question bank (dev, tuned on)", QUESTIONS, ANSWER_ACCURACY_FLOOR, MAX_CONFIDENT_REFUSALS),
    "heldout": Bank("held-out bank", heldout.QUESTIONS, HELDOUT_ACCURACY_FLOOR, HELDOUT_MAX_CONFIDENT_REFUSALS),
    "heldout2": Bank("held-out bank 2 (blind, session 8)", heldout2.QUESTIONS, HELDOUT2_ACCURACY_FLOOR,
                     HELDOUT2_MAX_CONFIDENT_REFUSALS),
    "heldout3": Bank("held-out bank 3 (blind, session 8 end)", heldout3.QUESTIONS, HELDOUT3_ACCURACY_FLOOR,
                     HELDOUT3_MAX_CONFIDENT_REFUSALS),
    "heldout4": Bank("held-out bank 4 (blind, session 9)", heldout4.QUESTIONS, HELDOUT4_ACCURACY_FLOOR,
                     HELDOUT4_MAX_CONFIDENT_REFUSALS, blind=True),
    "heldout5": Bank("held-out bank 5 (blind, session 10)", heldout5.QUESTIONS, HELDOUT5_ACCURACY_FLOOR,
                     HELDOUT5_MAX_CONFIDENT_REFUSALS, blind=True),
    "heldout6": Bank("held-out bank 6 (blind, session 10 end)", heldout6.QUESTIONS, HELDOUT6_ACCURACY_FLOOR,
                     HELDOUT6_MAX_CONFIDENT_REFUSALS, blind=True),
    "tune": Bank("tuning bank (session 9; the lead tunes on it: not blind)", tune.QUESTIONS, TUNE_ACCURACY_FLOOR,
                 TUNE_MAX_CONFIDENT_REFUSALS),
    "tune2": Bank("tuning bank 2 (session 9; the lead tunes on it: not blind)", tune2.QUESTIONS,
                  TUNE2_ACCURACY_FLOOR, TUNE2_MAX_CONFIDENT_REFUSALS),
    "tune3": Bank("tuning bank 3 (session 10; the lead tunes on it: not blind)", tune3.QUESTIONS,
                  TUNE3_ACCURACY_FLOOR, TUNE3_MAX_CONFIDENT_REFUSALS),
    "tune4": Bank("tuning bank 4 (session 10; the lead tunes on it: not blind)", tune4.QUESTIONS,
                  TUNE4_ACCURACY_FLOOR, TUNE4_MAX_CONFIDENT_REFUSALS),
    "tune5": Bank("tuning bank 5 (session 10; the lead tunes on it: not blind)", tune5.QUESTIONS,
                  TUNE5_ACCURACY_FLOOR, TUNE5_MAX_CONFIDENT_REFUSALS),
}


@pytest.mark.bank
@pytest.mark.parametrize("bank", list(BANKS))
def test_refusal_set_is_rarely_answered_confidently(bank, rows_of, summary_note):
    spec = BANKS[bank]
    rows = [r for r in rows_of(bank) if r["refusal"]]
    answered = [r for r in rows if r["verdict"] != "right"]
    summary_note(f"{spec.title} refusals: {len(rows) - len(answered)}/{len(rows)} declined")
    assert len(answered) <= spec.max_confident_refusals, (
        f"{len(answered)}/{len(rows)} refusal questions of the {spec.title} got a confident answer (limit "
        f"{spec.max_confident_refusals}; issue target {ISSUE_TARGET_CONFIDENT_REFUSALS})"
        + ("" if spec.blind else ":\n" + _failures(answered)))


@pytest.mark.bank
@pytest.mark.parametrize("bank", list(BANKS))
def test_answer_accuracy(bank, rows_of, summary_note):
    spec = BANKS[bank]
    rows = rows_of(bank)
    s = summarize(rows)
    acc = s["answerable_right"] / s["answerable"]
    summary_note(f"{spec.title}: answerable {s['answerable_right']}/{s['answerable']} right ({acc:.1%}), "
                 f"{s['answerable_declined']} declined, {s['answerable_wrong']} wrong"
                 + ("" if spec.blind else "\n" + markdown_table(rows)))
    misses = [r for r in rows if not r["refusal"] and r["verdict"] != "right"]
    assert acc >= spec.accuracy_floor, (
        f"{spec.title} answer accuracy {acc:.1%} < floor {spec.accuracy_floor:.0%} (issue target "
        f"{ISSUE_TARGET_ACCURACY:.0%}; {s['answerable_declined']} declined, {s['answerable_wrong']} wrong)"
        + ("" if spec.blind else ":\n" + _failures(misses)))
