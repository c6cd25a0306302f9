"""The three forms of an MTL file, ODL text (``_MTL.txt``), JSON and XML, parsed to Metadata.

Each parser reads its form into the tree ``{"GROUP": {"KEY": value, ...}}`` (numbers as int
or float, everything else str) and picks the fields out of it
(:func:`~landsat_ops.scene.mtl.metadata.metadata_from_tree`).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from landsat_ops.errors import MetadataError
from landsat_ops.scene.mtl.metadata import Metadata, metadata_from_tree

__all__ = ["parse_mtl_json", "parse_mtl_text", "parse_mtl_xml"]

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")


def _scalar(text: str) -> int | float | str:
    """Turn an unquoted value into int or float when it is a number, else keep the str.

    An integer of more than 30 digits becomes a float (Python refuses to parse integers of
    over 4300 digits; the bounds check then refuses an infinite or absurd value)."""
    if _INT_RE.fullmatch(text):
        return int(text) if len(text) <= 30 else float(text)
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    return text


def _decode(data: str | bytes, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MetadataError(
            f"{source}: not UTF-8 text at byte {exc.start} (expected an MTL text file)"
        ) from None


def _parse_odl(text: str, source: str) -> dict[str, Any]:
    """Parse ODL ``GROUP = X / KEY = VALUE / END_GROUP = X [/ END]`` into nested dicts."""
    root: dict[str, Any] = {}
    stack: list[tuple[str, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped == "END":
            break
        key, sep, value = (part.strip() for part in stripped.partition("="))
        if not sep or not key:
            raise MetadataError(
                f"{source}: line {number} {stripped[:60]!r} is not KEY = VALUE "
                "(expected an ODL MTL text file)"
            )
        if key == "GROUP":
            group: dict[str, Any] = {}
            (stack[-1][1] if stack else root)[value] = group
            stack.append((value, group))
        elif key == "END_GROUP":
            if not stack or stack[-1][0] != value:
                open_group = stack[-1][0] if stack else "no open group"
                raise MetadataError(
                    f"{source}: line {number} closes group {value} "
                    f"(expected END_GROUP = {open_group})"
                )
            stack.pop()
        elif not stack:
            raise MetadataError(
                f"{source}: line {number} {key} is outside any GROUP "
                "(expected GROUP = L1_METADATA_FILE or LANDSAT_METADATA_FILE first)"
            )
        elif value.startswith('"'):
            if len(value) < 2 or not value.endswith('"'):
                raise MetadataError(
                    f"{source}: line {number} {key} has an unterminated string "
                    '(expected KEY = "text")'
                )
            stack[-1][1][key] = value[1:-1]
        else:
            stack[-1][1][key] = _scalar(value)
    if stack:
        raise MetadataError(
            f"{source}: truncated, group {stack[-1][0]} is not closed "
            f"(expected END_GROUP = {stack[-1][0]})"
        )
    return root


def _coerce_tree(node: Any, source: str) -> Any:
    """Convert the leaves of a JSON/XML tree: numeric strings to numbers, nulls to ''."""
    if isinstance(node, dict):
        return {key: _coerce_tree(value, source) for key, value in node.items()}
    if isinstance(node, str):
        return _scalar(node.strip())
    if node is None:
        return ""
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise MetadataError(
            f"{source}: unexpected value {node!r} (expected numbers, strings and groups)"
        )
    return node


def _xml_tree(element: ET.Element) -> Any:
    """An XML element as a dict of its children, or the text of a leaf."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    return {child.tag: _xml_tree(child) for child in children}


def parse_mtl_text(text: str | bytes, source: str = "<MTL>") -> Metadata:
    """Parse an ODL MTL text file (``_MTL.txt``), with or without the final ``END`` line.

    Parameters
    ----------
    text : str or bytes
        The file content.
    source : str
        Name used in error messages (the file name or URI).

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the text is malformed or truncated, or lacks a required field.
    """
    return metadata_from_tree(_parse_odl(_decode(text, source), source), source)


def parse_mtl_json(text: str | bytes, source: str = "<MTL>") -> Metadata:
    """Parse an MTL JSON file.

    Both forms are accepted: the pre-collection ``{"L1_METADATA_FILE": ...}`` (served by the
    AWS landsat-pds bucket, with real JSON numbers) and the Collection 2
    ``{"LANDSAT_METADATA_FILE": ...}`` (every value a string; numeric strings become numbers).

    Parameters
    ----------
    text : str or bytes
        The file content.
    source : str
        Name used in error messages.

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the JSON is malformed or lacks a required field.
    """
    try:
        tree = json.loads(_decode(text, source))
    except json.JSONDecodeError as exc:
        raise MetadataError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg} "
            "(expected an MTL JSON file)"
        ) from None
    return metadata_from_tree(_coerce_tree(tree, source), source)


def parse_mtl_xml(text: str | bytes, source: str = "<MTL>") -> Metadata:
    """Parse a Collection 2 MTL XML file (``<LANDSAT_METADATA_FILE>``).

    Parameters
    ----------
    text : str or bytes
        The file content.
    source : str
        Name used in error messages.

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the XML is malformed or lacks a required field.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise MetadataError(
            f"{source}: invalid XML at line {line} column {column} (expected an MTL XML file)"
        ) from None
    tree = {root.tag: _xml_tree(root)}
    if not isinstance(tree[root.tag], dict):
        tree[root.tag] = {}
    return metadata_from_tree(_coerce_tree(tree, source), source)
