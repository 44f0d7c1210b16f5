"""Extension singletons, bound to an app in `create_app`.

Module-level objects so feature packages import them without importing the factory.
"""

from celery import Celery, Task
from celery.signals import worker_init
from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from core.db import db

migrate = Migrate()
socketio = SocketIO()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
api = Api()

__all__ = ["api", "babel", "csrf", "db", "init_celery", "login_manager", "migrate", "socketio"]


def init_celery(app: Flask) -> Celery:
    """Flask's documented Celery pattern: every task runs inside an app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                result = self.run(*args, **kwargs)
                from core.after_commit import run_followups

                run_followups()  # the task is the commit point: what its commits declared goes out now
                return result

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(
        {
            "broker_url": app.config["CELERY_BROKER_URL"],
            "result_backend": None,
            "task_ignore_result": True,
            "task_always_eager": app.config["CELERY_ALWAYS_EAGER"],
            "task_eager_propagates": True,
            "timezone": "UTC",
            "beat_schedule": app.config.get("CELERY_BEAT_SCHEDULE", {}),
            "broker_connection_retry_on_startup": True,
            "worker_hijack_root_logger": False,
        }
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    celery_app.flask_app = app  # type: ignore[attr-defined]  # for the worker's start-up check below
    return celery_app


@worker_init.connect
def _refuse_a_database_behind_the_code(sender: object = None, **_: object) -> None:
    """A worker on a database behind the code stops at once, with the command to run.

    Celery logs and swallows an Exception raised by a signal handler, so the refusal is a SystemExit.
    """
    from core.schema import SchemaBehind, ensure_schema_current

    flask_app = getattr(getattr(sender, "app", None), "flask_app", None)
    if flask_app is None:
        return
    try:
        ensure_schema_current(flask_app)
    except SchemaBehind as exc:
        raise SystemExit(str(exc)) from exc
