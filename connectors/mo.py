"""``mo``: rows of a MatrixOne (MySQL-protocol) table or SELECT query, as text documents.

An item is a "row set": up to ``rows_per_document`` rows in ``id_column`` order, with
uri ``table/<table>/rows/<first_id>-<last_id>`` (``query/rows/…`` for a query source).
Its content is the rows rendered as text (``row_template`` or one JSON object per row),
separated by blank lines; version = sha256 of that text, or ``<max watermark>-<count>``
when ``watermark_column`` is set. Identifiers are checked against information_schema and
always backtick-quoted; values always travel as query parameters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import string
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, ClassVar, TypeVar
from urllib.parse import quote, unquote

from pydantic import Field, SecretStr, field_validator, model_validator

from ingestflow.connectors.base import ConnectorConfig, SdkConnector, normalise_file_types, wanted_type
from ingestflow.connectors.errors import Source, import_sdk
from ingestflow.connectors.registry import register
from ingestflow.errors import NotFound, ValidationFailed
from ingestflow.records import FileType, SourceItem, SourceType

T = TypeVar("T")


def quote_ident(name: str) -> str:
    """A backtick-quoted SQL identifier (embedded backticks doubled)."""
    return "`" + name.replace("`", "``") + "`"


class MoConfig(ConnectorConfig):
    """Config of a MatrixOne source (host/port/username/password as in the seed)."""

    host: str = Field(..., min_length=1)
    port: int = Field(6001, ge=1, le=65535)
    username: str = Field(..., min_length=1, description="MatrixOne login, e.g. 'account:user'.")
    password: SecretStr = Field(...)
    database: str | None = Field(None, description="Default database; without table/query, task uris name 'db.table'.")
    table: str | None = Field(None, description="Table to load (exactly one of table / query).")
    query: str | None = Field(None, description="A single SELECT to load (exactly one of table / query).")
    id_column: str = Field("id", min_length=1, description="Unique, ordered key column.")
    content_columns: list[str] | None = Field(None, description="Columns rendered into the text (default all).")
    row_template: str | None = Field(None, description="str.format template over the row, e.g. '{title}: {body}'.")
    watermark_column: str | None = Field(None, description="e.g. updated_at; makes versions watermark-based.")
    rows_per_document: int = Field(1000, ge=1, le=100_000)

    @model_validator(mode="after")
    def _table_or_query(self) -> MoConfig:
        if self.table and self.query:
            raise ValueError("give 'table' or 'query', not both")
        if self.table and not self.database:
            raise ValueError("'table' needs 'database'")
        return self

    @field_validator("query")
    @classmethod
    def _single_select(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().rstrip(";").strip()
        if not text.lower().startswith(("select", "with")) or ";" in text:
            raise ValueError("query must be a single SELECT statement")
        return text

    @field_validator("row_template")
    @classmethod
    def _plain_fields(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for _, field, _, _ in string.Formatter().parse(value):
            if field is not None and (not field or "." in field or "[" in field):
                raise ValueError("row_template fields must be plain column names like {title}")
        return value


class MoConnector(SdkConnector):
    """A MatrixOne table or query as a stream of row-set documents (one short connection per query)."""

    kind: ClassVar[str] = "mo"
    config: MoConfig

    def __init__(self, config: MoConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._columns: list[str] | None = None

    def __repr__(self) -> str:
        target = f"table={self.config.table!r}" if self.config.table else "query=…"
        return f"MoConnector(host={self.config.host!r}, port={self.config.port}, database={self.config.database!r}, {target})"

    # -- connection ------------------------------------------------------------------
    @property
    def source(self) -> Source:
        """Errors name the server, user, database and table; login fields are username and password."""
        return Source("MatrixOne", f"{self.config.host}:{self.config.port}", user=self.config.username,
                      database=self.config.database, table=self.config.table,
                      id_field=self.field("username"), secret_field=self.field("password"))

    def _connect(self) -> Any:
        pymysql = import_sdk("pymysql", "pymysql", self.kind)
        import pymysql.cursors

        options = {"connect_timeout": 5, "read_timeout": 30, "write_timeout": 30, "charset": "utf8mb4",
                   "cursorclass": pymysql.cursors.DictCursor, "autocommit": True}
        return self._call("the connection", pymysql.connect, host=self.config.host, port=self.config.port,
                          user=self.config.username, password=self.config.password.get_secret_value(),
                          database=self.config.database, **options)

    def _execute(self, sql: str, params: Iterable[Any], fetch: Callable[[Any], T]) -> T:
        """Run one statement on a fresh connection; ``fetch(cursor)`` reads what is needed."""
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                self._call(self._what, cur.execute, sql, tuple(params))
                return self._call(self._what, fetch, cur)
        finally:
            conn.close()

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return self._execute(sql, params, lambda cur: list(cur.fetchall()))

    @property
    def _what(self) -> str:
        return f"table {self.config.table!r}" if self.config.table else "the query"

    # -- schema checks ---------------------------------------------------------------
    def _source_sql(self) -> str:
        if self.config.table:
            return f"{quote_ident(self.config.database)}.{quote_ident(self.config.table)}"
        return f"({self.config.query}) AS _ingest_q"

    def columns(self) -> list[str]:
        """Columns of the table (from information_schema) or of the query's result."""
        if self._columns is None:
            if self.config.table:
                rows = self._run(
                    "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s "
                    "ORDER BY ORDINAL_POSITION", (self.config.database, self.config.table))
                if not rows:
                    raise NotFound(f"table {self.config.table!r} does not exist in database {self.config.database!r}")
                self._columns = [r["c"] for r in rows]
            else:
                self._columns = self._execute(f"SELECT * FROM {self._source_sql()} LIMIT 0", (),
                                              lambda cur: [d[0] for d in cur.description])
        wanted = [self.config.id_column, *(self.config.content_columns or []),
                  *([self.config.watermark_column] if self.config.watermark_column else [])]
        missing = [c for c in wanted if c not in self._columns]
        if missing:
            raise ValidationFailed(f"unknown column(s) {', '.join(map(repr, missing))}")
        return self._columns

    @property
    def _scoped_by_uri(self) -> bool:
        """A server-level connector (the seed's host/port/username/password only): uris name tables."""
        return not (self.config.table or self.config.query)

    def _scoped(self, uri: str) -> tuple[MoConnector, str, str]:
        """(connector for the table a uri names, the table prefix, the rest of the uri)."""
        head, _, rest = uri.strip("/").partition("/")
        database, dot, table = head.partition(".")
        if not dot and self.config.database:
            database, table = self.config.database, head
        if not database or not table:
            raise ValidationFailed(f"uri {uri!r} must name a table as 'database.table'")
        config = self.config.model_copy(update={"database": database, "table": table})
        return MoConnector(config, field_name=self._field_name), f"{database}.{table}", rest

    def validate(self) -> None:
        """Connect; the database (and the table or query) must exist and be readable."""
        if not self.config.database:
            self._run("SELECT 1")
            return
        found = self._run("SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME=%s",
                          (self.config.database,))
        if not found:
            raise NotFound(f"database {self.config.database!r} does not exist")
        self.columns()

    # -- row sets --------------------------------------------------------------------
    @property
    def _base_uri(self) -> str:
        return f"table/{self.config.table}" if self.config.table else "query"

    def _select(self, where: str) -> str:
        cols = self.columns()
        order = quote_ident(self.config.id_column)
        return (f"SELECT {', '.join(quote_ident(c) for c in cols)} FROM {self._source_sql()} "
                f"WHERE {where} ORDER BY {order}")

    def render(self, rows: list[dict[str, Any]]) -> str:
        """Rows as text: the row template per row, or one JSON object per row; blank-line separated."""
        content = self.config.content_columns
        parts = []
        for row in rows:
            if self.config.row_template:
                try:
                    parts.append(self.config.row_template.format(**row))
                except KeyError as exc:
                    raise ValidationFailed(f"row_template names unknown column {exc.args[0]!r}") from None
            else:
                data = {k: row[k] for k in content} if content else row
                parts.append(json.dumps(data, ensure_ascii=False, default=str))
        return "\n\n".join(parts)

    def _item(self, rows: list[dict[str, Any]]) -> SourceItem:
        idc = self.config.id_column
        first, last = _enc(rows[0][idc]), _enc(rows[-1][idc])
        text = self.render(rows).encode("utf-8")
        extra: dict[str, Any] = {"rows": len(rows)}
        modified = None
        if self.config.watermark_column:
            marks = [r[self.config.watermark_column] for r in rows if r[self.config.watermark_column] is not None]
            top = max(marks) if marks else None
            version = f"{top}-{len(rows)}"
            extra["watermark"] = str(top) if top is not None else None
            modified = top.timestamp() if hasattr(top, "timestamp") else None
        else:
            version = hashlib.sha256(text).hexdigest()
        name = f"{self.config.table or 'query'} rows {first}-{last}.txt"
        return SourceItem(f"{self._base_uri}/rows/{first}-{last}", name, len(text), FileType.TXT,
                          version, modified, extra)

    def _batches(self) -> Iterator[list[dict[str, Any]]]:
        """Row batches by keyset pagination on ``id_column`` (one bounded query per batch)."""
        idc = quote_ident(self.config.id_column)
        limit = int(self.config.rows_per_document)
        rows = self._run(self._select("1=1") + f" LIMIT {limit}")
        while rows:
            yield rows
            if len(rows) < limit:
                return
            rows = self._run(self._select(f"{idc} > %s") + f" LIMIT {limit}", (rows[-1][self.config.id_column],))

    def _range(self, uri: str) -> list[dict[str, Any]]:
        prefix = f"{self._base_uri}/rows/"
        if not uri.startswith(prefix) or uri[len(prefix):].count("-") != 1:
            raise NotFound(f"{uri!r} is not a row set of this source")
        first, last = (_dec(p) for p in uri[len(prefix):].split("-"))
        idc = quote_ident(self.config.id_column)
        rows = self._run(self._select(f"{idc} >= %s AND {idc} <= %s"), (first, last))
        if not rows:
            raise NotFound(f"row set {uri!r} has no rows")
        return rows

    def list(
        self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None
    ) -> Iterator[SourceItem]:
        """Row sets of the whole table/query (uri "" or the base uri) or the given row-set uris."""
        types = normalise_file_types(file_types)
        if types and int(FileType.TXT) not in types:
            return
        if self._scoped_by_uri:
            if not uris:
                raise ValidationFailed("this MO connector has no table or query: give uris like 'database.table'")
            for uri in uris:
                sub, prefix, rest = self._scoped(uri)
                for item in sub.list([rest] if rest else None, file_types):
                    yield dataclasses.replace(item, uri=f"{prefix}/{item.uri}")
            return
        for uri in list(uris or []) or [""]:
            uri = uri.strip("/")
            if uri in ("", self._base_uri, f"{self._base_uri}/rows"):
                for rows in self._batches():
                    item = self._item(rows)
                    if wanted_type(item, types):
                        yield item
            else:
                yield self.stat(uri)

    def open(self, uri: str) -> BinaryIO:
        """The row set re-queried and rendered as UTF-8 text."""
        if self._scoped_by_uri:
            sub, _, rest = self._scoped(uri)
            return sub.open(rest)
        return io.BytesIO(self.render(self._range(uri)).encode("utf-8"))

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one row set (re-queried)."""
        if self._scoped_by_uri:
            sub, prefix, rest = self._scoped(uri)
            return dataclasses.replace(sub.stat(rest), uri=f"{prefix}/{rest}")
        return self._item(self._range(uri))


def _enc(value: Any) -> str:
    return quote(str(value), safe="").replace("-", "%2D")


def _dec(value: str) -> str:
    return unquote(value)


register("mo", SourceType.MO, MoConfig, MoConnector)
