"""``manage.py restore FILE [--yes]``: put a backup made by ``manage.py backup`` back.

PostgreSQL: ``pg_restore --clean --if-exists --no-owner --single-transaction``. SQLite: the
online backup API in the other direction. Stop the app servers and Celery workers first:
the database is replaced underneath them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from gonghui.core.management.commands.backup import (
    SUFFIX,
    BackupError,
    database_restore,
    default_backup_dir,
    describe,
    engine_kind,
)


def _newest_backups(limit: int = 5) -> list[Path]:
    folder = default_backup_dir()
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.suffix in set(SUFFIX.values()) and p.is_file()]
    return sorted(files, key=lambda p: p.name, reverse=True)[:limit]


class Command(BaseCommand):
    help = "Restore the database from a backup file (asks for confirmation unless --yes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="a .dump (PostgreSQL) or .sqlite3 backup")
        parser.add_argument(
            "--yes",
            "--no-input",
            "--noinput",
            action="store_true",
            dest="yes",
            help="do not ask for confirmation",
        )
        parser.add_argument("--database", default="default", help="alias in DATABASES (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        backup: Path | None = options["file"]
        if backup is None:
            newest = "\n".join(f"  {p}" for p in _newest_backups()) or "  (none in var/backups)"
            raise BackupError(
                "请指定备份文件 / give the backup file: manage.py restore FILE "
                f"(make restore FILE=...)\nnewest backups:\n{newest}"
            )
        alias: str = options["database"]
        if alias not in settings.DATABASES:
            raise BackupError(f"unknown database alias: {alias}")
        db = settings.DATABASES[alias]
        engine_kind(db)  # unsupported engines fail before the question
        if not backup.is_file():
            raise BackupError(f"备份文件不存在 / backup file not found: {backup}")
        if not options["yes"]:
            prompt = (
                f"将用 {backup} 覆盖 {describe(db)} 中的全部数据。\n"
                f"This replaces ALL data in {describe(db)} with {backup}.\n"
                "Type 'yes' to continue: "
            )
            try:
                answer = input(prompt)
            except EOFError:
                answer = ""
            if answer.strip().lower() != "yes":
                raise BackupError("已取消 / restore cancelled (nothing changed)")
        connections[alias].close()  # our own connection must not hold the file or a snapshot
        database_restore(db=db, backup=backup)
        self.stdout.write(self.style.SUCCESS(f"已恢复 / restored {backup} → {describe(db)}"))
