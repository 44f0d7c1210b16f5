"""The operator's attack (issue 10): with the database, the file store and every server-side key, before
the opening time, no bid can be opened under any custody policy the platform accepts.

The attacker here is the platform operator itself: it reads every row of every table, every file of the
instance folder and the file store, loads every private key it finds (the time vault's included), and
runs crypto/ directly — no clock check, no service, no audit in the way. For each policy the platform
accepted, the shares it can unwrap stay below k. The last test shows the same attack succeeding on a
policy the platform refuses (the vault alone, k = 1): the test can fail.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from tender_helpers import seal_bid, submit

import crypto
from core.errors import ValidationError

ACCEPTED = [
    pytest.param({"k": 2, "keepers": [0]}, id="vault+keeper0 k=2"),
    pytest.param({"k": 2, "keepers": [0, 1]}, id="vault+2 keepers k=2"),
    pytest.param({"k": 3, "keepers": [0, 1]}, id="vault+2 keepers k=3"),
    pytest.param({"k": 2, "keepers": [0, 1], "include_vault": False}, id="2 keepers k=2"),
    pytest.param({"k": 2, "keepers": [0], "opening_mode": "bidder"}, id="bidder mode vault+keeper0"),
    # what the platform used to accept: it must now refuse them (or the attack below would open them)
    pytest.param({"k": 1, "keepers": []}, id="vault alone k=1"),
    pytest.param({"k": 1, "keepers": [0]}, id="vault+keeper0 k=1"),
    pytest.param({"k": 2, "keepers": [0, 1], "same_org": True}, id="vault+2 keepers of one org k=2"),
]


PEM_BLOCK = re.compile(
    rb"-----BEGIN (?:EC |ENCRYPTED )?PRIVATE KEY-----.+?-----END (?:EC |ENCRYPTED )?PRIVATE KEY-----", re.S)


def _private_keys_in(text_or_bytes, passphrases) -> list[ec.EllipticCurvePrivateKey]:
    data = text_or_bytes.encode() if isinstance(text_or_bytes, str) else text_or_bytes
    found = []
    for pem in PEM_BLOCK.findall(data):
        for password in (None, *passphrases):
            try:
                key = serialization.load_pem_private_key(pem, password=password)
            except (ValueError, TypeError):
                continue
            if isinstance(key, ec.EllipticCurvePrivateKey):
                found.append(key)
            break
    return found


def _everything_the_operator_holds(app) -> list[ec.EllipticCurvePrivateKey]:
    """Every EC private key in the database, the instance folder, the file store and the key paths."""
    from core.db import db

    passphrases = [v.encode() for k, v in app.config.items() if "PASSPHRASE" in k and isinstance(v, str)]
    keys = []
    with db.engine.connect() as conn:
        for table in sa_inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, str | bytes) and b"PRIVATE KEY" in (
                            value.encode() if isinstance(value, str) else value):
                        keys += _private_keys_in(value, passphrases)
    folders = [Path(app.instance_path), Path(app.config["FILE_STORE"])]
    files = [Path(app.config[k]) for k in ("TIME_VAULT_KEY_PATH", "AUDIT_KEY_PATH") if app.config.get(k)]
    for folder in folders:
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file() and p.stat().st_size < 1 << 20]
    for path in files:
        if path.exists():
            keys += _private_keys_in(path.read_bytes(), passphrases)
    return keys


def _attack(bid_paths: list[Path], keys) -> list[tuple[int, int]]:
    """For each container: (shares the operator can unwrap, k). Also tries every key on the self stanza."""
    results = []
    for path in bid_paths:
        data = path.read_bytes()
        header = crypto.read_header(io.BytesIO(data))
        shares = {}
        for key in keys:
            try:
                share = crypto.unwrap_share(header, key)
            except crypto.SealedError:
                continue
            shares[share.x] = share
            with pytest.raises(crypto.SealedError):
                crypto.unwrap_self(header, key)
        for key in keys:
            with pytest.raises(crypto.SealedError):
                crypto.open_with_key(io.BytesIO(data), key, crypto.MemorySink())
        if shares:
            with pytest.raises(crypto.SealedError) as refused:
                crypto.open_with_shares(io.BytesIO(data), list(shares.values()), crypto.MemorySink())
            assert refused.value.code == "not_enough_shares"
        results.append((len(shares), header.k))
    return results


@pytest.mark.parametrize("policy", ACCEPTED)
def test_the_operator_cannot_open_a_bid_before_the_opening(app, world, make_project, client, clock, policy):
    from tender import filestore, vault
    from tender.models import Bid

    settings = {"k": policy["k"], "custodian_user_ids": [world.custodians[i][0].id for i in policy["keepers"]],
                "include_vault": policy.get("include_vault", True),
                "opening_mode": policy.get("opening_mode", "custodian")}
    if policy.get("same_org"):
        from accounts import service as accounts
        from accounts.models import OrgKind
        from core.db import db

        org = accounts.create_org("某公证处", OrgKind.AGENCY, "330329")
        for user, _ in world.custodians:
            user.org_id = org.id
        db.session.commit()
    try:
        project = make_project(**settings)
    except ValidationError as refused:  # not a policy the platform accepts
        assert refused.code == "custody_single_party"
        return
    lot = project.lots[0]
    for supplier in world.suppliers[:3]:
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    with app.app_context():
        vault_pem = vault.public_key_pem()  # on disk (made at publication, or here without the vault)
    keys = _everything_the_operator_holds(app)
    vault_in = settings["include_vault"]
    held = {vault.public_pem(k.public_key()) for k in keys}
    assert vault_pem in held  # the attacker really holds the vault key
    paths = [filestore.absolute(b.path) for b in Bid.query.filter_by(project_id=project.id)]
    outcome = _attack(paths, keys)
    assert outcome and all(held < k for held, k in outcome), outcome
    assert all(held == (1 if vault_in else 0) for held, _ in outcome)


def test_the_same_attack_opens_a_policy_the_platform_refuses(app, world, clock):
    """The vault alone, k = 1 (what three demo tenders had): made here with crypto/ directly, as the
    platform no longer accepts it; with the vault key from the instance folder the operator opens it."""
    from tender import vault

    with app.app_context():
        pem = vault.public_key_pem()
    vault_public = serialization.load_pem_public_key(pem.encode())
    policy = crypto.make_policy("T-REFUSED", "1", 1, [crypto.Custodian("vault", vault_public, "vault")])
    supplier = world.suppliers[0]
    out = io.BytesIO()
    crypto.seal(policy, supplier.sign_key, supplier.enc_key.public_key(), {"price_fen": 1},
                [("bid.txt", io.BytesIO(b"secret price"))], out, "B-1")
    keys = _everything_the_operator_holds(app)
    header = crypto.read_header(io.BytesIO(out.getvalue()))
    shares = []
    for key in keys:
        try:
            shares.append(crypto.unwrap_share(header, key))
        except crypto.SealedError:
            continue
    sink = crypto.MemorySink()
    crypto.open_with_shares(io.BytesIO(out.getvalue()), shares, sink)
    assert sink.files == {"bid.txt": b"secret price"}
