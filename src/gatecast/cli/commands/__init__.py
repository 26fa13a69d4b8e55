"""One module per CLI command added after the core four (see ``COMMAND_MODULES`` in main)."""
