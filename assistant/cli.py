"""`mka`: the command line. Each area's commands live in ``assistant.commands.<area>``."""

from __future__ import annotations

import click

from .commands import ask, chat, data, forecast, predict, query, recommend, reviews, score, segments, value

__all__ = ["main", "cli"]

# area modules, each exporting COMMANDS: list[click.Command]
_AREAS = (data, predict, forecast, recommend, segments, value, reviews, query, ask, chat, score)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="marketing-assistant")
def cli() -> None:
    """Marketing assistant: who will buy, which segments, what reviews say — from your own data, offline."""


for _area in _AREAS:
    for _cmd in _area.COMMANDS:
        cli.add_command(_cmd)


def main() -> None:
    """The console-script entry point, and the edge: settings are read here, once, and the process configured
    (library flags, torch threads) before any command imports torch, transformers or gradio."""
    from assistant.settings import Settings, configure_process

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise SystemExit(f"Error: {exc}") from None
    configure_process(settings)
    _redact_tracebacks()
    cli(obj=settings)


def _redact_tracebacks() -> None:
    """An unexpected error still prints its traceback (a bug to report), but through the one redaction
    function: no API key or bearer token in it."""
    import sys
    import traceback

    from assistant.redact import redact

    def hook(kind, exc, tb) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, exc, tb))))

    sys.excepthook = hook


if __name__ == "__main__":
    main()
