"""What every catalog repository shares: a session, get-or-404, update by id, paging."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ingestflow.catalog.models import Base, now_ts
from ingestflow.errors import NotFound, ValidationFailed

M = TypeVar("M", bound=Base)


class Repository(Generic[M]):
    """Reads and writes of one entity inside the caller's session (its unit of work)."""

    model: ClassVar[type[Base]]
    label: ClassVar[str]  # "task", "volume" … in messages

    def __init__(self, session: Session) -> None:
        self.s = session

    def _key(self, id_: Any) -> Any:
        return str(id_)

    def find(self, id_: Any) -> M | None:
        """The row, or None."""
        return self.s.get(self.model, self._key(id_))

    def get(self, id_: Any) -> M:
        """The row; NotFound naming the entity and the id."""
        row = self.find(id_)
        if row is None:
            raise NotFound(f"{self.label} {id_} does not exist")
        return row

    def update(self, id_: Any, **fields: Any) -> M:
        """Set fields on the row (``updated_at`` too, where the entity has it)."""
        row = self.get(id_)
        for key, value in fields.items():
            setattr(row, key, value)
        if hasattr(row, "updated_at") and "updated_at" not in fields:
            row.updated_at = now_ts()
        return row

    def page(self, query: Select, page: int, page_size: int, *order: Any) -> tuple[list[M], int]:
        """One page of ``query`` in ``order`` and the total count."""
        total = self.s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = list(self.s.scalars(query.order_by(*order).offset((page - 1) * page_size).limit(page_size)))
        return rows, int(total)


def order_column(columns: dict[str, Any], order_by: str | None, default: str, is_desc: bool) -> Any:
    """The column an ``order_by`` names (ValidationFailed listing the allowed ones), asc or desc."""
    key = (order_by or "").strip() or default
    if key not in columns:
        raise ValidationFailed(f"order_by must be one of {', '.join(sorted(columns))}, not {key!r}")
    column = columns[key]
    return column.desc() if is_desc else column.asc()
