"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import json
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from tests_helpers import make_test_app

from core.config import normalise_database_url
from core.db import db

SCHEMA = "migration_check"


@pytest.fixture
def migration_url(tmp_path):
    """A fresh empty database: a file on SQLite, a schema of its own on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def test_migrations_match_models(tmp_path, migration_url):
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}),
                                    db.metadata)
            head = conn.exec_driver_sql("SELECT size FROM audit_head WHERE id = 1").scalar()
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert head == 0


def test_one_head():
    """Two engineers adding a revision on the same parent make two heads; `flask db upgrade` then refuses."""
    from core.schema import code_heads

    heads = code_heads()
    assert len(heads) == 1, f"more than one Alembic head: {heads}; point one revision's down_revision at the other"


def _revisions_from_base() -> list[str]:
    from core.schema import script_directory

    return [rev.revision for rev in reversed(list(script_directory().walk_revisions()))]


def test_upgrade_keeps_rows_made_at_every_earlier_revision(tmp_path, migration_url):
    """A database someone keeps: rows written at the baseline survive every later revision, step by step."""
    from flask_migrate import upgrade as upgrade_to

    revisions = _revisions_from_base()
    assert revisions[0] == "0001"
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade_to(revision=revisions[0])
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO region (code, name, level, parent_code) VALUES "
                              "('330000', '浙江省', 'province', NULL), ('330329', '泰顺县', 'county', '330000')"))
        for revision in revisions[1:]:
            upgrade_to(revision=revision)
            with db.engine.connect() as conn:
                kept = conn.execute(text("SELECT code, name FROM region ORDER BY code")).all()
                at = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            assert [tuple(row) for row in kept] == [("330000", "浙江省"), ("330329", "泰顺县")], revision
            assert at == revision
        db.engine.dispose()


def test_region_rules_under_renamed_keys_are_carried_over(tmp_path, migration_url):
    """0027: a region's own period rules stored under the old calendar-day keys keep applying."""
    from flask_migrate import upgrade as upgrade_to

    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade_to(revision="0026_workday_years")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO region (code, name, level, parent_code) VALUES "
                              "('330000', '浙江省', 'province', NULL), ('330329', '泰顺县', 'county', '330000')"))
            conn.execute(text(
                "INSERT INTO tender_region_rule (region_code, key, value, note) VALUES "
                "('330329', 'min_notice_days.inquiry', 4, '县'), ('330329', 'min_doc_days', 6, '县'), "
                "('330000', 'min_doc_days', 7, '省旧'), ('330000', 'min_doc_workdays', 8, '省新'), "
                "(NULL, 'min_notice_days.single_source', 5, '旧默认'), ('330329', 'clarification_min_days', 16, '')"))
        upgrade_to(revision="0027_rule_keys_renamed")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT region_code, key, value FROM tender_region_rule "
                                     "ORDER BY region_code, key")).all()
        db.engine.dispose()
    assert sorted(tuple(r) for r in rows if r[0]) == [
        ("330000", "min_doc_workdays", 8),  # the row under the new key wins over the old one
        ("330329", "clarification_min_days", 16),
        ("330329", "min_doc_workdays", 6), ("330329", "min_notice_workdays.inquiry", 4)]
    assert [r for r in rows if r[0] is None] == []  # a copy of the old national default goes


def test_region_rules_of_both_old_tables_move_into_the_one_store(tmp_path, migration_url):
    """0030: tender_region_rule's rows and the draw's typed rows keep applying, inherited, from region_rules."""
    from flask_migrate import upgrade as upgrade_to

    from region_rules import store

    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade_to(revision="0029_expert_accounts")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO region (code, name, level, parent_code) VALUES "
                              "('330000', '浙江省', 'province', NULL), ('330300', '温州市', 'city', '330000'), "
                              "('330329', '泰顺县', 'county', '330300')"))
            conn.execute(text(
                "INSERT INTO tender_region_rule (region_code, key, value, note) VALUES "
                "(NULL, 'min_doc_workdays', 6, '全国'), ('330300', 'price_weight_min.goods', 40, '市'), "
                "('330329', 'evaluation.candidates', 2, '县'), ('330329', 'custody_require_timelock', 1, '')"))
            columns = ("region_code, version, min_committee, large_min_committee, large_budget_fen, expert_share_num, "
                       "expert_share_den, opening_workdays, exempt_methods, age_limit, employment_years, "
                       "same_purchaser_days, allow_fallback, confirm_hours, late_decline_hours, evaluation_hours, "
                       "weighting, panel_methods, panel_min_committee, panel_large_min_committee, "
                       "panel_large_budget_fen")
            conn.execute(text(
                f"INSERT INTO expert_draw_rule ({columns}) VALUES "
                "(NULL, 3, 5, 7, 1000000000, 2, 3, 2, 'competitive_negotiation', 68, 3, 30, true, 24, 24, 8, '', "
                "'inquiry', 3, 5, 400000000), "
                "('330329', 2, 7, 9, 1000000000, 2, 3, 3, 'competitive_negotiation', 65, 3, 30, false, 12, 24, 8, "
                "'A:3,B:2,C:1', 'inquiry', 3, 5, 400000000)"))
        upgrade_to(revision="0030_region_rule_store")
        with db.engine.connect() as conn:
            tables = set(db.inspect(conn).get_table_names())
        county, city = store.snapshot("330329"), store.snapshot("330300")
        national = store.snapshot(None)
        db.session.remove()
        db.engine.dispose()
    assert not {"tender_region_rule", "expert_draw_rule"} & tables
    assert county["min_doc_workdays"] == city["min_doc_workdays"] == 6  # the national row, inherited
    assert county["price_weight_min.goods"] == 40  # the city's row reaches its county
    assert county["evaluation.candidates"] == 2 and city["evaluation.candidates"] == 3  # default above the county
    assert county["custody_require_timelock"] is True
    draw = county.group("expert_draw")
    assert (draw["min_committee"], draw["age_limit"], draw["allow_fallback"], draw["confirm_hours"],
            draw["weighting"]) == (7, 65, False, 12, "A:3,B:2,C:1")
    national_draw = national.group("expert_draw")
    assert national_draw["age_limit"] == city.group("expert_draw")["age_limit"] == 68
    assert national_draw["allow_fallback"] is True and national_draw["exempt_methods"] == "competitive_negotiation"
    # two national changes (tender, draw), the city's, the county's two: the versions they make
    assert (county.version, city.version, national.version) == (5, 3, 2)


def test_schema_state_tells_behind_from_current(tmp_path):
    from core.schema import SchemaBehind, code_heads, ensure_schema_current, schema_state

    app = make_test_app(tmp_path, TESTING=True)
    with app.app_context():
        state = schema_state(db.engine)
        assert not state.is_current and state.current == () and not state.has_tables  # empty database
        with pytest.raises(SchemaBehind, match="flask --app wsgi db upgrade"):
            ensure_schema_current(app)
        upgrade()
        assert schema_state(db.engine).current == code_heads()
        ensure_schema_current(app)
        with db.engine.begin() as conn:  # a database left at a revision the code has moved past
            conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
        assert not schema_state(db.engine).is_current
        with pytest.raises(SchemaBehind, match="0000_older"):
            ensure_schema_current(app)
        db.engine.dispose()


def test_tables_made_by_create_all_are_accepted(tmp_path):
    """The tests and benchmarks build the schema from the models: not behind, so servers start on it."""
    from core.schema import ensure_schema_current, schema_state

    app = make_test_app(tmp_path, TESTING=True)
    with app.app_context():
        db.create_all()
        assert schema_state(db.engine).created_without_alembic
        ensure_schema_current(app)
        db.engine.dispose()


def _env_on(tmp_path):
    import secrets

    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "FILE_STORE") and not k.startswith("BIAOYUN_")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}", "SECRET_KEY": secrets.token_hex(16),
                "BIAOYUN_INSTANCE_PATH": str(instance), "FILE_STORE": str(instance / "files"),
                "BIAOYUN_AUDIT_KEY_PATH": str(instance / "keys" / "audit.pem"), "FLASK_APP": "wsgi"})
    return env


@pytest.mark.parametrize("command", [
    ["-m", "flask", "--app", "wsgi", "serve", "--no-worker", "--port", "0"],
    ["-m", "celery", "-A", "wsgi:celery", "worker", "--pool=solo", "--without-heartbeat", "--without-gossip",
     "--without-mingle", "--loglevel=error"],
], ids=["flask-serve", "celery-worker"])
def test_processes_refuse_a_database_behind_the_code(tmp_path, command):
    import subprocess
    import sys

    from core.config import ROOT

    env = _env_on(tmp_path)
    env["BIAOYUN_CELERY_BROKER_URL"] = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert "flask --app wsgi db upgrade" in done.stdout + done.stderr


def _tender_notice_rows(conn) -> None:
    """A project at 0031 with three notices: the tender notice, a lot's result notice, and the correction
    that withdrew it."""
    conn.execute(text("INSERT INTO region (code, name, level, parent_code) VALUES "
                      "('330000', '浙江省', 'province', NULL), ('330329', '泰顺县', 'county', '330000')"))
    conn.execute(text("INSERT INTO org (id, name, kind, region_code, is_sme) VALUES "
                      "(1, '泰顺县教育局', 'purchaser', '330329', false), (2, '代理机构', 'agency', '330329', false)"))
    conn.execute(text("INSERT INTO user_account (id, username, name, password_hash, org_id, region_code, active, "
                      "totp_last_step, created_at) VALUES (1, 'agent', '代理', 'x', 2, '330329', true, 0, "
                      "'2026-11-01 00:00:00+00:00')"))
    conn.execute(text(
        "INSERT INTO tender_project (id, code, title, region_code, purchaser_org_id, agency_org_id, created_by_id, "
        "catalogue_code, category, method, eval_method, criteria, price_fixed, same_brand_counts_once, notice_at, "
        "doc_start_at, doc_end_at, clarify_deadline, deadline, opening_mode, decrypt_window_minutes, k, status, "
        "created_at, published_at, lock_version, is_complex, complex_reason) VALUES (7, 'TS-2026-7', '罗阳镇物业服务', "
        "'330329', 1, 2, 1, 'C1204', 'services', 'public_tender', 'scoring', '[]', false, false, "
        "'2026-11-02 00:00:00+00:00', '2026-11-02 00:00:00+00:00', '2026-11-09 00:00:00+00:00', "
        "'2026-11-20 00:00:00+00:00', '2026-11-23 00:00:00+00:00', 'custodian', 30, 1, 'evaluating', "
        "'2026-11-01 00:00:00+00:00', '2026-11-02 00:00:00+00:00', 0, false, '')"))
    conn.execute(text("INSERT INTO tender_lot (id, project_id, number, name, budget_fen, max_price_fen, status) "
                      "VALUES (3, 7, 1, '物业', 100000000, 100000000, 'opened')"))
    conn.execute(text(
        "INSERT INTO tender_notice (id, project_id, lot_id, kind, title, body, published_at) VALUES "
        "(4, 7, NULL, 'tender', '罗阳镇物业服务 采购公告', '项目编号：TS-2026-7', '2026-11-02 00:00:00+00:00'), "
        "(5, 7, 3, 'result', '中标结果公告', '中标供应商：甲', '2026-11-25 00:00:00+00:00'), "
        "(9, 7, 3, 'correction', '中标结果更正公告', '原结果作废', '2026-11-26 00:00:00+00:00')"))
    conn.execute(text("UPDATE tender_notice SET withdrawn_at = '2026-11-26 00:00:00+00:00', withdrawn_by_id = 9 "
                      "WHERE id = 5"))


def test_tender_notices_become_the_kits_notices_with_their_rows(tmp_path, migration_url):
    """0032: every tender_notice row is a `notice` about its project, same id (its URL stays), in the project's
    region, the withdrawal kept; the next notice gets a fresh id; the contract notices' key follows."""
    from flask_migrate import downgrade
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import inspect

    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade_to(revision="0031_phone_replies")
        with db.engine.begin() as conn:
            _tender_notice_rows(conn)
        upgrade_to(revision="0032_notice_kit")
        with db.engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT id, kind, region_code, subject_type, subject_id, lot_id, title, withdrawn_by_id, "
                "withdrawn_at IS NOT NULL, audit_seq FROM notice ORDER BY id")).all()
            conn.execute(text("INSERT INTO notice (kind, region_code, subject_type, subject_id, title, body, "
                              "published_at) VALUES ('contract', '330329', 'tender_project', 7, '合同公告', '合同', "
                              "'2026-11-28 00:00:00+00:00')"))
            fresh = conn.execute(text("SELECT MAX(id) FROM notice")).scalar()
            tables = set(inspect(conn).get_table_names())
            contract_keys = {fk["referred_table"] for fk in inspect(conn).get_foreign_keys("evaluation_contract")
                             if fk["constrained_columns"] == ["notice_id"]}
        downgrade(revision="0031_phone_replies")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT id, project_id, lot_id, kind, withdrawn_by_id FROM tender_notice "
                                     "ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [
        (4, "tender", "330329", "tender_project", 7, None, "罗阳镇物业服务 采购公告", None, False, None),
        (5, "result", "330329", "tender_project", 7, 3, "中标结果公告", 9, True, None),
        (9, "correction", "330329", "tender_project", 7, 3, "中标结果更正公告", None, False, None)]
    assert fresh == 10
    assert "tender_notice" not in tables and contract_keys == {"notice"}
    assert [tuple(r) for r in back] == [(4, 7, None, "tender", None), (5, 7, 3, "result", 9),
                                        (9, 7, 3, "correction", None), (10, 7, None, "contract", None)]


def _award_contract_rows(conn) -> None:
    """At 0040, on top of the project of `_tender_notice_rows`: a winning bid, its award and the award's
    contract, signed by the purchaser."""
    t = "'2026-11-25 00:00:00+00:00'"
    conn.execute(text("INSERT INTO org (id, name, kind, region_code, is_sme) VALUES "
                      "(3, '中标公司', 'supplier', '330329', true)"))
    conn.execute(text("INSERT INTO user_account (id, username, name, password_hash, org_id, region_code, active, "
                      f"totp_last_step, created_at) VALUES (2, 'buyer', '采购', 'x', 1, '330329', true, 0, {t})"))
    conn.execute(text("INSERT INTO public_key (id, user_id, purpose, label, pem, fingerprint, created_at) VALUES "
                      f"(1, 2, 'sign', '签名', 'PEM', '{'a' * 64}', {t})"))
    conn.execute(text(
        "INSERT INTO tender_bid (id, project_id, lot_id, org_id, user_id, status, bidder_id, path, size, sha256, "
        f"signed_digest, signer_fingerprint, commitment, attempts, submitted_at) VALUES (11, 7, 3, 3, 1, 'submitted', "
        f"'b', 'p', 1, '{'b' * 64}', '{'c' * 64}', '{'d' * 64}', '{'e' * 64}', 1, {t})"))
    conn.execute(text("INSERT INTO evaluation_committee (id, project_id, lot_id, eval_method, status, rules_json, "
                      f"opens_at, created_at) VALUES (12, 7, 3, 'scoring', 'forming', '{{}}', {t}, {t})"))
    conn.execute(text("INSERT INTO evaluation_report (id, committee_id, version, status, pdf_sha256, generated_at, "
                      f"signed_at) VALUES (13, 12, 1, 'signed', '{'f' * 64}', {t}, {t})"))
    conn.execute(text("INSERT INTO evaluation_candidate (id, report_id, bid_id, position, rank, price_fen) VALUES "
                      "(14, 13, 11, 1, 1, 98000000)"))
    conn.execute(text("INSERT INTO evaluation_award (id, lot_id, candidate_id, status, confirm_due_at, created_at) "
                      f"VALUES (15, 3, 14, 'pending', {t}, {t})"))
    conn.execute(text(
        "INSERT INTO evaluation_contract (id, award_id, lot_id, number, status, amount_fen, document, sha256, "
        "revision, due_at, drafted_by_id, drafted_at) VALUES (16, 15, 3, 'HT-TS-2026-7-1', 'signing', 98000000, "
        f"'{{}}', '{'9' * 64}', 2, {t}, 2, {t})"))
    conn.execute(text("INSERT INTO evaluation_contract_signature (contract_id, party, user_id, org_id, key_id, sha256, "
                      f"signature, signed_at) VALUES (16, 'purchaser', 2, 1, 1, '{'9' * 64}', 'sig', {t})"))


def test_award_contracts_become_the_kits_contracts_with_their_rows(tmp_path, migration_url):
    """0041: every award contract is a `contract` of source `award`, same id (its URL stays), with the
    parties and region of its project and winning bid and its signatures; downgrade brings it back."""
    from flask_migrate import downgrade
    from flask_migrate import upgrade as upgrade_to

    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade_to(revision="0031_phone_replies")
        with db.engine.begin() as conn:
            _tender_notice_rows(conn)
        upgrade_to(revision="0040_agency_registry")
        with db.engine.begin() as conn:
            _award_contract_rows(conn)
        upgrade_to(revision="0041_contract_kit")
        with db.engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT id, source_kind, source_id, region_code, purchaser_org_id, supplier_org_id, agency_org_id, "
                "number, status, revision FROM contract")).all()
            signatures = conn.execute(text("SELECT contract_id, party, key_id FROM contract_signature")).all()
        downgrade(revision="0040_agency_registry")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT id, award_id, lot_id, number, status FROM evaluation_contract")).all()
            back_signatures = conn.execute(text("SELECT contract_id, party FROM evaluation_contract_signature")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(16, "award", 15, "330329", 1, 3, 2, "HT-TS-2026-7-1", "signing", 2)]
    assert [tuple(r) for r in signatures] == [(16, "purchaser", 1)]
    assert [tuple(r) for r in back] == [(16, 15, 3, "HT-TS-2026-7-1", "signing")]
    assert [tuple(r) for r in back_signatures] == [(16, "purchaser")]


def test_room_ratings_of_the_agency_join_the_registrys_one_rating(tmp_path, migration_url):
    """0048: each expert's room rating becomes the expert's registry rating of the project's agency, its
    score on every dimension, unless the expert already rated the project there (kept as it was)."""
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import inspect

    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade_to(revision="0031_phone_replies")
        with db.engine.begin() as conn:
            _tender_notice_rows(conn)
        upgrade_to(revision="0040_agency_registry")
        with db.engine.begin() as conn:
            _award_contract_rows(conn)
        upgrade_to(revision="0044_supplier_activation")
        t = "'2026-11-26 00:00:00+00:00'"
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO user_account (id, username, name, password_hash, region_code, active, "
                              f"totp_last_step, created_at) VALUES (3, 'zj', '专家', 'x', '330329', true, 0, {t})"))
            conn.execute(text("INSERT INTO registry_expert (id, name, id_number, birth_date, phone, region_code, "
                              "employer_name, title, qualification, status, status_reason, registered_at) VALUES "
                              f"(31, '甲', '330329197001010011', '1970-01-01', '13800000001', '330329', '大学', "
                              f"'教授', '', 'pending', '', {t}), (32, '乙', '330329197001010022', '1970-01-01', "
                              f"'13800000002', '330329', '大学', '教授', '', 'pending', '', {t})"))
            conn.execute(text("INSERT INTO evaluation_member (id, committee_id, user_id, expert_id, "
                              "is_purchaser_rep, hand_picked, is_chair, status, declared_at) VALUES "
                              f"(21, 12, 3, 31, false, false, false, 'declared', {t}), "
                              f"(22, 12, 2, 32, false, false, false, 'declared', {t})"))
            conn.execute(text("INSERT INTO evaluation_agency_rating (committee_id, member_id, agency_org_id, score, "
                              f"note, rated_at) VALUES (12, 21, 2, 4, '组织有序', {t}), (12, 22, 2, 1, '', {t})"))
            conn.execute(text("INSERT INTO agency_rating (agency_org_id, project_id, rater_id, rater_kind, scores, "
                              "average, comment, rated_at) VALUES (2, 7, 2, 'expert', "
                              f"'{{\"competence\": 5, \"service\": 5, \"compliance\": 5, \"efficiency\": 5}}', 5, "
                              f"'很好', {t})"))
        upgrade_to(revision="0048_one_agency_rating")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT project_id, rater_id, rater_kind, average, comment FROM agency_rating "
                                     "ORDER BY rater_id")).all()
            scores = conn.execute(text("SELECT scores FROM agency_rating WHERE rater_id = 3")).scalar()
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(7, 2, "expert", 5.0, "很好"), (7, 3, "expert", 4.0, "组织有序")]
    scores = json.loads(scores) if isinstance(scores, str) else scores
    assert scores == {"competence": 4, "service": 4, "compliance": 4, "efficiency": 4}
    assert "evaluation_agency_rating" not in tables
