"""spinestep.motion."""
