"""spinestep: a coach for the McKenzie lumbar flexion progression, with the clinician in the loop."""

__version__ = "0.1.0"
