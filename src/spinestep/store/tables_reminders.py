"""Tables of the e-mail reminders (created by their migration)."""

from __future__ import annotations
