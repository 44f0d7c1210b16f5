"""Public notices (公告) of every procurement method: one model, one kind registry, one way to publish.

A notice is a public announcement about a subject — a tender project today, an e-mall purchase or a
framework agreement later: its kind, region, subject (type and id, no foreign key), optional lot,
title, body, attachments, publication time and the rule-set version the process ran under. It is
not a real-time message to a user (those are `core.messages`, 消息).

Modules:
- `kinds`    the registry of kinds. The kit registers the kinds every method shares (更正, 澄清, 中止,
             终止, 结果, 废标, 合同, 验收); a package registers its own at import time:
             `MALL_RESULT = kinds.register("mall_result", N_("电子卖场成交公告"))`.
- `models`   `Notice` (table `notice`), `NoticeAttachment` and `NoticeToken` (the search words).
- `subjects` what a publishing package tells the centre about its subjects (`SubjectKind`: the facts
             the centre filters by, the sections of 财办库〔2020〕50号, the buttons of the subject's stage).
- `search`   the centre's query: region tree, kind, method, catalogue, dates, numbered pages, Chinese
             full-text search over jieba tokens (`core.words`, the product search's segmenter).
- `service`  `publish_notice(subject, kind, title, body, lot_id=None, *, region_code, attachments,
             rule_version)` writes the notice and its `notice.published` audit event in the caller's
             transaction (the event holds the body's SHA-256; `proof_of` gives its inclusion proof);
             `withdraw_notice` (a correction notice replaces a published one); `notices_of(subject)`,
             `public_notices()`, `first_published_at(...)` to read them.
- `views`    /notices (filters, search, pages), /notices/<id>, its proof.json and attachments, the Atom
             feeds /notices/feeds/<region>[/<kind>].atom and /sitemap.xml. A package shows what only it knows
             about the subject with `@subject_panel("<its table>")` and adds links with `NOTICE_LINKS`.

A feature package publishes a notice like this, inside the service function that changes the state:

    from notices import kinds
    from notices.service import publish_notice

    notice = publish_notice(order, kinds.RESULT, f"{order.title} 成交结果公告", body)
    record("mall.result_published", order, {"notice": notice.id})

`subject` is any stored model instance with a `region_code` (or pass `region_code=`); the caller commits.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from notices import models, views  # noqa: F401  (models register their tables)

    app.register_blueprint(views.bp)
