"""spinestep.services."""
