"""Default deny: every route outside the public list refuses an anonymous visitor; and a
table of who may reach what."""

import re

import pytest

PUBLIC_RULES = {
    "/", "/login", "/login/totp", "/healthz", "/lang/<code>", "/static/<path:filename>",
    "/time.json",  # portal: the server's clock for the header clock of every page
    "/vendor/<package>/<path:filename>", "/api/v1/openapi.json",
    "/notices", "/notices/<int:notice_id>", "/notices/lots/<int:lot_id>/policy.json",  # tender: public notices
    # notices: a notice's proof of publication (its audit event's inclusion proof) and its attachments
    "/notices/<int:notice_id>/proof.json", "/notices/<int:notice_id>/files/<int:file_id>",
    # notices: the centre's Atom feeds per region and kind, and the sitemap
    "/notices/feeds/<region>.atom", "/notices/feeds/<region>/<kind>.atom", "/sitemap.xml",
    "/sitemap/notices-<int:chunk>.xml",
    # portal: open data (OCDS), pages, one record, the bulk download
    "/api/v1/ocds/releases", "/api/v1/ocds/records", "/api/v1/ocds/records/<path:ocid>", "/api/v1/ocds/releases.json",
    # evaluation: a signed contract is public with its notice (text, PDF); any other contract answers 404
    "/contracts/<int:contract_id>", "/contracts/<int:contract_id>.pdf", "/contracts/<int:contract_id>/document.json",
    # audit: the log's verifier key and newest checkpoint, published for anyone who checks a proof
    "/audit/key", "/api/v1/audit/key", "/api/v1/audit/checkpoint",
    # registry: a new expert signs up; an imported expert opens the activation link of the message
    "/experts/signup", "/experts/activate/<token>", "/suppliers/activate/<token>",
    # registry: a supplier registers online; the public list of suppliers in the library
    "/suppliers/register", "/suppliers/public",
    # registry: the agency registry's public list and an agency's online sign-up (page and API)
    "/agencies", "/agencies/signup", "/api/v1/agencies", "/api/v1/agencies/signup",
    # expert_draw: a draw's audit record and verification page, public from the result notice (404 before,
    # except to the request's viewers)
    "/expert-draw/draws/<int:draw_id>/audit.json", "/expert-draw/<int:request_id>/verify",
    "/api/v1/draws/<int:draw_id>/audit",
    # deposits: banks' and guarantee issuers' signed messages, each authenticated by its registered key
    # (core.exchange), no session or token
    "/api/v1/deposits/messages",
    # contracts: the finance intranet's signed payment messages, authenticated the same way
    "/api/v1/contracts/intranet/messages",
}


def concrete(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "id" in m.group(1) else "x", rule)


def test_every_non_public_route_refuses_anonymous(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC_RULES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete(rule.rule), method=method)
            assert response.status_code in (302, 401), f"{method} {rule.rule} answered {response.status_code}"
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401
                assert response.get_json()["error"]["code"] == "unauthorized"
            else:
                assert "/login" in response.headers.get("Location", ""), rule.rule
            checked += 1
    assert checked >= 10


def test_public_list_matches_marked_views(app):
    """A view is public only by an explicit mark; the list above is the whole of it."""
    from core.auth import is_public_endpoint

    public = {r.rule for r in app.url_map.iter_rules() if is_public_endpoint(app, r.endpoint)}
    assert public == PUBLIC_RULES


@pytest.mark.parametrize(("role", "path", "status"), [
    ("purchaser", "/dashboard", 200),
    ("supplier", "/dashboard", 200),
    ("expert", "/dashboard", 200),
    ("agency_staff", "/dashboard", 200),
    ("supervisor", "/dashboard", 200),
    ("supplier", "/account/keys", 200),
    ("expert", "/account/tokens", 200),
    ("supplier", "/api/v1/me", 200),
])
def test_who_may_reach_what(login_as, client, role, path, status):
    login_as(role)
    assert client.get(path).status_code == status
