"""spinestep.protocols."""
