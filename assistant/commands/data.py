"""`mka` commands for the data area."""

COMMANDS: list = []
