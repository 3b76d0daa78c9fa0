"""`mka` commands for the ask area."""

COMMANDS: list = []
