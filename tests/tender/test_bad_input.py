"""Bad input to the tender answers a clear error, never a 500: huge ids, oversized documents, file names
with control characters or made of dots; every download names its file with RFC 6266 `filename*`."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from tender_helpers import project_data
from tests_helpers import login


class Zeros(io.RawIOBase):
    """`size` zero bytes, read in chunks: a big upload without holding it in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"\0" * n
        self.left -= n
        return n


def test_huge_ids_in_the_project_json_are_422(world, client, clock):
    from tender.models import Project

    login(client, world.agency)
    for field, value in (("custodian_user_ids", [world.custodians[0][0].id, 2**63]),
                         ("custodian_user_ids", [2**31]), ("purchaser_org_id", 2**40),  # beyond PostgreSQL's INTEGER
                         ("purchaser_org_id", 2**63), ("k", 2**64), ("decrypt_window_minutes", -(2**63) - 1)):
        refused = client.post("/api/v1/tender/projects", json=project_data(world, clock.now(), **{field: value}))
        assert refused.status_code == 422, (field, refused.get_json())
        assert refused.get_json()["error"]["code"] == "validation_failed"
        assert field in refused.get_json()["error"]["details"]["fields"]["json"]
    assert Project.query.count() == 0


def test_a_document_over_200_mib_is_refused_with_the_limit(world, make_project, app):
    from core.errors import PayloadTooLarge
    from tender import filestore, service

    project = make_project(publish=False)
    with pytest.raises(PayloadTooLarge) as refused:
        service.add_document(world.agency, project, "大文件.pdf", io.BufferedReader(Zeros(200 * 1024 * 1024 + 1)))
    assert refused.value.status == 413 and refused.value.code == "document_too_large"
    assert "200 MiB" in refused.value.message
    assert not any((filestore.root() / "tmp").iterdir())  # the temp copy is gone
    doc = service.add_document(world.agency, project, "刚好.pdf", io.BufferedReader(Zeros(200 * 1024 * 1024)))
    assert doc.size == 200 * 1024 * 1024


def test_page_and_api_answer_413_naming_the_limit(world, make_project, client, monkeypatch):
    from tender import service

    project = make_project(publish=False)
    # The same path with a smaller file: a body over 500 KB makes the test client leak a temp file.
    monkeypatch.setattr(service, "MAX_DOCUMENT_BYTES", 256 * 1024)
    login(client, world.agency)
    api = client.post(f"/api/v1/tender/projects/{project.id}/documents",
                      data={"file": (io.BytesIO(b"x" * (256 * 1024 + 1)), "big.pdf")})
    assert api.status_code == 413
    assert api.get_json()["error"]["code"] == "document_too_large" and "256 KiB" in api.get_json()["error"]["message"]
    page = client.post(f"/tender/{project.id}/documents",
                       data={"file": (io.BytesIO(b"x" * (256 * 1024 + 1)), "big.pdf")})
    assert page.status_code == 413 and "招标文件不能超过 256 KiB" in page.get_data(as_text=True)
    assert len(project.documents) == 1  # the one make_project added


BAD_NAMES = ["a\x00.pdf", "a.pdf\x00", "\x00", "tab\t.pdf", "del\x7f.pdf", "nel\x85.pdf", "c1\x9f.pdf",
             ".", "..", " .. ", "..."]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_document_names_with_control_characters_or_only_dots_are_refused(world, make_project, client, name):
    project = make_project(publish=False)
    login(client, world.agency)
    refused = client.post(f"/api/v1/tender/projects/{project.id}/documents",
                          data={"file": (io.BytesIO(b"doc"), name)})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "file_name_invalid"
    assert len(project.documents) == 1


def test_every_control_character_is_refused_by_the_service(world, make_project):
    """Unicode category Cc, all 65 of them (a raw newline cannot pass a multipart header, so not via HTTP)."""
    from core.errors import ValidationError
    from tender import service

    project = make_project(publish=False)
    controls = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
    assert len(controls) == 65
    for char in controls:
        with pytest.raises(ValidationError) as refused:
            service.add_document(world.agency, project, f"a{char}b.pdf", io.BytesIO(b"doc"))
        assert refused.value.code == "file_name_invalid", hex(ord(char))
    for fine in ("\u200b零宽.pdf", "\u00a0空格.pdf", "\u3000全角空格.pdf"):  # Cf and Zs are not control characters
        assert service.add_document(world.agency, project, fine, io.BytesIO(b"doc")).name == fine.strip()


@pytest.mark.parametrize("name", ["招标文件（第1包）.pdf", "a..b.pdf", ".hidden", "plain.pdf", "百分号%与 空格.pdf"])
def test_good_names_are_kept_and_downloads_send_filename_star(world, make_project, client, name):
    project = make_project(publish=False)
    login(client, world.agency)
    made = client.post(f"/api/v1/tender/projects/{project.id}/documents", data={"file": (io.BytesIO(b"doc"), name)})
    assert made.status_code == 201 and made.get_json()["name"] == name
    doc_id = made.get_json()["id"]
    for url in (f"/api/v1/tender/projects/{project.id}/documents/{doc_id}", f"/tender/{project.id}/documents/{doc_id}"):
        got = client.get(url)
        disposition = got.headers["Content-Disposition"]
        got.close()
        assert disposition.startswith("attachment; filename=\"")
        assert disposition.endswith(f"filename*=UTF-8''{quote(name, safe='')}")
        assert disposition.isascii() and '"' not in disposition.split('filename="')[1].rstrip('"').split('";')[0]


def test_a_stored_name_with_a_nul_never_reaches_the_header(world, make_project, client):
    """A name kept before the refusal existed is sent with `_` for each control character (PostgreSQL
    never stores a NUL in text, SQLite does)."""
    from core.db import db

    project = make_project(publish=False)
    doc = project.documents[0]
    nul = "\x00" if db.engine.dialect.name == "sqlite" else "\x07"
    doc.name = f"旧{nul}文件\r\n.pdf"
    db.session.commit()
    login(client, world.agency)
    got = client.get(f"/tender/{project.id}/documents/{doc.id}")
    disposition = got.headers["Content-Disposition"]
    got.close()
    assert "\x00" not in disposition and "\r" not in disposition and "%00" not in disposition
    assert disposition.endswith("filename*=UTF-8''" + quote("旧_文件__.pdf", safe=""))
