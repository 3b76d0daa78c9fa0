"""Click commands, one module per area; ``assistant.cli`` collects their ``COMMANDS``."""

__all__: list[str] = []
