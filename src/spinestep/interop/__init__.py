"""spinestep.interop."""
