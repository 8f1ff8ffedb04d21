"""Two checks of an exported Bundle that the export does not run itself.

1. The official HL7 FHIR R4 JSON Schema (``tests/data/fhir``, see its README), with
   ``jsonschema`` (Draft 6, as the schema declares). The schema says a resource is one
   of ~150 resource definitions (``ResourceList``, a ``oneOf``), and names the
   ``resourceType`` discriminator that picks the one; trying all of them for every entry
   is slow, so ``ResourceList`` is checked by that discriminator instead: the entry's
   ``resourceType`` picks its definition, and an unknown type is an error. Each
   definition fixes its ``resourceType``, so this is the same check as the ``oneOf``.
   The validator is built once per test session; nothing is fetched from the network.
2. FHIR invariants of R4 that a JSON schema cannot say, written here in the way FHIRPath
   states them (ele-1, ref-1/bdl-7 style reference and ``fullUrl`` rules, per-1, obs-6,
   obs-7, txt-2). They are not the export's code and do not use ``fhir.resources``.

``fhir.resources`` (R4B models) is a third check, run by the tests next to these: the
R4B models accept the R4 resources spinestep writes (Patient, CarePlan, Observation,
QuestionnaireResponse, Questionnaire, Flag, Bundle did not change in ways that matter
here), but they are used by the export too, so they do not count as independent.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator, ValidationError
from jsonschema.validators import extend

SCHEMA_FILE = Path(__file__).parents[1] / "data" / "fhir" / "fhir.schema.json.gz"
Json = dict[str, Any]


def _dispatch(validator: Any, mapping: dict[str, str], instance: Any, _schema: Json) -> Any:
    if not isinstance(instance, dict):
        yield ValidationError("a resource must be a JSON object")
        return
    target = mapping.get(instance.get("resourceType"))  # type: ignore[arg-type]
    if target is None:
        yield ValidationError(f"{instance.get('resourceType')!r} is not an R4 resource type")
        return
    yield from validator.descend(instance, {"$ref": target})


@cache
def r4_schema_validator() -> Any:
    """The Draft 6 validator of the official R4 schema (built once)."""
    schema = json.loads(gzip.decompress(SCHEMA_FILE.read_bytes()))
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
    mapping = schema["discriminator"]["mapping"]
    schema["definitions"]["ResourceList"] = {"resourceDispatch": mapping}
    del schema["oneOf"]  # the top level is a ResourceList too
    schema["resourceDispatch"] = mapping
    validator_type = extend(Draft6Validator, {"resourceDispatch": _dispatch})
    return validator_type(schema)


def schema_errors(bundle: Json) -> list[str]:
    """What the official R4 schema finds wrong with ``bundle`` (empty when valid)."""
    errors = r4_schema_validator().iter_errors(bundle)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300] for e in errors)


def invariant_errors(bundle: Json) -> list[str]:
    """The R4 invariants below that ``bundle`` breaks (empty when it keeps them all)."""
    problems: list[str] = []
    problems += [f"{path}: ele-1 empty element" for path in _empty_elements(bundle, "Bundle")]
    urls = [entry.get("fullUrl") for entry in bundle.get("entry", [])]
    if len(set(urls)) != len(urls):
        problems.append("Bundle: bdl-7 two entries share a fullUrl")
    for index, entry in enumerate(bundle.get("entry", [])):
        resource = entry["resource"]
        path = f"entry[{index}]"
        if entry.get("fullUrl") != f"urn:uuid:{resource.get('id')}":
            problems.append(f"{path}: fullUrl is not urn:uuid:<resource id>")
        for where, reference in _references(resource, path):
            if reference.startswith("urn:uuid:") and reference not in urls:
                problems.append(f"{where}: ref-1 reference resolves to no entry")
        for where, period in _periods(resource, path):
            start, end = period.get("start"), period.get("end")
            if start and end and _instant(end) < _instant(start):
                problems.append(f"{where}: per-1 period ends before it starts")
        if resource["resourceType"] == "Observation":
            problems += _observation_invariants(resource, path)
        text = resource.get("text")
        if text is not None and not str(text.get("div", "")).startswith("<div"):
            problems.append(f"{path}.text: txt-1 narrative is not an XHTML div")
        if text is not None and not _has_words(str(text.get("div", ""))):
            problems.append(f"{path}.text: txt-2 narrative has no text")
    return problems


def _observation_invariants(observation: Json, path: str) -> list[str]:
    problems = []
    has_value = any(key.startswith("value") for key in observation)
    if has_value and "dataAbsentReason" in observation:
        problems.append(f"{path}: obs-6 dataAbsentReason beside a value")
    own = {(c.get("system"), c.get("code")) for c in observation["code"].get("coding", [])}
    if has_value:
        for index, component in enumerate(observation.get("component", [])):
            codes = {(c.get("system"), c.get("code")) for c in component["code"].get("coding", [])}
            if codes & own:
                problems.append(f"{path}.component[{index}]: obs-7 repeats the code")
    return problems


def _empty_elements(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        if not value:
            yield path
        for key, item in value.items():
            yield from _empty_elements(item, f"{path}.{key}")
    elif isinstance(value, list):
        if not value:
            yield path
        for index, item in enumerate(value):
            yield from _empty_elements(item, f"{path}[{index}]")
    elif value is None or (isinstance(value, str) and not value.strip()):
        yield path


def _references(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield path, item
            else:
                yield from _references(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _references(item, f"{path}[{index}]")


def _periods(value: Any, path: str) -> Iterator[tuple[str, Json]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "period" and isinstance(item, dict):
                yield f"{path}.{key}", item
            else:
                yield from _periods(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _periods(item, f"{path}[{index}]")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _has_words(div: str) -> bool:
    inside = div.replace("<", " <").split(">")
    return any(part.split("<")[0].strip() for part in inside)


def assert_valid_r4(bundle: Json) -> None:
    """``bundle`` passes the official R4 schema and the invariants (names what fails)."""
    errors = schema_errors(bundle) + invariant_errors(bundle)
    assert errors == [], errors[:5]
