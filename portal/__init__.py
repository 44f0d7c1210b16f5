"""Public site and the signed-in dashboard."""

from flask import Flask
from flask_login import current_user


def register(app: Flask) -> None:
    from portal import dashboard, views

    app.register_blueprint(views.bp)

    @app.context_processor
    def inject_navigation() -> dict:
        user = current_user if current_user and current_user.is_authenticated else None
        return {"nav_items": dashboard.nav_items, "next_deadline": dashboard.next_deadline(user)}
