"""Formats that move records in and out of spinestep.

- ``fhir`` / ``fhir_read`` / ``fhir_answers`` / ``fhir_codes``: FHIR R4 Bundle export and
  import (validated with the fhir.resources R4B models);
- ``csv_io``: sessions and decisions as CSV;
- ``ical``: session reminders as iCalendar (RFC 5545);
- ``pdf`` / ``svg_charts`` / ``templates/``: the clinician's one-page report.

They format and parse the plain records of ``spinestep.services.record_types`` and
never touch the database (the CLI and the web app wire store -> services -> interop).
"""
