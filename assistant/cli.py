"""`mka`: the command line. Each area's commands live in ``assistant.commands.<area>``."""

from __future__ import annotations

import importlib

import click

__all__ = ["main", "cli"]

# area modules, each exporting COMMANDS: list[click.Command]
_AREAS = ("data", "predict", "forecast", "segments", "reviews", "ask", "chat")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="marketing-assistant")
def cli() -> None:
    """Marketing assistant: who will buy, which segments, what reviews say — from your own data, offline."""


for _area in _AREAS:
    for _cmd in importlib.import_module(f"assistant.commands.{_area}").COMMANDS:
        cli.add_command(_cmd)


def main() -> None:  # console-script entry point
    cli()
