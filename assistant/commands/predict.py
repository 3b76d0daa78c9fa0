"""`mka` commands for the predict area."""

COMMANDS: list = []
