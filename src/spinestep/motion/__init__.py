"""spinestep.motion: video and webcam → landmarks → angles → reps (the optional extra).

Public entry points (OpenCV, MediaPipe and SciPy are imported only when they run):

- :func:`spinestep.motion.pipeline.analyze_file` — a photo or video to an
  ``ImageAnalysis`` or a ``RecordedRun`` (whose ``analysis`` is a ``VideoAnalysis``
  with ``to_json()`` and ``to_session_metrics()``).
- :func:`spinestep.motion.analysis.analyze_observations` — the same from landmarks
  already found (any pose stage).
- :func:`spinestep.motion.render.write_annotated_video` and ``write_plot``.
- :func:`spinestep.motion.live_loop.run_live` — live coaching.
- :func:`spinestep.motion.availability.require_motion` — raises ``MotionUnavailable``.
"""
