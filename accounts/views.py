"""Login (password, then TOTP), TOTP enrolment, API tokens and public keys: pages."""

from __future__ import annotations

import segno
from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from accounts import service
from accounts.forms import LoginForm, PublicKeyForm, TokenForm, TotpForm
from accounts.models import OrgKind, Role, User
from audit.service import record
from core.auth import public
from core.db import db
from core.errors import DomainError, settle_refusal

bp = Blueprint("accounts", __name__)


def client_address() -> str:
    return request.remote_addr or "-"


def safe_next(target: str | None) -> str:
    """Only same-site relative targets, so the login page is no open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("portal.dashboard")


def finish_login(user: User, after_enrolment: str | None = None) -> Response:
    """Start the session on the server. `after_enrolment`: where a new account goes once it has bound
    TOTP (the enrolment page comes first for the roles that need it)."""
    next_url = session.get("login_next")
    session.clear()
    session["auth_stamp"] = service.session_stamp(user)
    session["sid"] = service.start_session(user)
    if after_enrolment:
        session["after_enrolment"] = after_enrolment
    login_user(user)
    record("accounts.login", user, {"address": client_address()})
    db.session.commit()
    return redirect(safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate_password(form.username.data.strip(), form.password.data,
                                                 client_address())
        except DomainError as exc:
            settle_refusal(exc)
            flash(exc.message, "danger")
            return render_template("accounts/login.html", form=form), exc.status
        next_url = request.args.get("next")
        if user.totp_enabled:
            session.clear()
            session["pending_user_id"] = user.id
            session["login_next"] = next_url
            db.session.commit()
            return redirect(url_for("accounts.login_totp"))
        session["login_next"] = next_url
        return finish_login(user)
    return render_template("accounts/login.html", form=form)


@bp.route("/login/totp", methods=["GET", "POST"])
@public
def login_totp():
    user_id = session.get("pending_user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        return redirect(url_for("accounts.login"))
    form = TotpForm()
    if form.validate_on_submit():
        try:
            service.verify_totp(user, form.code.data, client_address())
        except DomainError as exc:
            settle_refusal(exc)
            flash(exc.message, "danger")
            return render_template("accounts/totp.html", form=form, user=user), exc.status
        return finish_login(user)
    return render_template("accounts/totp.html", form=form, user=user)


@bp.post("/logout")
def logout():
    record("accounts.logout", current_user._get_current_object())
    service.end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("portal.index"))


@bp.route("/account/totp", methods=["GET", "POST"])
def totp_setup():
    if current_user.totp_enabled:
        return render_template("accounts/totp_setup.html", enrolled=True)
    secret = session.get("totp_pending_secret") or service.new_totp_secret()
    session["totp_pending_secret"] = secret
    form = TotpForm()
    if form.validate_on_submit():
        try:
            service.enrol_totp(current_user, secret, form.code.data)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            session.pop("totp_pending_secret", None)
            flash(_("动态口令已绑定。以后登录时请输入手机验证器上的 6 位口令。"), "success")
            return redirect(safe_next(session.pop("after_enrolment", None)))
    return render_template("accounts/totp_setup.html", form=form, secret=secret, enrolled=False,
                           required=current_user.totp_required)


@bp.get("/account/totp/qr.svg")
def totp_qr():
    secret = session.get("totp_pending_secret")
    if not secret or current_user.totp_enabled:
        return Response(status=404)
    qr = segno.make(service.provisioning_uri(current_user, secret), error="m")
    return Response(qr.svg_inline(scale=5), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


def key_kind(user: User) -> str:
    """Which keys the guided page makes: a supplier's sign + encrypt pair, a purchaser's signing key (contracts),
    anyone else's encryption key (a custodian's shares)."""
    if user.has_role(Role.SUPPLIER) and user.org is not None and user.org.kind == OrgKind.SUPPLIER:
        return "supplier"
    return "signer" if user.has_role(Role.PURCHASER) else "custodian"


@bp.route("/account/keys", methods=["GET", "POST"])
@bp.route("/tender/keys", methods=["GET"], endpoint="keys_old_address")  # where the key generator used to be
def keys():
    """The one guided key page: what the key file is, making it in the browser, the registered keys, and
    (under 高级 / 开发者) registering a key made on the command line."""
    form = PublicKeyForm()
    if form.validate_on_submit():
        try:
            service.register_public_key(current_user, form.pem.data, form.purpose.data, form.label.data)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("公钥已登记。"), "success")
            return redirect(url_for("accounts.keys"))
    return render_template("accounts/keys.html", form=form, keys=service.list_public_keys(current_user),
                           kind=key_kind(current_user))


@bp.post("/account/keys/<int:key_id>/revoke")
def revoke_key(key_id: int):
    service.revoke_public_key(current_user, key_id)
    db.session.commit()
    flash(_("公钥已吊销；用它签过的文件仍可验证。"), "info")
    return redirect(url_for("accounts.keys"))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    """Change my password (the first password of an account someone opened for me, above all)."""
    if request.method == "POST":
        form = request.form
        try:
            service.change_password(current_user, form.get("current", ""), form.get("new", ""), form.get("new2", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return render_template("accounts/password.html"), exc.status
        db.session.commit()
        session["auth_stamp"] = service.session_stamp(current_user)  # this session stays; older ones end
        flash(_("密码已修改。"), "success")
        return redirect(url_for("portal.dashboard"))
    return render_template("accounts/password.html")


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    issued = None
    if form.validate_on_submit():
        issued = service.create_api_token(current_user, form.name.data)
        db.session.commit()
    return render_template("accounts/tokens.html", form=form, issued=issued,
                           tokens=service.list_api_tokens(current_user))


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    service.revoke_api_token(current_user, token_id)
    db.session.commit()
    flash(_("令牌已吊销。"), "info")
    return redirect(url_for("accounts.tokens"))
