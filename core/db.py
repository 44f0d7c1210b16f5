"""The declarative base every model inherits, with a constraint naming convention.

Named constraints keep Alembic migrations stable across SQLite and PostgreSQL: an unnamed
constraint gets a backend-chosen name that a later migration cannot refer to.
"""

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zones and would hand back naive values; refusing naive input here
    means a local time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


db = SQLAlchemy(model_class=Base)


def lock_row(model: type, key: object) -> None:
    """Take the write lock that makes a read-check-write safe against a concurrent one (a bid against the
    current lowest, a unit's yearly total): a row lock on PostgreSQL; on SQLite, which ignores FOR UPDATE
    and reads outside the write transaction, a no-op write to the row, which takes the database's write
    lock (waiting for the busy timeout) before anything is read, until the commit."""
    from sqlalchemy import select, update

    primary = model.__mapper__.primary_key[0]
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(model).where(primary == key).values({primary.key: primary}))
    else:
        db.session.scalar(select(primary).where(primary == key).with_for_update())
