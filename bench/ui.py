"""Warm start of the chat app in headless Chromium (issue 19): how long until the models' loading note clears,
and how long each answer takes after that (the first answer must be as quick as later ones: target ≤ 5 s).

    python bench/ui.py --workspace DIR [--repeat 3]

Serves the real app (offline planner, real tools) on a loopback port, opens it in Debian's chromium, waits for
the loading note to clear, then asks the questions in order and times each answer from Enter to the end of the
stream. Writes bench/results/ui.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = ["which customers will buy this week?", "show me the segments", "what do reviews say about taste?",
             "revenue by month", "which high-value customers are at risk of churning?"]
WAIT_JS = """(n) => { const chat = document.querySelector('#chat'); if (!chat) return false;
  const msgs = [...chat.querySelectorAll('[data-testid="user"], [data-testid="bot"]')];
  const users = msgs.filter(m => m.dataset.testid === 'user').length; const last = msgs[msgs.length - 1];
  const tr = chat.querySelector('[data-testid="status-tracker"]'); const idle = !tr || tr.classList.contains('hide');
  return users >= n && last && last.dataset.testid === 'bot' && idle; }"""
# the page has loaded (the backend line is filled in) and the models' loading note is gone
READY_JS = """() => { const i = document.querySelector('#backend-indicator');
  if (!i || !/mode/i.test(i.innerText)) return false;
  const m = document.querySelector('#model-status'); return !m || !/loading/i.test(m.innerText); }"""


class HandlerClock:
    """Server side: seconds from the chat handler's call to its last output, per question (wraps
    ``ui.app.respond_turn``, which the handler looks up at call time)."""

    def __init__(self) -> None:
        import ui.app

        self.seconds: list[float] = []
        self._inner = ui.app.respond_turn
        ui.app.respond_turn = self

    def __call__(self, *args, **kwargs):
        t = time.perf_counter()
        yield from self._inner(*args, **kwargs)
        self.seconds.append(time.perf_counter() - t)

    def restore(self) -> None:
        import ui.app

        ui.app.respond_turn = self._inner


def one_run(workspace: Path) -> dict:
    from assistant.commands.chat import AgentSessionFactory
    from assistant.settings import Settings
    from models.data.workspace import Workspace
    from playwright.sync_api import sync_playwright
    from ui.app import build_app, launch_app

    ws = Workspace(workspace)
    settings = Settings.from_env({"workspace": ws.path}, env={})
    t0 = time.perf_counter()
    app = build_app(AgentSessionFactory(ws, settings), ws)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clock = HandlerClock()
    launch_app(app, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    out = {"answers_s": [], "server_s": clock.seconds}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=os.environ.get("MKA_CHROMIUM", "/usr/bin/chromium"),
                                  args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = b.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(180_000)
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            page.wait_for_function(READY_JS)
            out["ready_s"] = time.perf_counter() - t0
            out["warm_done_at_note"] = app.mka_warmup.ready  # the note cleared only once the warm-up ended
            for i, q in enumerate(QUESTIONS, start=1):
                box = page.locator("#question textarea")
                box.fill(q)
                t = time.perf_counter()
                box.press("Enter")
                page.wait_for_function(WAIT_JS, arg=i)
                out["answers_s"].append(time.perf_counter() - t)
            b.close()
    finally:
        app.close()
        clock.restore()
    out["warmup_s"] = app.mka_warmup.seconds
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True, help="a built demo workspace (mka demo --no-chat)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ui.md")
    args = ap.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    runs = [one_run(args.workspace) for _ in range(args.repeat)]
    load = os.getloadavg()[0]
    first = [r["answers_s"][0] for r in runs]
    later = [a for r in runs for a in r["answers_s"][1:]]
    lines = ["# Chat app warm start (bench/ui.py)", "",
             f"`python bench/ui.py --workspace {args.workspace} --repeat {args.repeat}` · "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · load average {load:.1f} · 2 cores", "",
             "| run | app built → loading note cleared (s) | " + " | ".join(f"Q{i + 1}" for i in range(len(QUESTIONS)))
             + " |", "|---|---|" + "---|" * len(QUESTIONS)]
    for n, r in enumerate(runs, start=1):
        lines.append(f"| {n} | {r['ready_s']:.1f} | " + " | ".join(f"{a:.1f}" for a in r["answers_s"]) + " |")
    lines += ["", "Server side (the chat handler, call to last output, s):", "",
              "| run | warm-up (s) | warm-up over when the note cleared | "
              + " | ".join(f"Q{i + 1}" for i in range(len(QUESTIONS))) + " |",
              "|---|---|---|" + "---|" * len(QUESTIONS)]
    for n, r in enumerate(runs, start=1):
        over = "yes" if r["warm_done_at_note"] else "no"
        lines.append(f"| {n} | {r['warmup_s'] or 0:.1f} | {over} | " + " | ".join(f"{a:.2f}" for a in r["server_s"])
                     + " |")
    s_first = [r["server_s"][0] for r in runs if r["server_s"]]
    s_later = [a for r in runs for a in r["server_s"][1:]]
    lines += ["", f"First answer after the note clears: median {statistics.median(first):.1f} s "
                  f"(target ≤ 5 s); later answers: median {statistics.median(later):.1f} s. Server side: first "
                  f"{statistics.median(s_first):.2f} s, later {statistics.median(s_later):.2f} s (medians).", "",
              "Questions: " + "; ".join(f"Q{i + 1} “{q}”" for i, q in enumerate(QUESTIONS)) + "."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
