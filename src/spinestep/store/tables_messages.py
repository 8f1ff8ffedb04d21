"""Tables of the secure messages between a patient and their care team (created by their
migration)."""

from __future__ import annotations
