"""CLI sub-commands, one module per area (interfaces hold no logic)."""
