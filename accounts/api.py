"""JSON API of accounts: who am I, my public keys, my API tokens."""

from flask_login import current_user
from flask_smorest import Blueprint

from accounts import service
from accounts.schemas import IssuedTokenOut, PublicKeyIn, PublicKeyOut, TokenIn, TokenOut, UserOut
from core.db import db

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Accounts, keys and tokens")


@blp.get("/me")
@blp.response(200, UserOut)
def me():
    """The authenticated user."""
    return current_user


@blp.get("/keys")
@blp.response(200, PublicKeyOut(many=True))
def list_keys():
    """My registered public keys, revoked ones included."""
    return service.list_public_keys(current_user)


@blp.post("/keys")
@blp.arguments(PublicKeyIn)
@blp.response(201, PublicKeyOut)
def add_key(data: dict):
    """Register a P-256 public key (PEM) for signing or for receiving key shares."""
    key = service.register_public_key(current_user, data["pem"], data["purpose"], data["label"])
    db.session.commit()
    return key


@blp.post("/keys/<int:key_id>/revoke")
@blp.response(200, PublicKeyOut)
def revoke_key(key_id: int):
    """Revoke a key; it stays on record so old signatures remain checkable."""
    key = service.revoke_public_key(current_user, key_id)
    db.session.commit()
    return key


@blp.get("/tokens")
@blp.response(200, TokenOut(many=True))
def list_tokens():
    """My API tokens (never their secrets)."""
    return service.list_api_tokens(current_user)


@blp.post("/tokens")
@blp.arguments(TokenIn)
@blp.response(201, IssuedTokenOut)
def create_token(data: dict):
    """Create a personal API token; the secret is in this answer only."""
    issued = service.create_api_token(current_user, data["name"])
    db.session.commit()
    token = issued.token
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
            "revoked_at": None, "secret": issued.secret}


@blp.delete("/tokens/<int:token_id>")
@blp.response(200, TokenOut)
def revoke_token(token_id: int):
    """Revoke one of my tokens."""
    token = service.revoke_api_token(current_user, token_id)
    db.session.commit()
    return token
