"""spinestep.store."""
