"""`mka` commands for the segments area."""

COMMANDS: list = []
