"""What every OCDS source shares: identifiers, money, the classification scheme, packages, records.

Money: OCDS amounts are numbers in the currency's unit, so integer fen become yuan with two decimals (an
exact decimal written as a JSON number, never a float sum). Parties: an organisation with a 统一社会信用代码
is identified in the scheme `CN-USCC`; one without (a test purchaser, a department) by its id on this
platform under the publisher's own scheme. Items are classified in the government procurement catalogue
(政府采购品目分类目录, scheme `CN-ZFCGPMML`; itemClassificationScheme is an open codelist).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from flask import current_app

from core import clock
from core.links import public_base_url

SCHEMA_DIR = Path(__file__).parent / "schema"
RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
VERSION = "1.1"
CURRENCY = "CNY"
CATALOGUE_SCHEME = "CN-ZFCGPMML"  # 政府采购品目分类目录 (财库〔2022〕31号)
USCC_SCHEME = "CN-USCC"
PLATFORM_SCHEME = "CN-BIAOYUN-ORG"
LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
PUBLISHER = "标云政府采购电子交易平台"


@cache
def release_schema() -> dict:
    return json.loads((SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))


def prefix() -> str:
    return str(current_app.config.get("OCDS_PREFIX", "ocds-biaoyu"))


def ocid(local_id: str) -> str:
    return f"{prefix()}-{local_id}"


def stamp(value: datetime | None) -> str | None:
    """An aware time as RFC 3339 in UTC (OCDS date-time)."""
    return clock.as_utc(value).isoformat().replace("+00:00", "Z") if value is not None else None


def value(fen: int | None) -> dict | None:
    if fen is None:
        return None
    return {"amount": yuan(fen), "currency": CURRENCY}


def yuan(fen: int) -> int | float:
    """Integer fen as a yuan amount: an int when whole, else the exact two-decimal value."""
    if fen % 100 == 0:
        return fen // 100
    return float(Decimal(fen) / 100)


def party_id(org) -> str:
    return f"{USCC_SCHEME}-{org.uscc}" if org.uscc else f"{PLATFORM_SCHEME}-{org.id}"


def party(org, roles: Iterable[str], region_names: dict[str, str]) -> dict:
    identifier = ({"scheme": USCC_SCHEME, "id": org.uscc, "legalName": org.name} if org.uscc else
                  {"scheme": PLATFORM_SCHEME, "id": str(org.id), "legalName": org.name})
    out = {"id": party_id(org), "name": org.name, "identifier": identifier, "roles": sorted(set(roles)),
           "address": {"region": region_names.get(org.region_code, org.region_code), "countryName": "中国"}}
    if org.is_sme:
        out["details"] = {"scale": "sme"}
    return out


def org_ref(org) -> dict:
    return {"id": party_id(org), "name": org.name}


def classification(code: str, names: dict[str, str]) -> dict:
    out = {"scheme": CATALOGUE_SCHEME, "id": code}
    if names.get(code):
        out["description"] = names[code]
    return out


def publisher() -> dict:
    return {"name": PUBLISHER, "uri": public_base_url()}


def package_head(kind: str, uri: str, published: datetime | None = None) -> dict:
    """The fields of a release or record package before its list (`kind` "releases" or "records")."""
    return {"uri": uri, "version": VERSION, "publishedDate": stamp(published or clock.now()),
            "publisher": publisher(), "license": LICENSE,
            "publicationPolicy": public_base_url() + "/notices"}


def release_package(releases: list[dict], uri: str) -> dict:
    return {**package_head("releases", uri), "releases": releases}


def record(ocid_: str, releases: list[dict]) -> dict:
    """An OCDS record: every release of the process, embedded, and the compiled release merged from them
    with the release schema's merge rules (ocdsmerge); the releases oldest first, as the standard asks."""
    ordered = sorted(releases, key=lambda r: (r["date"], r["id"]))
    return {"ocid": ocid_, "releases": ordered, "compiledRelease": compile_releases(ordered)}


def record_package(records: list[dict], uri: str) -> dict:
    return {**package_head("records", uri), "records": records}


@cache
def _merger():
    import ocdsmerge

    return ocdsmerge.Merger(schema=release_schema())


def compile_releases(releases: list[dict]) -> dict:
    return _merger().create_compiled_release(sorted(releases, key=lambda r: (r["date"], r["id"])))
