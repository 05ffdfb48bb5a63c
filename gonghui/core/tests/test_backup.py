"""Backup and restore round trips: SQLite files in tmp_path and a scratch PostgreSQL database.

The PostgreSQL test creates its own database (``gonghui_backup_rt_<random>``) on the local
server (127.0.0.1:5432, user postgres) and drops it afterwards; it never touches the shared
test database. A missing ``pg_dump`` is a failure, not a skip: backups are a quality bar.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from psycopg import sql

from gonghui.core.management.commands.backup import (
    BackupError,
    PgConnection,
    backup_path,
    database_backup,
    database_restore,
    file_kind,
    postgres_backup,
    postgres_restore,
    sqlite_backup,
    sqlite_restore,
)

PG_HOST = "127.0.0.1"
PG_PORT = "5432"
PG_USER = "postgres"
SQLITE_ENGINE = "django.db.backends.sqlite3"
PG_ENGINE = "django.db.backends.postgresql"


# ---------------------------------------------------------------------------------------
# SQLite


def _make_sqlite(path: Path, *, wal: bool = False) -> None:
    with sqlite3.connect(path) as conn:
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE member (id INTEGER PRIMARY KEY, name TEXT NOT NULL, fee NUMERIC)")
        conn.executemany(
            "INSERT INTO member (id, name, fee) VALUES (?, ?, ?)",
            [(1, "张三", "36.00"), (2, "李四", "60.00"), (3, "王五", "20.00")],
        )
    conn.close()


def _sqlite_rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, name, fee FROM member ORDER BY id").fetchall()
    finally:
        conn.close()


def _mutate_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE member SET name = '改了' WHERE id = 1")
        conn.execute("DELETE FROM member WHERE id = 2")
        conn.execute("INSERT INTO member (id, name, fee) VALUES (9, '新人', '1.00')")
    conn.close()


def test_sqlite_round_trip(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    _make_sqlite(live)
    original = _sqlite_rows(live)

    copy = sqlite_backup(source=live, target=tmp_path / "backups" / "b.sqlite3")
    assert file_kind(copy) == "sqlite"
    _mutate_sqlite(live)
    assert _sqlite_rows(live) != original

    sqlite_restore(backup=copy, target=live)
    assert _sqlite_rows(live) == original


def test_sqlite_backup_sees_uncheckpointed_wal_pages(tmp_path: Path) -> None:
    """The app runs SQLite in WAL mode: committed rows still in the -wal file must be copied."""
    live = tmp_path / "live.sqlite3"
    _make_sqlite(live, wal=True)
    holder = sqlite3.connect(live)  # an open connection keeps the WAL from being checkpointed
    try:
        holder.execute("INSERT INTO member (id, name, fee) VALUES (4, '赵六', '36.00')")
        holder.commit()
        copy = sqlite_backup(source=live, target=tmp_path / "copy.sqlite3")
    finally:
        holder.close()
    assert [row[0] for row in _sqlite_rows(copy)] == [1, 2, 3, 4]
    assert not (tmp_path / "copy.sqlite3-wal").exists()  # one self-contained file


def test_sqlite_restore_onto_a_fresh_machine(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    _make_sqlite(live)
    copy = sqlite_backup(source=live, target=tmp_path / "copy.sqlite3")
    fresh = tmp_path / "new-machine" / "var" / "gonghui.sqlite3"
    sqlite_restore(backup=copy, target=fresh)
    assert _sqlite_rows(fresh) == _sqlite_rows(live)


def test_dispatch_by_engine_names_the_file(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    _make_sqlite(live)
    db = {"ENGINE": SQLITE_ENGINE, "NAME": str(live)}
    now = datetime(2026, 11, 22, 9, 30, 5)
    first = database_backup(db=db, out_dir=tmp_path / "out", now=now)
    second = database_backup(db=db, out_dir=tmp_path / "out", now=now)
    assert first.name == "gonghui-20261122-093005.sqlite3"
    assert second.name == "gonghui-20261122-093005-1.sqlite3"  # never overwrites
    _mutate_sqlite(live)
    database_restore(db=db, backup=first)
    assert [row[0] for row in _sqlite_rows(live)] == [1, 2, 3]


def test_sqlite_errors_are_clear(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    _make_sqlite(live)
    with pytest.raises(BackupError, match="database file not found"):
        sqlite_backup(source=tmp_path / "missing.sqlite3", target=tmp_path / "x.sqlite3")
    with pytest.raises(BackupError, match="backup file not found"):
        sqlite_restore(backup=tmp_path / "missing.sqlite3", target=live)
    fake_dump = tmp_path / "gonghui.dump"
    fake_dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    with pytest.raises(BackupError, match="wrong kind of backup"):
        sqlite_restore(backup=fake_dump, target=live)
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database", encoding="utf-8")
    with pytest.raises(BackupError, match="not a backup file"):
        sqlite_restore(backup=text, target=live)
    assert [row[0] for row in _sqlite_rows(live)] == [1, 2, 3]  # nothing changed
    with pytest.raises(BackupError, match="unsupported database engine"):
        database_backup(db={"ENGINE": "django.db.backends.mysql", "NAME": "x"}, out_dir=tmp_path)


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_commands_round_trip_sqlite(
    tmp_path: Path, settings: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command wiring: ``backup --out`` prints the path, ``restore --yes`` puts it back."""
    live = tmp_path / "live.sqlite3"
    _make_sqlite(live)
    settings.DATABASES = {**settings.DATABASES, "default": {"ENGINE": SQLITE_ENGINE, "NAME": str(live)}}

    call_command("backup", "--out", str(tmp_path / "out"))
    printed = Path(capsys.readouterr().out.strip())
    assert printed.parent == tmp_path / "out"
    assert printed.name.startswith("gonghui-") and printed.suffix == ".sqlite3"

    _mutate_sqlite(live)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(printed))
    assert 9 in [row[0] for row in _sqlite_rows(live)]  # refused: still mutated

    call_command("restore", str(printed), "--yes")
    assert [row[0] for row in _sqlite_rows(live)] == [1, 2, 3]

    with pytest.raises(CommandError, match="backup file not found"):
        call_command("restore", str(tmp_path / "nope.sqlite3"), "--yes")
    with pytest.raises(CommandError, match="give the backup file"):
        call_command("restore", "--yes")


def test_backup_path_uses_engine_suffix(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5)
    assert backup_path(out_dir=tmp_path, kind="postgresql", now=now).name == "gonghui-20260102-030405.dump"


def test_pg_password_goes_to_the_environment_not_argv() -> None:
    conn = PgConnection.from_settings(
        {
            "ENGINE": PG_ENGINE,
            "NAME": "gonghui",
            "USER": "app",
            "PASSWORD": "s3cret",
            "HOST": "db1",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        }
    )
    assert conn.args() == ["--no-password", "--host=db1", "--port=5433", "--username=app"]
    assert not any("s3cret" in arg for arg in conn.args())
    env = conn.env()
    assert env["PGPASSWORD"] == "s3cret"
    assert env["PGSSLMODE"] == "require"


# ---------------------------------------------------------------------------------------
# PostgreSQL (its own scratch database)


def _admin_conn() -> psycopg.Connection[Any]:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


@pytest.fixture
def scratch_pg() -> Iterator[str]:
    """A throw-away database ``gonghui_backup_rt_<random>``, dropped at the end."""
    for tool in ("pg_dump", "pg_restore"):
        assert shutil.which(tool), f"{tool} is not installed: apt-get install postgresql-client"
    name = f"gonghui_backup_rt_{secrets.token_hex(4)}"
    with _admin_conn() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _admin_conn() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _pg(name: str) -> psycopg.Connection[Any]:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=name, autocommit=True)


def _pg_rows(name: str) -> list[tuple[Any, ...]]:
    with _pg(name) as conn:
        return conn.execute("SELECT id, name, fee FROM member ORDER BY id").fetchall()


def test_postgres_round_trip(scratch_pg: str, tmp_path: Path) -> None:
    with _pg(scratch_pg) as conn:
        conn.execute(
            "CREATE TABLE member (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, fee numeric(12, 2))"
        )
        conn.execute(
            "INSERT INTO member (name, fee) VALUES ('张三', 36.00), ('李四', 60.00), ('王五', 20.00)"
        )
    original = _pg_rows(scratch_pg)
    db = {"ENGINE": PG_ENGINE, "NAME": scratch_pg, "HOST": PG_HOST, "PORT": PG_PORT, "USER": PG_USER}

    dump = database_backup(db=db, out_dir=tmp_path, now=datetime(2026, 11, 22, 10, 0, 0))
    assert dump.name == "gonghui-20261122-100000.dump"
    assert file_kind(dump) == "postgresql"

    with _pg(scratch_pg) as conn:
        conn.execute("UPDATE member SET name = '改了' WHERE id = 1")
        conn.execute("DELETE FROM member WHERE id = 2")
        conn.execute("INSERT INTO member (name, fee) VALUES ('新人', 1.00)")
    assert _pg_rows(scratch_pg) != original

    database_restore(db=db, backup=dump)
    assert _pg_rows(scratch_pg) == original
    with _pg(scratch_pg) as conn:  # the sequence came back too: the next id follows the dump
        conn.execute("INSERT INTO member (name, fee) VALUES ('赵六', 5.00)")
        assert conn.execute("SELECT max(id) FROM member").fetchone() == (4,)

    with _pg(scratch_pg) as conn:  # a dropped table is recreated as well
        conn.execute("DROP TABLE member")
    conn_params = PgConnection(name=scratch_pg, host=PG_HOST, port=PG_PORT, user=PG_USER)
    postgres_restore(conn=conn_params, backup=dump)
    assert _pg_rows(scratch_pg) == original


def test_postgres_errors_are_clear(scratch_pg: str, tmp_path: Path) -> None:
    conn = PgConnection(name=scratch_pg, host=PG_HOST, port=PG_PORT, user=PG_USER)
    sqlite_file = tmp_path / "x.sqlite3"
    _make_sqlite(sqlite_file)
    with pytest.raises(BackupError, match="wrong kind of backup"):
        postgres_restore(conn=conn, backup=sqlite_file)
    missing = PgConnection(name=f"{scratch_pg}_missing", host=PG_HOST, port=PG_PORT, user=PG_USER)
    with pytest.raises(BackupError, match="pg_dump failed"):
        postgres_backup(conn=missing, target=tmp_path / "never.dump")
    assert not list(tmp_path.glob("never.dump*"))  # no partial file left behind
