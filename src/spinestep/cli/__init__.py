"""The ``spinestep`` command line: thin Typer commands over the services."""
