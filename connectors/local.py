"""``local``: a directory on the server's disk (recursive, with an extension filter).

uri = the path relative to ``root`` (POSIX separators); version = mtime_ns-size-ctime_ns, from
one ``stat`` (listing never reads content). ctime cannot be set from user space, so an edit
that keeps the size and restores the mtime (``cp -p``, ``rsync -t``, ``touch -d``) still changes
the version; a metadata-only change (chmod) re-indexes the file, the safe direction.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, ClassVar

from pydantic import Field, field_validator

from ingestflow.connectors.base import ConnectorConfig, normalise_file_types, wanted_type
from ingestflow.connectors.registry import register
from ingestflow.errors import NotFound, ProviderError, ValidationFailed
from ingestflow.records import FileType, SourceItem, SourceType, file_type_for


class LocalConfig(ConnectorConfig):
    """Config of a local-directory source."""

    root: str = Field(..., description="Directory to load from.")
    recursive: bool = Field(True, description="Descend into sub-directories.")
    extensions: list[str] | None = Field(None, description="Only these extensions, e.g. ['.pdf', '.md'].")
    follow_symlinks: bool = Field(False, description="Follow symbolic links (off: links are skipped).")

    @field_validator("extensions")
    @classmethod
    def _dot_lower(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        return sorted({(e if e.startswith(".") else f".{e}").lower() for e in value})


class LocalConnector:
    """A directory tree as a source."""

    kind: ClassVar[str] = "local"

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.root = Path(config.root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalConnector(root={str(self.root)!r})"

    def validate(self) -> None:
        """The root must be a readable directory."""
        if not self.root.exists():
            raise NotFound(f"directory {str(self.root)!r} does not exist")
        if not self.root.is_dir():
            raise ValidationFailed(f"{str(self.root)!r} is not a directory")
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise ProviderError(f"directory {str(self.root)!r} is not readable")

    def _resolve(self, uri: str) -> Path:
        path = (self.root / uri.lstrip("/")).resolve()
        if path != self.root and self.root not in path.parents:
            raise ValidationFailed(f"uri {uri!r} points outside the connector's root")
        return path

    def _item(self, path: Path) -> SourceItem:
        st = path.stat()
        rel = path.relative_to(self.root).as_posix()
        if path.is_dir():
            return SourceItem(rel, path.name, 0, FileType.DIR, f"{st.st_mtime_ns}-0", st.st_mtime)
        file_type = file_type_for(path.name)
        if file_type == FileType.NIL and not path.suffix:  # no extension: sniff the magic bytes
            try:
                with path.open("rb") as fh:
                    file_type = file_type_for(path.name, fh.read(16))
            except OSError:
                pass  # unreadable: listed anyway, its parse reports the error
        return SourceItem(
            uri=rel,
            name=path.name,
            size=st.st_size,
            file_type=file_type,
            version=f"{st.st_mtime_ns}-{st.st_size}-{st.st_ctime_ns}",
            modified_at=st.st_mtime,
        )

    def _walk(self, top: Path) -> Iterator[Path]:
        """Files under ``top`` in a stable order, streaming (os.scandir, no full listing)."""
        try:
            entries = sorted(os.scandir(top), key=lambda e: e.name)
        except OSError as exc:  # a listing with a hole must fail, or its files would look deleted
            rel = top.relative_to(self.root).as_posix() if top != self.root else "."
            rel = rel if len(rel) <= 120 else f"{rel[:60]}…{rel[-40:]}"
            raise ProviderError(f"directory {rel!r} could not be listed: {exc.strerror or type(exc).__name__}") from None
        for entry in entries:
            if entry.is_symlink() and not self.config.follow_symlinks:
                continue
            if entry.is_dir(follow_symlinks=self.config.follow_symlinks):
                if self.config.recursive:
                    yield from self._walk(Path(entry.path))
            elif entry.is_file(follow_symlinks=self.config.follow_symlinks):
                yield Path(entry.path)

    def _accept(self, path: Path) -> bool:
        return not self.config.extensions or path.suffix.lower() in self.config.extensions

    def list(
        self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None
    ) -> Iterator[SourceItem]:
        """Files (not directories) under the given uris, or the whole root."""
        self.validate()
        types = normalise_file_types(file_types)
        for uri in list(uris or []) or [""]:
            path = self._resolve(uri)
            if not path.exists():
                raise NotFound(f"{uri!r} does not exist under the connector's root")
            paths = self._walk(path) if path.is_dir() else iter([path])
            for file_path in paths:
                if self._accept(file_path):
                    item = self._item(file_path)
                    if wanted_type(item, types):
                        yield item

    def open(self, uri: str) -> BinaryIO:
        """The file opened for binary reading."""
        path = self._resolve(uri)
        if not path.is_file():
            raise NotFound(f"file {uri!r} does not exist")
        return path.open("rb")

    def version_of(self, uri: str) -> str:
        """A file's current version, from one stat (cheap: the parse worker asks around its read)."""
        st = self._resolve(uri).stat()
        return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ctime_ns}"

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one file or directory."""
        path = self._resolve(uri)
        if not path.exists():
            raise NotFound(f"{uri!r} does not exist")
        return self._item(path)


register("local", SourceType.LOCAL, LocalConfig, LocalConnector)
