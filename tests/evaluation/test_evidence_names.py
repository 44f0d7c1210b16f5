"""Evidence file names: control characters and dot names refused at upload; downloads send `filename*`."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from evaluation_helpers import as_user


@pytest.mark.parametrize("name", ["证据\x00.txt", "..", ".", "换行\n.txt", "nel\x85.txt", "del\x7f.txt"])
def test_a_challenge_with_a_bad_evidence_name_is_refused_and_keeps_nothing(room, published, app, name):
    from core.errors import ValidationError
    from evaluation import challenges
    from evaluation.models import Challenge, EvidenceFile
    from tender import filestore

    with pytest.raises(ValidationError) as refused:
        challenges.file_challenge(room.suppliers[1], published.id, "评分有误",
                                  [("好.txt", io.BytesIO(b"ok")), (name, io.BytesIO(b"bad"))])
    assert refused.value.code == "file_name_invalid"
    assert Challenge.query.count() == 0 and EvidenceFile.query.count() == 0
    assert not [p for p in (filestore.root() / "tmp").rglob("*") if p.is_file()]


def test_evidence_downloads_name_the_file_with_filename_star(room, published, client, clock):
    from evaluation import challenges, evidence

    row = challenges.file_challenge(room.suppliers[1], published.id, "评分有误",
                                    [("业绩 合同（扫描件）.pdf", io.BytesIO(b"%PDF"))])
    evidence.commit()
    as_user(client, room.agency, clock)
    for url in (f"/evaluation/evidence/{row.files[0].id}", f"/api/v1/evaluation/evidence/{row.files[0].id}"):
        got = client.get(url)
        disposition = got.headers["Content-Disposition"]
        got.close()
        assert disposition == ("attachment; filename=\"__ _______.pdf\"; "
                               f"filename*=UTF-8''{quote('业绩 合同（扫描件）.pdf', safe='')}")
