"""Tables of the care team : contact details and secure messages (created by their migration)."""

from __future__ import annotations
