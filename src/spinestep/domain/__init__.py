"""spinestep.domain."""
