"""spinestep: a McKenzie lumbar flexion coach, with the clinician in the loop."""

__version__ = "0.1.0"
