"""``manage.py backup [--out DIR]``: a consistent copy of the database into ``var/backups``.

PostgreSQL: ``pg_dump --format=custom`` into ``gonghui-YYYYmmdd-HHMMSS.dump``. SQLite: the
online backup API (``sqlite3.Connection.backup``) into ``gonghui-YYYYmmdd-HHMMSS.sqlite3``,
safe while the app is writing (a plain file copy of a WAL database is not).

The functions below do the work with explicit paths and connection parameters; the commands
(this one and ``restore``) only read settings, ask for confirmation and print. Uploaded files
(``MEDIA_ROOT``) and ``FIELD_ENCRYPTION_KEY`` are not part of a database backup: without the
key the encrypted ID numbers, phones and bank cards in a backup cannot be read.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

Kind = Literal["postgresql", "sqlite"]

SUFFIX: dict[Kind, str] = {"postgresql": ".dump", "sqlite": ".sqlite3"}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"  # the custom (-Fc) archive header


class BackupError(CommandError):
    """A backup or restore cannot be done; the message says why and what to do."""


def default_backup_dir() -> Path:
    """``var/backups`` under the project (next to the embedded SQLite database)."""
    return Path(settings.BASE_DIR) / "var" / "backups"


def engine_kind(db: Mapping[str, Any]) -> Kind:
    """Which backup method a ``DATABASES`` entry needs (PostgreSQL or SQLite)."""
    engine = str(db.get("ENGINE", ""))
    if "postgresql" in engine or "postgis" in engine:
        return "postgresql"
    if "sqlite3" in engine or "spatialite" in engine:
        return "sqlite"
    raise BackupError(f"不支持备份此数据库引擎 / unsupported database engine: {engine or '(none)'}")


def file_kind(path: Path) -> Kind | None:
    """What a backup file is, judged by its first bytes (not its name); None when neither."""
    with path.open("rb") as handle:
        head = handle.read(len(_SQLITE_MAGIC))
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PGDUMP_MAGIC):
        return "postgresql"
    return None


def backup_path(*, out_dir: Path, kind: Kind, now: datetime) -> Path:
    """``out_dir/gonghui-YYYYmmdd-HHMMSS.<suffix>``, never overwriting an existing file."""
    stem = f"gonghui-{now:%Y%m%d-%H%M%S}"
    path = out_dir / f"{stem}{SUFFIX[kind]}"
    counter = 1
    while path.exists():
        path = out_dir / f"{stem}-{counter}{SUFFIX[kind]}"
        counter += 1
    return path


def _partial(target: Path) -> Path:
    return target.with_name(target.name + ".partial")


# ---------------------------------------------------------------------------------------
# SQLite


def sqlite_backup(*, source: Path, target: Path) -> Path:
    """Copy the SQLite database ``source`` into the new file ``target`` (online backup API).

    The copy is consistent even while other connections write (WAL pages included) and is
    left in rollback-journal mode, so it is one self-contained file.
    """
    if not source.is_file():
        raise BackupError(f"数据库文件不存在 / database file not found: {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(partial))
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite 备份失败 / SQLite backup failed: {exc}") from exc
    finally:
        src.close()
    os.replace(partial, target)
    return target


def sqlite_restore(*, backup: Path, target: Path) -> None:
    """Replace the whole content of the SQLite database ``target`` with ``backup``.

    The backup is checked (``PRAGMA quick_check``) before anything in ``target`` changes;
    the copy itself is one write transaction on ``target``.
    """
    _check_backup_file(backup, expected="sqlite")
    src = sqlite3.connect(str(backup))
    try:
        status = src.execute("PRAGMA quick_check").fetchone()
        if not status or status[0] != "ok":
            raise BackupError(f"备份文件已损坏 / backup file is corrupt: {backup} ({status})")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(str(target), timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 恢复失败 / SQLite restore failed: {exc}") from exc
    finally:
        src.close()


# ---------------------------------------------------------------------------------------
# PostgreSQL


@dataclass(frozen=True, slots=True)
class PgConnection:
    """Where pg_dump / pg_restore connect. The password travels in ``PGPASSWORD``, never argv."""

    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    sslmode: str = ""

    @classmethod
    def from_settings(cls, db: Mapping[str, Any]) -> PgConnection:
        """Build from a ``DATABASES`` entry (as dj-database-url parses ``DATABASE_URL``)."""
        name = str(db.get("NAME") or "")
        if not name:
            raise BackupError("DATABASES 中没有数据库名 / no database NAME configured")
        options = db.get("OPTIONS") or {}
        return cls(
            name=name,
            user=str(db.get("USER") or ""),
            password=str(db.get("PASSWORD") or ""),
            host=str(db.get("HOST") or ""),
            port=str(db.get("PORT") or ""),
            sslmode=str(options.get("sslmode") or ""),
        )

    def args(self) -> list[str]:
        """Connection options shared by pg_dump and pg_restore (no password)."""
        out = ["--no-password"]
        if self.host:
            out.append(f"--host={self.host}")
        if self.port:
            out.append(f"--port={self.port}")
        if self.user:
            out.append(f"--username={self.user}")
        return out

    def env(self) -> dict[str, str]:
        """The child process environment: ours (PATH, locale) plus PGPASSWORD / PGSSLMODE."""
        env = dict(os.environ)  # passed through to the client tools, not configuration
        if self.password:
            env["PGPASSWORD"] = self.password
        if self.sslmode:
            env["PGSSLMODE"] = self.sslmode
        return env


def pg_tool(name: str) -> str:
    """Absolute path of a PostgreSQL client program, or a clear error when it is missing."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（版本不低于服务器），如 apt-get install "
            f"postgresql-client / {name} not found: install the PostgreSQL client tools "
            "(same major version as the server or newer)"
        )
    return path


def _run(command: list[str], conn: PgConnection, what: str) -> None:
    result = subprocess.run(  # noqa: S603 - absolute tool path, arguments from settings, no shell
        command, env=conn.env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{what} 失败（退出码 {result.returncode}）/ {what} failed:\n{detail}")


def postgres_backup(*, conn: PgConnection, target: Path) -> Path:
    """``pg_dump --format=custom`` of the whole database into the new file ``target``."""
    pg_dump = pg_tool("pg_dump")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    try:
        _run(
            [pg_dump, "--format=custom", f"--file={partial}", *conn.args(), f"--dbname={conn.name}"],
            conn,
            "pg_dump",
        )
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return target


def postgres_restore(*, conn: PgConnection, backup: Path) -> None:
    """Restore a custom-format dump over the database: objects in the dump are dropped and
    recreated (``--clean --if-exists``) in one transaction, so a failure changes nothing.

    Tables that exist in the database but not in the dump are left alone.
    """
    _check_backup_file(backup, expected="postgresql")
    pg_restore = pg_tool("pg_restore")
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *conn.args(),
            f"--dbname={conn.name}",
            str(backup),
        ],
        conn,
        "pg_restore",
    )


# ---------------------------------------------------------------------------------------
# Dispatch by engine


def _check_backup_file(path: Path, *, expected: Kind) -> None:
    if not path.is_file():
        raise BackupError(f"备份文件不存在 / backup file not found: {path}")
    kind = file_kind(path)
    if kind is None:
        raise BackupError(
            f"不是数智工会的备份文件 / not a backup file: {path} "
            "(expected a pg_dump custom-format archive or a SQLite database)"
        )
    if kind != expected:
        raise BackupError(
            f"备份类型与数据库不符 / wrong kind of backup: {path} is a {kind} backup "
            f"but the database is {expected}"
        )


def database_backup(*, db: Mapping[str, Any], out_dir: Path, now: datetime | None = None) -> Path:
    """Back up the database described by ``db`` into a new timestamped file in ``out_dir``."""
    kind = engine_kind(db)
    target = backup_path(out_dir=out_dir, kind=kind, now=now or timezone.localtime())
    if kind == "sqlite":
        return sqlite_backup(source=Path(str(db["NAME"])), target=target)
    return postgres_backup(conn=PgConnection.from_settings(db), target=target)


def database_restore(*, db: Mapping[str, Any], backup: Path) -> None:
    """Replace the content of the database described by ``db`` with ``backup``."""
    kind = engine_kind(db)
    if kind == "sqlite":
        sqlite_restore(backup=backup, target=Path(str(db["NAME"])))
    else:
        postgres_restore(conn=PgConnection.from_settings(db), backup=backup)


def describe(db: Mapping[str, Any]) -> str:
    """A human label for the database (no password)."""
    if engine_kind(db) == "sqlite":
        return f"SQLite {db.get('NAME')}"
    conn = PgConnection.from_settings(db)
    where = f"{conn.host or 'localhost'}:{conn.port or 5432}"
    return f"PostgreSQL {conn.name} @ {where}"


class Command(BaseCommand):
    help = "Back up the database: pg_dump (custom format) or the SQLite online backup into var/backups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=None, help="directory (default: var/backups)")
        parser.add_argument("--database", default="default", help="alias in DATABASES (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        alias: str = options["database"]
        if alias not in settings.DATABASES:
            raise BackupError(f"unknown database alias: {alias}")
        out_dir: Path = options["out"] or default_backup_dir()
        path = database_backup(db=settings.DATABASES[alias], out_dir=out_dir)
        self.stdout.write(str(path))  # only the path on stdout: FILE=$(manage.py backup)
