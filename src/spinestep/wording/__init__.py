"""The questionnaire wording packs shipped with spinestep, and their JSON Schema.

Only wording that may be redistributed is shipped (see each pack's ``licence``): the
NPRS and the PSFS, in spinestep's own words. Load one with
``spinestep questionnaire wording load FILE`` (``shipped_pack_path`` finds the file).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

SCHEMA_FILE = "wording-pack.schema.json"
SHIPPED = ("nprs.en.yaml", "psfs.en.yaml")


def shipped_file(name: str) -> Traversable:
    """A file of this package: a shipped pack or the schema."""
    return resources.files(__name__).joinpath(name)
