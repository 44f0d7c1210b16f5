"""The English locale: every main page, seen by each role with the session locale set to en, shows
no Chinese of its own. The world is built with ASCII data (names, titles, regions, specialties), so a
Han character left in the visible text is an untranslated string; the few places that must show
Chinese (public notice titles and bodies, legal citations) are allowed explicitly below."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from english_scan import HAN, TextParts, chinese_snippets
from tests_helpers import login, totp_code


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class World:
    agency: object
    purchaser: object
    supervisor: object
    reviewer: object
    admin: object
    suppliers: list
    experts: list
    project: object = None
    lot: object = None
    committee: object = None
    award: object = None
    request: object = None
    draw_request: object = None
    challenge: object = None
    complaint: object = None
    contract: object = None
    notices: list = field(default_factory=list)


def _asciify(user, label: str) -> None:
    user.name = f"{label} User"
    if user.org is not None:
        user.org.name = f"{label} Org Ltd"


@pytest.fixture
def world(app, app_ctx, region, clock, make_user):
    """An opened lot with three bids, evaluated by three drawn experts, the result published, a
    challenge answered and a complaint filed, a contract drafted; a second draw request, drawn."""
    from accounts.models import Region
    from core.db import db
    from evaluation import challenges, complaints, contracts, service
    from expert_draw import service as draws
    from expert_draw.models import (
        DrawRequest,
        DrawRequestSpecialty,
        Invitation,
        InvitationKind,
        InvitationStatus,
        RequestStatus,
    )
    from expert_draw.service import SpecialtyCount
    from expert_draw.subject import DrawSubject
    from notices.models import Notice
    from registry.experts.demo import demo_id_number, ensure_specialties
    from registry.experts.models import Expert, ExpertSpecialty, ExpertStatus, Specialty
    from tender import filestore
    from tender.models import Bid, Lot, OpeningRecord, Project, Registration
    from tender.transitions import BidStatus, Category, EvalMethod, LotStatus, Method, OpeningMode, ProjectStatus

    ensure_specialties()
    for spec in db.session.scalars(db.select(Specialty)):
        spec.name = f"Specialty {spec.code}"
    for row in db.session.scalars(db.select(Region)):
        row.name = f"Region {row.code}"
    now = clock.now()
    agency = make_user("agency_staff", org_kind="agency", totp=True)
    purchaser = make_user("purchaser", org_kind="purchaser", totp=True)
    supervisor = make_user("supervisor", org_kind="finance", totp=True)
    reviewer = make_user("finance_reviewer", org_kind="finance")
    admin = make_user("admin", totp=True)
    for user, label in ((agency, "Agency"), (purchaser, "Purchaser"), (supervisor, "Supervisor"),
                        (reviewer, "Reviewer"), (admin, "Admin")):
        _asciify(user, label)
    project = Project(code="TS-2026-EN1", title="County Hospital Ultrasound", region_code=region,
                      purchaser_org_id=purchaser.org_id, agency_org_id=agency.org_id, created_by_id=agency.id,
                      catalogue_code="A02010104", category=Category.GOODS, method=Method.PUBLIC_TENDER,
                      eval_method=EvalMethod.SCORING,
                      criteria=[{"name": "Price", "weight": 40, "price": True}, {"name": "Tech", "weight": 45},
                                {"name": "Business", "weight": 15}],
                      notice_at=now - timedelta(days=21), doc_start_at=now - timedelta(days=21),
                      doc_end_at=now - timedelta(days=14), clarify_deadline=now - timedelta(days=10),
                      deadline=now - timedelta(hours=2), opening_mode=OpeningMode.CUSTODIAN,
                      status=ProjectStatus.OPENED, created_at=now - timedelta(days=22),
                      published_at=now - timedelta(days=21), opened_at=now - timedelta(hours=1))
    lot = Lot(project=project, number=1, name="Doppler Ultrasound", budget_fen=1_000_000_00,
              max_price_fen=980_000_00, status=LotStatus.OPENED)
    db.session.add_all([project, lot])
    db.session.flush()
    suppliers, bids = [], []
    for i, price in enumerate((900_000_00, 920_000_00, 950_000_00)):
        supplier = make_user("supplier", org_kind="supplier", totp=False)
        _asciify(supplier, f"Supplier{i + 1}")
        suppliers.append(supplier)
        db.session.add(Registration(project_id=project.id, org_id=supplier.org_id, user_id=supplier.id,
                                    registered_at=now - timedelta(days=20)))
        bid = Bid(project_id=project.id, lot_id=lot.id, org_id=supplier.org_id, user_id=supplier.id,
                  status=BidStatus.OPENED, bidder_id=f"b{i}", path=f"x/{i}", size=1, sha256="0" * 64,
                  signed_digest="0" * 64, signer_fingerprint="0" * 64, commitment="c",
                  submitted_at=now - timedelta(days=1), closed_at=now - timedelta(hours=1))
        db.session.add(bid)
        db.session.flush()
        bids.append(bid)
        db.session.add(OpeningRecord(project_id=project.id, lot_id=lot.id, bid_id=bid.id, org_id=supplier.org_id,
                                     bidder_name=supplier.org.name, price_fen=price,
                                     opened_at=now - timedelta(hours=1)))
        filestore.remove_tree(f"opened/{project.id}/{bid.id}")
        folder = filestore.absolute(f"opened/{project.id}/{bid.id}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "technical.txt").write_text(f"technical response {i}", encoding="utf-8")
    req = DrawRequest(project_id=project.id, lot_id=None, project_title=project.title, region_code=region,
                      purchaser_org_id=purchaser.org_id, agency_org_id=agency.org_id, method="public_tender",
                      budget_fen=1_000_000_00, evaluation_start_at=now + timedelta(minutes=30),
                      evaluation_end_at=now + timedelta(hours=5), place="Remote room", is_remote=True,
                      status=RequestStatus.COMPLETE, created_by_id=agency.id, created_at=now - timedelta(days=3))
    req.specialties = [DrawRequestSpecialty(position=0, specialty_code="B01", primary_count=5)]
    db.session.add(req)
    db.session.flush()
    experts = []
    for n in range(1, 12):
        user = make_user("expert", totp=True)
        _asciify(user, f"Expert{n}")
        expert = Expert(user_id=user.id, name=user.name, id_number=demo_id_number(n, date(1975, 5, 5)),
                        birth_date=date(1975, 5, 5), phone=f"1390000{n:04d}", region_code=region,
                        employer_name=f"University {n}", status=ExpertStatus.ACTIVE, registered_at=now,
                        admitted_at=now, specialty_rows=[ExpertSpecialty(specialty_code="B01")])
        db.session.add(expert)
        db.session.flush()
        if n <= 5:
            db.session.add(Invitation(request_id=req.id, expert_id=expert.id, specialty_code="B01",
                                      kind=InvitationKind.HAND_PICKED if n == 4 else InvitationKind.PRIMARY,
                                      leaf=None if n == 4 else f"{n:064x}",
                                      status=InvitationStatus.CONFIRMED, reply_code=f"RC{n:04d}{req.id}",
                                      notified_at=now, responded_at=now))
        experts.append(user)
    db.session.commit()
    w = World(agency, purchaser, supervisor, reviewer, admin, suppliers, experts, project=project, lot=lot,
              request=req)

    # the evaluation, through the real services, to a published result
    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(agency, lot.id)
    cid = committee.id
    for user in experts[:5]:
        service.sign_declaration(user, cid, conflict=False)
    chair = next(m for m in committee.members if m.user_id == experts[0].id)
    for user in experts[:3]:
        service.vote_chair(user, cid, chair.id)
    service.start_review(experts[0], cid)
    for user in experts[:5]:
        for stage, reqs in service.requirements_of(committee).items():
            service.submit_review(user, cid, stage, [{"bid_id": b.id, "requirement": r, "passed": True}
                                                     for b in bids for r in reqs])
    service.finish_review(experts[0], cid)
    clock.advance(timedelta(seconds=31))
    sheet = {str(b.id): {"Tech": "40", "Business": "12"} for b in bids}
    for user in experts[:5]:
        service.submit_scores(user, cid, sheet, totp_code(user))
    service.start_summary(experts[0], cid)
    report = service.accept_summary(experts[0], cid)
    clock.advance(timedelta(seconds=31))
    for user in experts[:5]:
        service.sign_report(user, report.id, totp_code(user))
    award = service.send_report(agency, cid)
    service.confirm_winner(purchaser, award.id, report.candidates[0].id)
    service.publish_result(agency, award.id)
    db.session.commit()
    w.committee, w.award = committee, award

    challenge = challenges.file_challenge(suppliers[1], award.id, "The winner's references are false",
                                          [("evidence.txt", io.BytesIO(b"evidence"))])
    challenges.answer_challenge(agency, challenge.id, "Checked: the references are genuine.", upheld=False)
    db.session.commit()
    clock.advance(timedelta(days=8))
    complaint = complaints.file_complaint(suppliers[1], challenge.id, "The agency did not check", "Void the award")
    db.session.commit()
    w.challenge, w.complaint = challenge, complaint
    w.contract = contracts.draft_contract(purchaser, award.id, {
        "performance_place": "County Hospital", "payment": "95% within 30 days of acceptance",
        "acceptance": "item by item", "warranty": "three years"})
    db.session.commit()

    # a second request, drawn (sealed names, draw rows, exclusions)
    subject = DrawSubject(title="Library Computers", purchaser_org_id=purchaser.org_id,
                          agency_org_id=agency.org_id, method="public_tender", budget_fen=300_000_00,
                          region_code=region, supplier_org_ids={s.org_id for s in suppliers})
    start = clock.now() + timedelta(days=3)
    drawn = draws.create_request(agency, subject, [SpecialtyCount("B01", 5, 1)], start, None, "Room 3",
                                 purchaser_reps=0)
    db.session.commit()
    draws.run_draw(draws.commit_draw(agency, drawn), supervisor, "123456")
    db.session.commit()
    w.draw_request = drawn
    # an open question to a bidder, and signing keys: the pages then show their signing forms and
    # hand their scripts the page text (data-messages)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from accounts.service import register_public_key
    from evaluation.models import ClarificationKind, EvaluationClarification

    for user in (purchaser, suppliers[1]):
        pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        register_public_key(user, pem, "sign", "signing key")
    db.session.add(EvaluationClarification(
        committee_id=committee.id, bid_id=bids[1].id, kind=ClarificationKind.CLARIFICATION,
        question="Please explain the delivery period.", asked_by_id=chair.id, asked_at=clock.now(),
        due_at=clock.now() + timedelta(days=1)))
    db.session.commit()
    w.notices = list(db.session.scalars(db.select(Notice)))
    return w


def _pages(w: World) -> dict[str, list[str]]:
    """Role -> the pages that role opens."""
    p, cid, award = w.project.id, w.committee.id, w.award.id
    req, drawn = w.request.id, w.draw_request.id
    draw_id = w.draw_request.draws[0].id
    common = ["/", "/dashboard", "/account/keys", "/account/tokens", "/account/totp", "/notices"]
    common += [f"/notices/{n.id}" for n in w.notices]
    return {
        "agency": [*common, "/tender/", "/tender/new", f"/tender/{p}", f"/tender/{p}/hall", "/tender/keys",
                            "/expert-draw/", "/expert-draw/new", f"/expert-draw/{req}", f"/expert-draw/{drawn}",
                            "/evaluation/", f"/evaluation/{cid}", "/evaluation/clarifications",
                            f"/evaluation/awards/{award}/challenges", "/contracts/", f"/contracts/{w.contract.id}",
                            f"/deposits/lots/{w.lot.id}", "/deposits/reconciliation", "/credit/"],
        "purchaser": [*common, "/tender/", f"/tender/{p}", "/expert-draw/", f"/expert-draw/{drawn}",
                               "/evaluation/", f"/evaluation/{cid}", f"/evaluation/awards/{award}/challenges",
                               "/contracts/", f"/contracts/{w.contract.id}"],
        "supplier": [*common, "/tender/", f"/tender/{p}", f"/tender/{p}/hall", f"/tender/{p}/lots/{w.lot.id}/bid",
                              "/tender/keys", "/evaluation/",
                              "/evaluation/clarifications", f"/evaluation/awards/{award}/challenges", "/contracts/",
                              f"/credit/orgs/{w.suppliers[1].org_id}"],
        "supervisor": [*common, "/tender/", f"/tender/{p}", f"/tender/{p}/hall", "/expert-draw/",
                                f"/expert-draw/{drawn}", f"/expert-draw/{drawn}/names", "/expert-draw/rules",
                                f"/expert-draw/draws/{draw_id}/exclusions", "/experts/",
                                "/evaluation/", f"/evaluation/{cid}", "/evaluation/complaints",
                                f"/evaluation/awards/{award}/challenges", "/contracts/", "/deposits/reconciliation",
                                "/deposits/senders", "/credit/", f"/credit/orgs/{w.suppliers[1].org_id}"],
        "reviewer": [*common, "/experts/", "/experts/import", "/expert-draw/rules", "/contracts/", "/credit/",
                     "/credit/import"],
        "admin": [*common, "/experts/", "/experts/import", "/expert-draw/rules", "/deposits/senders", "/credit/"],
        "expert": [*common, "/expert-draw/my", "/experts/me", "/evaluation/", f"/evaluation/{cid}",
                            "/evaluation/clarifications"],
        "new_expert": [*common, "/experts/register", "/expert-draw/my"],
    }


def _user(w: World, role: str, make_user):
    if role == "supplier":
        return w.suppliers[1]
    if role == "expert":
        return w.experts[0]
    if role == "new_expert":
        user = make_user("expert", totp=True)
        _asciify(user, "Newcomer")
        from core.db import db

        db.session.commit()
        return user
    return getattr(w, role)


ROLES = ["agency", "purchaser", "supplier", "supervisor", "reviewer", "admin", "expert", "new_expert"]


def _allowed(w: World, url: str) -> tuple[str, ...]:
    """The Chinese data a page shows on purpose, page by page."""
    from core.db import db
    from expert_draw.models import DrawExclusion
    from registry.experts.importer import COLUMNS

    allowed: tuple[str, ...] = ()
    if url in ("/", "/notices", f"/tender/{w.project.id}") or url.startswith("/notices/"):
        # public notices are legal texts in Chinese whatever the reader's locale: their titles, and
        # on its own page the body
        allowed += tuple(n.title for n in w.notices)
    if url.startswith("/notices/"):
        notice = next(n for n in w.notices if url == f"/notices/{n.id}")
        allowed += tuple(line.strip() for line in notice.body.splitlines() if line.strip())
    if url == "/experts/import":
        allowed += tuple(COLUMNS.values())  # the file's column names may be the Chinese ones
    if url == "/credit/import":
        from registry.credit.importer import COLUMNS as CREDIT_COLUMNS

        allowed += tuple(CREDIT_COLUMNS.values())
    if url.endswith("/exclusions"):
        # the details recorded with each exclusion (e.g. "30 日内") are part of the audited draw
        allowed += tuple(d for d in db.session.scalars(db.select(DrawExclusion.detail)) if d)
    return tuple(sorted(allowed, key=len, reverse=True))


def _check(w: World, client, urls) -> dict[str, list[str]]:
    problems = {}
    for url in urls:
        response = client.get(url)
        found = chinese_snippets(response.get_data(as_text=True), _allowed(w, url))
        if response.status_code != 200:
            found.insert(0, f"HTTP {response.status_code}")
        if found:
            problems[url] = found
    return problems


def _report(problems: dict[str, list[str]]) -> str:
    return "Chinese on English pages:\n" + "\n".join(f"{url}:\n  " + "\n  ".join(snips)
                                                   for url, snips in problems.items())


@pytest.mark.parametrize("role", ROLES)
def test_english_pages_show_no_chinese(world, client, clock, make_user, role):
    user = _user(world, role, make_user)
    clock.advance(timedelta(seconds=31))
    assert login(client, user).status_code == 302
    client.get("/lang/en")
    problems = _check(world, client, _pages(world)[role])
    assert not problems, _report(problems)


def test_anonymous_pages(world, client):
    client.get("/lang/en")
    problems = _check(world, client, ["/", "/login", "/notices", *[f"/notices/{n.id}" for n in world.notices]])
    assert not problems, _report(problems)


def test_the_scanner_finds_chinese_outside_scripts():
    html = '<p>Hello</p><script>var a = "中文";</script><button title="提交">OK</button><input value="名字">'
    assert chinese_snippets(html) == ["提交"]
    assert chinese_snippets('<div data-messages="{&#34;ok&#34;: &#34;好&#34;}"></div>') == ["好"]
    escaped = '<div data-messages="{&#34;ok&#34;: &#34;\\u597d&#34;}"></div>'  # as tojson writes it
    assert chinese_snippets(escaped) == ["好"]


def test_page_scripts_get_their_text_in_english(world, client, clock):
    """The signing and room scripts read their messages from data-messages, translated."""
    clock.advance(timedelta(seconds=31))
    login(client, world.suppliers[1])
    client.get("/lang/en")
    page = client.get("/evaluation/clarifications").get_data(as_text=True)
    assert "answer-sign.js" in page and "First choose your signing key file" in page
    clock.advance(timedelta(seconds=31))
    client.post("/logout")
    login(client, world.purchaser)
    client.get("/lang/en")  # logging out forgot the language
    page = client.get(f"/contracts/{world.contract.id}").get_data(as_text=True)
    assert "contract-sign.js" in page and "Could not read the contract text (%(status)s)." in page
    page = client.get(f"/evaluation/{world.committee.id}").get_data(as_text=True)
    assert "Connection lost, reconnecting" in page


def _messages(page: str, element_id: str) -> dict[str, str]:
    """The data-messages table on the element with this id (as the page's script reads it)."""
    found: dict[str, str] = {}

    class Finder(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("id") == element_id and attrs.get("data-messages"):
                found.update(json.loads(attrs["data-messages"]))

    Finder().feed(page)
    assert found, f"no data-messages on #{element_id}"
    return found


def test_tender_scripts_get_their_text_in_english(world, client, clock):
    """The hall, the sealing page and the key page hand hall.js, bid.js (with price.js), keys.js and the
    crypto forms (seal-page.js) their text, translated; the Chinese page hands the same keys in Chinese."""
    clock.advance(timedelta(seconds=31))
    login(client, world.suppliers[1])
    p, lot = world.project.id, world.lot.id
    pages = {f"/tender/{p}/hall": "hall", f"/tender/{p}/lots/{lot}/bid": "bid-app", "/tender/keys": "keygen-app"}
    chinese = {url: _messages(client.get(url).get_data(as_text=True), element) for url, element in pages.items()}
    client.get("/lang/en")
    english = {url: _messages(client.get(url).get_data(as_text=True), element) for url, element in pages.items()}
    for url in pages:
        assert english[url].keys() == chinese[url].keys(), url
        assert HAN.search(chinese[url]["no_key"]), url
        untranslated = {key: text for key, text in english[url].items() if HAN.search(text)}
        assert not untranslated, (url, untranslated)
    hall, bid, keys = english.values()
    assert hall["items_count"] == "%(n)s itemised prices" and hall["unwrap"] == "Unwrap my key shares"
    assert hall["left_days"] == "%(days)s d %(time)s left"
    assert bid["words_differ"].startswith("The amount in words") and "%(words)s" in bid["words_differ"]
    assert bid["seal"] == "Encrypt and sign" and keys["generate"] == "Generate keys on this device"
    assert chinese[f"/tender/{p}/hall"]["items_count"] == "分项报价 %(n)s 项"  # as hall.js writes it


def test_countdown_bar_gets_its_text_in_english(app):
    """Every tender page's next-event bar (templates/tender/_macros.html) carries countdown.js's text."""
    from datetime import UTC, datetime

    from flask import render_template_string
    from flask_babel import force_locale

    event = {"label": "Bid deadline", "at": datetime(2030, 1, 1, tzinfo=UTC)}
    source = '{% from "tender/_macros.html" import next_event_bar with context %}{{ next_event_bar(event) }}'
    with app.test_request_context("/"):
        with force_locale("en"):
            english = render_template_string(source, event=event)
        chinese = render_template_string(source, event=event)
    def bar_messages(html: str) -> dict[str, str]:
        found = re.search(r'class="[^"]*by-next-event[^"]*"[^>]*data-messages="([^"]*)"', html)
        assert found, html
        return json.loads(unescape(found.group(1)))

    assert bar_messages(english) == {"due": "Time is up", "left": "%(time)s left",
                                     "left_days": "%(days)s d %(time)s left"}
    assert bar_messages(chinese)["left_days"] == "还剩 %(days)s 天 %(time)s"  # as countdown.js writes it


# ---------------------------------------------------------------- codes, ids and command lines (issue 13)
# What a clerk must never be shown, in either locale: an internal id ("标项 #4", "#22", "#%(bid)s" in a
# script's text), a stored file path, a command line, a bare region or specialty code, a count over
# nobody ("0/0"), or a status as the code spells it. Developer material lives under 高级 / 开发者 (the
# pages in DEVELOPER_PAGES), which is for those who ask for it and not scanned.
CLERK_CODES = {
    "internal id": re.compile(r"#\s*(?:\d+|%\(\w+\)s)"),
    "file path": re.compile(r"(?:^|[\s(（:：])(?:files|bids|opened|tmp)/\S+|/tmp/|\.sealed\b(?!\s*(?:文件|file))"),
    "command line": re.compile(r"python3? -m |\bcurl\s|\bflask\s+\w|\bpip install|--[a-z][a-z-]+"),
    "region code": re.compile(r"(?<![\d,.\-])\b33\d{4}\b(?![\d,.])"),
    "specialty code": re.compile(r"\b[A-Z]\d{2}(?:\d{2})*\b"),
    "count over nobody": re.compile(r"(?<![\d.])0\s*/\s*0(?![\d.])"),
}
DEVELOPER_PAGES = {"/account/tokens"}
# Status codes of the enums, as whole words, are code on a Chinese page (on an English one they are words).
STATUS_WORDS = re.compile(r"\b(?:invited|declined|confirmed|drawn|initial|replacement|seated|superseded|withdrawn|"
                          r"submitted|revoked|voided|pending|draft|opening|evaluating)\b")


class _ClerkText(TextParts):
    """The text a clerk sees: as `TextParts`, less the 高级 / 开发者 sections (class by-developer), which are
    closed until asked for."""

    def __init__(self) -> None:
        super().__init__()
        self._developer: list[str] = []  # the developer section's tag, once per nested tag of that name

    def handle_starttag(self, tag, attrs):
        if self._developer:
            if tag == self._developer[0]:
                self._developer.append(tag)
            return
        if "by-developer" in (dict(attrs).get("class") or "").split():
            self._developer.append(tag)
            return
        # the CSRF token handed to the page's script is random text nobody reads ("…L32…" is no code)
        super().handle_starttag(tag, [(name, value) for name, value in attrs if name != "data-csrf"])

    def handle_endtag(self, tag):
        if self._developer:
            if tag == self._developer[0]:
                self._developer.pop()
            return
        super().handle_endtag(tag)

    def handle_data(self, data):
        if not self._developer:
            super().handle_data(data)


def clerk_codes(html: str, locale: str, allowed: tuple[str, ...] = ()) -> list[str]:
    parser = _ClerkText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for text in allowed:
            part = part.replace(text, "")
        for what, pattern in CLERK_CODES.items():
            if (match := pattern.search(part)):
                found.append(f"{what}: {match.group(0)!r} in {part[:120]!r}")
        if locale == "zh_CN" and (match := STATUS_WORDS.search(part)):
            found.append(f"status code: {match.group(0)!r} in {part[:120]!r}")
    return found


def _clerk_allowed(w: World) -> tuple[str, ...]:
    """What a page shows on purpose that looks like a code: the project's number (项目编号) and its catalogue
    code (采购目录编码, under its label), and the names of regions and specialties (this world's names carry
    their codes: "Region 330329", "Specialty B01"). Challenges and complaints keep their case number
    ("质疑 #1", "投诉 #1"), which the parties quote to each other and to the finance bureau."""
    from accounts.models import Region
    from core.db import db
    from registry.experts.models import Specialty

    names = [*db.session.scalars(db.select(Region.name)), *db.session.scalars(db.select(Specialty.name))]
    cases = [f"{word} #{n}" for word in ("质疑", "投诉", "Challenge", "Complaint", "Challenges") for n in range(1, 10)]
    return tuple(sorted([w.project.code, w.project.catalogue_code, *names, *cases], key=len, reverse=True))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_clerk_pages_show_no_codes_ids_or_command_lines(world, client, clock, make_user, role, locale):
    user = _user(world, role, make_user)
    clock.advance(timedelta(seconds=31))
    assert login(client, user).status_code == 302
    client.get(f"/lang/{locale}")
    problems = {}
    for url in _pages(world)[role]:
        if url in DEVELOPER_PAGES:
            continue
        found = clerk_codes(client.get(url).get_data(as_text=True), locale, _clerk_allowed(world))
        if found:
            problems[url] = found
    assert not problems, "Codes on clerks' pages:\n" + "\n".join(
        f"{url}:\n  " + "\n  ".join(dict.fromkeys(found)) for url, found in problems.items())


def test_the_code_scanner_finds_ids_paths_commands_and_codes():
    assert clerk_codes("<p>标项 #4</p>", "zh_CN")
    assert clerk_codes('<div data-messages="{&#34;b&#34;: &#34;投标 #%(bid)s&#34;}"></div>', "zh_CN")
    assert clerk_codes("<p>存放于 files/tender/1/a.pdf</p>", "zh_CN")
    assert clerk_codes("<p>运行 python -m crypto keygen</p>", "zh_CN")
    assert clerk_codes("<p>温州市 330300</p>", "zh_CN") and clerk_codes("<p>专业 B03</p>", "zh_CN")
    assert clerk_codes("<p>进度 0/0</p>", "zh_CN") and clerk_codes("<p>declined 1</p>", "zh_CN")
    assert not clerk_codes("<p>declined 1</p>", "en") and not clerk_codes("<p>金额 330,300.00 元，3/5</p>", "zh_CN")
    assert not clerk_codes("<script>const a = 'python -m x #4';</script><p>第 1 标项</p>", "zh_CN")
    developer = ('<details class="small by-developer"><summary>高级</summary><details>curl x</details>'
                 'python -m x</details>')
    assert not clerk_codes(developer + "<p>好</p>", "zh_CN") and clerk_codes(developer + "<p>#4</p>", "zh_CN")
