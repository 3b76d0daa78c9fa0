"""`mka` commands for the chat area."""

COMMANDS: list = []
