"""`mka` commands for the reviews area."""

COMMANDS: list = []
