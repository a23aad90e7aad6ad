"""Training code: torch only, never imported by the runtime."""
