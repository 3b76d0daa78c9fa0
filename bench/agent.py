"""Benchmark the offline planner on tests/planner_questions.jsonl over a built demo workspace.

    python bench/agent.py [--workspace DIR] [--n-customers N] [--threads N]

Measures tool-choice accuracy, exact-argument accuracy (targets: >= 90% / >= 80%) and the end-to-end answer
latency of `ChatSession.ask` (agent loop + tools + composed answer; target p50 <= 2 s), warm, after one
cold question whose time (imports, MiniLM load, artifact loading) is reported separately.
Without --workspace it builds the demo workspace (models.pipeline) under /tmp first. Torch runs on --threads
(default 1: on a shared 2-core host, single-sentence embedding is several times faster on one thread).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "planner_questions.jsonl"
# written by someone other than the planner's author and never used to tune it: the out-of-sample number
HOLDOUT = Path(__file__).resolve().parents[1] / "tests" / "planner_questions_holdout.jsonl"


def build_demo(path: Path, n_customers: int | None) -> None:
    from models import pipeline
    from models.data.workspace import Workspace

    pipeline.run(Workspace(path), n_customers=n_customers, quick=n_customers is not None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--n-customers", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the process")
    args = ap.parse_args()
    from assistant.settings import Settings, configure_process

    configure_process(Settings.from_env({"torch_threads": args.threads}))
    ws_path = args.workspace or Path(f"/tmp/mka-bench-agent-{args.n_customers}/ws")
    if not (ws_path / "manifest.json").exists():
        t = time.perf_counter()
        build_demo(ws_path, args.n_customers)
        print(f"built demo workspace at {ws_path} in {time.perf_counter() - t:.0f} s", file=sys.stderr)

    from assistant.agent import build_agent
    from assistant.offline import Entities, OfflinePlanner
    from assistant.offline.binding import tool_schemas, tool_specs
    from assistant.offline.evaluation import load_questions, placeholders, score_questions
    from assistant.session import ChatSession
    from tools import ToolContext, build_tools

    ctx = ToolContext(ws_path)
    ent = Entities.from_context(ctx)
    reviews = ctx.workspace.read_table("reviews", columns=["product_id"])
    products = ctx.products()
    cats = (reviews.merge(products, on="product_id")["category"].value_counts().index.tolist())
    simple = [c for c in cats if "/" not in c and "-" not in c][:2]
    questions = load_questions(QUESTIONS, placeholders(ent, simple))

    planner = OfflinePlanner(context=ctx)
    tools = build_tools(ctx)
    specs = tool_specs(tool_schemas(tools))
    agent = build_agent(planner, tools)
    t = time.perf_counter()
    ChatSession(agent, "offline").ask("which customers will buy this week?")
    cold = time.perf_counter() - t

    score = score_questions(planner, questions, specs)
    tool_ok, arg_ok, misses = score.tool_ok, score.args_ok, score.misses
    latencies: list[float] = []
    for item in questions:
        if item.get("history"):
            continue  # follow-ups need the earlier turn; their plans were checked with that history
        session = ChatSession(agent, "offline")
        t = time.perf_counter()
        session.ask(item["q"])
        latencies.append(time.perf_counter() - t)
    n = len(questions)
    lat = sorted(latencies)
    p90 = lat[int(0.9 * (len(lat) - 1))]
    print(f"Offline planner on {n} questions ({QUESTIONS.name}); workspace {ws_path} "
          f"({len(ctx.scores(7))} scored customers, {len(reviews)} reviews, {len(ent.profiles)} segments); "
          f"router: {planner.get_router().method}\n")
    print("| metric | result | target |")
    print("|---|---|---|")
    print(f"| correct tool choice | {tool_ok / n:.1%} ({tool_ok}/{n}) | >= 90% |")
    print(f"| exactly correct arguments | {arg_ok / n:.1%} ({arg_ok}/{n}) | >= 80% |")
    print(f"| answer latency p50 (warm, {len(lat)} questions) | {statistics.median(lat):.2f} s | <= 2 s |")
    print(f"| answer latency p90 | {p90:.2f} s | — |")
    print(f"| answer latency max | {lat[-1]:.2f} s | — |")
    print(f"| first (cold) answer incl. model load | {cold:.1f} s | — |")
    if misses:
        print("\nMisses:\n" + "\n".join(map(str, misses)))

    holdout = load_questions(HOLDOUT, placeholders(ent, simple))
    h = score_questions(planner, holdout, specs)
    h_tool, h_arg, h_misses = h.tool_ok, h.args_ok, h.misses
    m = len(holdout)
    print(f"\nHeld-out set ({HOLDOUT.name}, {m} questions never used to tune the planner)\n")
    print("| metric | result | target |")
    print("|---|---|---|")
    print(f"| correct tool choice | {h_tool / m:.1%} ({h_tool}/{m}) | >= 90% |")
    print(f"| exactly correct arguments | {h_arg / m:.1%} ({h_arg}/{m}) | >= 80% |")
    if h_misses:
        print("\nHeld-out misses:\n" + "\n".join(map(str, h_misses)))


if __name__ == "__main__":
    main()
