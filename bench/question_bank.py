"""Ask the question banks of the offline assistant on the demo workspace.

    python bench/question_bank.py [--bank dev|heldout|heldout2|heldout3|heldout4|heldout5|heldout6|tune|tune2|tune3
                                          |tune4|tune5|all] [--workspace DIR] [--n-customers 300]
                                  [--out bench/results/question_bank.md] [--show-blind]

Twelve banks: ``dev`` (tests/question_bank.py) is the one the planner was tuned on; ``heldout``
(tests/question_bank_heldout.py) was written later by someone who had not seen the planner, its tests or the dev
questions, so it measures wording the planner was not tuned on; ``heldout2`` (tests/question_bank_heldout2.py,
session 8) likewise, blind to the planner and to both other banks' questions; ``heldout3``
(tests/question_bank_heldout3.py, session 8 end) blind to the planner and to all three other banks' questions;
``heldout4`` (tests/question_bank_heldout4.py, session 9) blind to the planner and to the other banks' questions
(its misses are written only with --show-blind); ``heldout5`` (tests/question_bank_heldout5.py, session 10, helper
blind6) likewise blind to the planner, its parser and the other banks' questions (misses only with --show-blind);
``heldout6`` (tests/question_bank_heldout6.py, session 10 end, helper blind7) likewise blind (misses only with
--show-blind); ``tune`` (tests/question_bank_tune.py, session 9) is a TUNING bank, not blind: the lead reads its
misses and fixes the planner on them; ``tune2`` (tests/question_bank_tune2.py, session 9, helper tune6) is a second
tuning bank, not blind either; ``tune3`` (tests/question_bank_tune3.py, session 10, helper tune7) is a third tuning
bank, not blind either; ``tune4`` (tests/question_bank_tune4.py, session 10, helper tune8) a fourth, not blind
either; ``tune5`` (tests/question_bank_tune5.py, session 10, helper tune9) a fifth, not blind either.
Grades every answer (right / declined / wrong; see tests/question_bank.py) and writes, per bank, a table per
category, the overall answer accuracy and refusal count, and every miss with its answer, to --out. Without
--workspace it builds the demo workspace the tests use (models.pipeline, 300 households, quick settings) under /tmp first.
A bank kept blind (``heldout3``, ``heldout4``, ``heldout5``, ``heldout6``) gets its score only, unless --show-blind is
given: its per-category table and misses are for its author, so that the planner's author, who reads this output,
never tunes on them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# banks whose misses (and per-category counts) are shown only with --show-blind
BLIND = {"heldout3", "heldout4", "heldout5", "heldout6"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bank", default="all", choices=("dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
                                                      "heldout6", "tune", "tune2", "tune3", "tune4", "tune5", "all"))
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--n-customers", type=int, default=300)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "question_bank.md")
    ap.add_argument("--show-blind", action="store_true",
                    help="also write a blind bank's per-category table and misses (for the bank's author only)")
    args = ap.parse_args()

    from models.data.workspace import Workspace

    ws_path = args.workspace or Path(f"/tmp/mka_question_bank_ws_{args.n_customers}")
    ws = Workspace(ws_path)
    if not ws.exists():
        from models import pipeline

        print(f"building the demo workspace at {ws_path} ...", flush=True)
        pipeline.run(ws, n_customers=args.n_customers, quick=True)

    from assistant.agent import build_agent
    from assistant.offline import OfflinePlanner
    from assistant.session import ChatSession
    from tests import (question_bank, question_bank_heldout, question_bank_heldout2, question_bank_heldout3,
                       question_bank_heldout4, question_bank_heldout5, question_bank_heldout6, question_bank_tune,
                       question_bank_tune2, question_bank_tune3, question_bank_tune4, question_bank_tune5)
    from tests.question_bank import markdown_table, run_bank, summarize
    from tools import ToolContext, build_tools

    banks = {"dev": ("Dev bank (tests/question_bank.py): the planner was tuned on these questions",
                     question_bank.QUESTIONS),
             "heldout": ("Held-out bank (tests/question_bank_heldout.py): written without seeing the planner, its "
                         "tests or the dev questions", question_bank_heldout.QUESTIONS),
             "heldout2": ("Held-out bank 2 (tests/question_bank_heldout2.py, session 8): blind to the planner, its "
                          "tests and both other banks' questions", question_bank_heldout2.QUESTIONS),
             "heldout3": ("Held-out bank 3 (tests/question_bank_heldout3.py, session 8 end): blind to the planner, "
                          "its tests and all three other banks' questions", question_bank_heldout3.QUESTIONS),
             "heldout4": ("Held-out bank 4 (tests/question_bank_heldout4.py, session 9): blind to the planner, its "
                          "tests and the other banks' questions", question_bank_heldout4.QUESTIONS),
             "heldout5": ("Held-out bank 5 (tests/question_bank_heldout5.py, session 10): blind to the planner, its "
                          "parser, its tests and the other banks' questions", question_bank_heldout5.QUESTIONS),
             "heldout6": ("Held-out bank 6 (tests/question_bank_heldout6.py, session 10 end): blind to the planner, "
                          "its parser, its tests and the other banks' questions", question_bank_heldout6.QUESTIONS),
             "tune": ("Tuning bank (tests/question_bank_tune.py, session 9): the lead tunes the planner on its misses, "
                      "so it is NOT blind", question_bank_tune.QUESTIONS),
             "tune2": ("Tuning bank 2 (tests/question_bank_tune2.py, session 9): the lead tunes the planner on its "
                       "misses, so it is NOT blind", question_bank_tune2.QUESTIONS),
             "tune3": ("Tuning bank 3 (tests/question_bank_tune3.py, session 10): NOT blind",
                       question_bank_tune3.QUESTIONS),
             "tune4": ("Tuning bank 4 (tests/question_bank_tune4.py, session 10): NOT blind",
                       question_bank_tune4.QUESTIONS),
             "tune5": ("Tuning bank 5 (tests/question_bank_tune5.py, session 10): NOT blind",
                       question_bank_tune5.QUESTIONS)}
    chosen = (["dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "tune", "tune2", "tune3",
               "tune4", "tune5"] if args.bank == "all" else [args.bank])
    ctx = ToolContext(ws)
    agent = build_agent(OfflinePlanner(context=ctx), build_tools(ctx))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    load = os.getloadavg()
    head = [
        "# Question bank: does the offline assistant answer the question asked? (issue 12)", "",
        f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; commit {commit}; machine load "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min)",
        f"- workspace: demo, {args.n_customers} real Complete Journey households (quick settings), {ws_path}",
        f"- command: `nice -n 10 python3 bench/question_bank.py --bank {args.bank}"
        + (f" --out {args.out}" if args.out != ROOT / "bench" / "results" / "question_bank.md" else "")
        + (" --show-blind`" if args.show_blind else "`"),
        "- grading (tests/question_bank.py, the same for both banks): answerable = right when every ground-truth "
        "number of one accepted reading (independent pandas) appears in the answer within its displayed precision, "
        "and the top item is named first for rankings; declined = the answer says can't / cannot / don't have / "
        "no such / not in your data; anything else is wrong. A refusal question is right only when declined.",
        "- targets (issue 12): answer accuracy >= 95%; refusal set answered confidently: 0", "",
    ]
    body, misses = [], []
    for key in chosen:
        title, questions = banks[key]
        t0 = time.perf_counter()
        rows = run_bank(ws, lambda text: ChatSession(agent, "offline").ask(text).answer, questions)
        elapsed = time.perf_counter() - t0
        s = summarize(rows)
        acc = s["answerable_right"] / s["answerable"]
        body += [f"## {title}", "",
                 f"{len(rows)} questions in {elapsed:.0f} s. Answer accuracy **{acc:.1%}** "
                 f"({s['answerable_right']}/{s['answerable']}; {s['answerable_declined']} declined, "
                 f"{s['answerable_wrong']} wrong); refusal set answered confidently "
                 f"**{s['refusals_answered']}**/{s['refusals']}.", ""]
        if key in BLIND and not args.show_blind:
            body += ["(kept blind: no per-category table or misses; see --show-blind)", ""]
            continue
        body += [markdown_table(rows), ""]
        misses += ["", f"## Misses: {key} bank", ""]
        for r in rows:
            if r["verdict"] != "right":
                answer = " ".join(r["answer"].split())
                misses.append(f"- `{r['id']}` ({r['category']}) *{r['question']}* -> **{r['verdict']}**"
                              f"{': ' + r['why'] if r['why'] else ''}  \n  answer: {answer[:300]}")
    lines = head + body + misses
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(head + body))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
