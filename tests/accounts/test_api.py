"""API tokens and public keys, through the JSON API."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def pem_of(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_token_lifecycle(login_as, client, app):
    user = login_as("supplier")
    created = client.post("/api/v1/tokens", json={"name": "封标工具"})
    assert created.status_code == 201
    secret = created.get_json()["secret"]
    anon = app.test_client()
    me = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["username"] == user.username
    listed = client.get("/api/v1/tokens").get_json()
    assert "secret" not in listed[0] and listed[0]["prefix"] == secret[:12]
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}").status_code == 200
    refused = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"


def test_bad_token_is_unauthorized(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer byt_not-a-token"})
    assert response.status_code == 401


def test_token_name_is_validated(login_as, client):
    login_as("supplier")
    response = client.post("/api/v1/tokens", json={"name": ""})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_register_and_revoke_public_key(login_as, client):
    login_as("supplier")
    pem = pem_of(ec.generate_private_key(ec.SECP256R1()))
    created = client.post("/api/v1/keys", json={"pem": pem, "purpose": "sign", "label": "投标签名"})
    assert created.status_code == 201
    key = created.get_json()
    assert len(key["fingerprint"]) == 64
    duplicate = client.post("/api/v1/keys", json={"pem": pem, "purpose": "sign"})
    assert duplicate.status_code == 409 and duplicate.get_json()["error"]["code"] == "key_duplicate"
    revoked = client.post(f"/api/v1/keys/{key['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    again = client.post(f"/api/v1/keys/{key['id']}/revoke")
    assert again.get_json()["error"]["code"] == "key_already_revoked"
    assert len(client.get("/api/v1/keys").get_json()) == 1  # revoked, never deleted


def test_wrong_key_types_are_refused(login_as, client):
    login_as("supplier")
    response = client.post("/api/v1/keys", json={"pem": pem_of(ec.generate_private_key(ec.SECP384R1())),
                                                 "purpose": "sign"})
    assert response.get_json()["error"]["code"] == "key_wrong_type"
    response = client.post("/api/v1/keys", json={"pem": pem_of(ed25519.Ed25519PrivateKey.generate()),
                                                 "purpose": "encrypt"})
    assert response.get_json()["error"]["code"] == "key_wrong_type"
    response = client.post("/api/v1/keys", json={"pem": "garbage", "purpose": "sign"})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "key_unreadable"


def test_key_page_registers_a_key(login_as, client):
    login_as("supplier")
    pem = pem_of(ec.generate_private_key(ec.SECP256R1()))
    response = client.post("/account/keys", data={"label": "加密", "purpose": "encrypt", "pem": pem})
    assert response.status_code == 302
    assert "有效" in client.get("/account/keys").get_data(as_text=True)
    page = client.post("/account/keys", data={"label": "x", "purpose": "sign", "pem": "garbage"})
    assert "无法识别的公钥" in page.get_data(as_text=True)


def test_session_api_post_needs_csrf(app, make_user, clock):
    from tests_helpers import login

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        user = make_user("supplier")
        with client:
            client.get("/login")
        response = login(client, user)
        assert response.status_code == 400  # the login form itself needs its token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
