"""Links to many rows of one kind from one url_for: a table of 50 rows asks the router once
per kind of link, not once per row (url_for costs about as much as drawing the row).

The route is built with a marker where the id goes, then each row's id is put in its place:
whole-number ids as they are, text ids quoted as werkzeug's converters quote a path part
(BaseConverter.to_url); tests hold both equal to url_for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from flask import url_for

# Digits, so an int converter takes it as a string one does; no row has this id.
_MARK = 987_654_321_987
_PATH_SAFE = "!$&'()*+,/:;=@"


def link_format(endpoint: str, arg: str) -> str:
    """url_for(endpoint, **{arg: id}) as a format string ("/assessment/evidence/{}") for
    whole-number ids."""
    values: dict[str, Any] = {arg: _MARK}
    return url_for(endpoint, **values).replace(str(_MARK), "{}")


def path_links(endpoint: str, arg: str, ids: Iterable[str]) -> dict[str, str]:
    """url_for(endpoint, **{arg: id}) for each text id (a path part), by id."""
    shape = link_format(endpoint, arg)
    return {i: shape.format(quote(i, safe=_PATH_SAFE)) for i in ids}
