"""spinestep.web."""
