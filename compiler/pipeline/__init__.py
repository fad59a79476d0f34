"""One function per command: each runs its stages in order and returns a typed result the CLI prints."""
