"""Validate STAC items and collections against the official JSON schemas stored here (no network).

The schemas are byte copies of the published ones: STAC 1.1.0 core and GeoJSON (as pystac ships
them), and every extension the project declares, from its repository at the release tag
(``<name>-<version>.json``, see README.md). :func:`validate` checks a document against the core
schema of its type and against the schema of every URL in its ``stac_extensions``; an extension
without a stored schema is an error, so declaring a new one forces storing its schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

HERE = Path(__file__).parent
CORE = "https://schemas.stacspec.org/v1.1.0"


def _registry() -> tuple[Registry, dict[str, str]]:
    """Every stored schema under its canonical URL; extension URL -> schema URL."""
    resources = []
    for path in HERE.glob("stac-spec-v1.1.0/*.json"):
        kind = {"catalog": "catalog-spec", "collection": "collection-spec"}.get(
            path.stem, "item-spec"
        )
        url = f"{CORE}/{kind}/json-schema/{path.name}"
        resources.append((url, json.loads(path.read_text())))
    for path in HERE.glob("geojson/*.json"):
        resources.append((f"https://geojson.org/schema/{path.name}", json.loads(path.read_text())))
    extensions = {}
    for path in HERE.glob("*-v*.json"):
        schema = json.loads(path.read_text())
        url = schema["$id"].rstrip("#")
        extensions[url] = url
        resources.append((url, schema))
    registry = Registry().with_resources(
        (url, Resource.from_contents(schema, default_specification=DRAFT7))
        for url, schema in resources
    )
    return registry, extensions


REGISTRY, EXTENSIONS = _registry()


def validate(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` is valid STAC + extensions."""
    kind = {"Feature": "item-spec/json-schema/item.json"}.get(
        document.get("type"),
        "collection-spec/json-schema/collection.json"
        if document.get("type") == "Collection"
        else "catalog-spec/json-schema/catalog.json",
    )
    urls = [f"{CORE}/{kind}"]
    for extension in document.get("stac_extensions", []):
        if extension not in EXTENSIONS:
            raise AssertionError(f"no stored schema for declared extension {extension}")
        urls.append(extension)
    for url in urls:
        schema = REGISTRY.contents(url)
        validator = jsonschema.Draft7Validator(schema, registry=REGISTRY)
        validator.validate(document)
