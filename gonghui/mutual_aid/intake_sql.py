"""PostgreSQL fast path of the settlement intake: COPY the raw file, validate it set-based.

The Python reader (``engine/io.py``) spends ~50 µs per row parsing and checking cells one at
a time. Here the file goes byte for byte into a temporary all-text table with ``COPY … (FORMAT
csv)`` and every rule of the reader is one SQL expression over the whole table, so a million
rows cost a few table scans. The result is the same temporary stage table ``ma_stage`` (valid
rows of consenting members) and the same row errors the Python path produces; what follows
(limits, reversals, the idempotent insert, counters, audit) is shared code in ``intake.py``.

Exactness. Every rule is mirrored, message for message, in the same order within a row:
setl_id (empty, duplicate in the file), certno (format, GB 11643 check digit, masked in the
message), med_type, hosp_lv, begndate/enddate (format, existence, future, before 1990, end
before begin), the five amounts and preselfpay (Python ``Decimal`` grammar: sign, exponent,
underscores, NaN/Infinity, the ±10¹⁸ exponent range), the 0/1 flags, the reversal's
orig_setl_id. Python's ``str.strip`` (every Unicode space) and Python's Unicode digits
(``\\d`` and ``int``/``Decimal`` accept Arabic-Indic or full-width digits) are reproduced. A
cheap ASCII check accepts the ordinary cell; anything else goes through the exact function,
so unusual cells are slower, never different.

Anything the CSV dialects may read differently — a quote inside an unquoted field, a line
``\\.``, a blank line, a row with another number of cells than the header, a field over the
csv module's 131,072-character limit, a bad byte, a problem with the header — makes this
path decline (``stage_file`` returns None) before anything is written, and the Python path
reports it exactly as before. So does a database without pgcrypto or not in UTF-8.

The blind index is ``hmac(certno, key, 'sha256')`` (pgcrypto) with the key derived exactly as
``gonghui.core.crypto.blind_index`` derives it, checked against it on a probe value before use,
and computed once per distinct ID number.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from gonghui.core.crypto import _key_material, blind_index
from gonghui.mutual_aid.engine.io import (
    SETTLEMENT_OPTIONAL,
    SETTLEMENT_REQUIRED,
    ReadStats,
    RowError,
    _Errors,
    _header,
    _open_rows,
)
from gonghui.mutual_aid.engine.records import MED_TYPES

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# Per-transaction memory for the hash joins and aggregates over a million rows (SET LOCAL:
# back to the server default when the import's transaction ends).
WORK_MEM = "256MB"
# The csv module refuses fields longer than this (csv.field_size_limit()); COPY does not.
CSV_FIELD_LIMIT = 131_072
COPY_CHUNK = 1 << 20
PROGRESS_EVERY = 20_000

# Error columns of ma_stage in the order the Python reader reports a row's problems.
ERROR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("e_setl", "setl_id"),
    ("e_cert", "certno"),
    ("e_med", "med_type"),
    ("e_lv", "hosp_lv"),
    ("e_begn", "begndate"),
    ("e_end", "enddate"),
    ("e_a1", "medfee_sumamt"),
    ("e_a2", "fund_pay_sumamt"),
    ("e_a3", "hosp_part_amt"),
    ("e_a4", "fulamt_ownpay_amt"),
    ("e_a5", "overlmt_selfpay"),
    ("e_pre", "preselfpay_amt"),
    ("e_refd", "refd_setl_flag"),
    ("e_vali", "vali_flag"),
    ("e_orig", "orig_setl_id"),
)
_AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "hosp_part_amt", "fulamt_ownpay_amt", "overlmt_selfpay")
# Stored text columns and the length the Python path cuts them to.
_TEXTS = (("fixmedins_name", 100), ("diag_codes", 200), ("diag_names", 400), ("oprn_codes", 200))


# Seconds per step of the last import in this process (for bench/bench_intake.py and logs).
STEP_SECONDS: dict[str, float] = {}


@contextmanager
def step(label: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        STEP_SECONDS[label] = STEP_SECONDS.get(label, 0.0) + seconds
        logger.debug("intake step %s: %.2f s", label, seconds)


class _Decline(Exception):
    """This file (or this database) is for the Python path."""


@dataclass
class Staged:
    """What a staging step leaves behind: ``ma_stage`` holds the valid rows of consenting
    members; ``errors`` the row errors (capped like the reader's); the counters."""

    engine: str
    errors: list[RowError] = field(default_factory=list)
    rows_seen: int = 0
    no_consent: int = 0


# --- Python's notions of whitespace and digits, as SQL literals -----------------------------


def _sql_escape(text: str) -> str:
    """An E'' literal body: every character as \\uXXXX / \\UXXXXXXXX (needs a UTF-8 server)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


@cache
def _unicode_tables() -> tuple[str, str, str]:
    """(whitespace of ``str.strip``, non-ASCII decimal digits, their ASCII values)."""
    spaces = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    digits = [c for c in map(chr, range(0x80, 0x110000)) if c.isdecimal()]
    values = "".join(str(unicodedata.decimal(c)) for c in digits)
    return spaces, "".join(digits), values


def _space_codes() -> str:
    return ", ".join(str(ord(c)) for c in _unicode_tables()[0])


def _functions_sql() -> list[str]:
    spaces, digits, values = _unicode_tables()
    ws = _sql_escape(spaces)
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    checksum = " + ".join(f"(ascii(substr(s, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(weights))
    return [
        # Python str.strip(): every character for which str.isspace() is true.
        f"""CREATE OR REPLACE FUNCTION pg_temp.ma_strip(x text) RETURNS text
        LANGUAGE sql IMMUTABLE AS $fn$ SELECT btrim(x, E'{ws}') $fn$""",
        # Python's \\d, int() and Decimal() read any Unicode decimal digit.
        f"""CREATE OR REPLACE FUNCTION pg_temp.ma_ascii_digits(x text) RETURNS text
        LANGUAGE sql IMMUTABLE AS $fn$
        SELECT CASE WHEN octet_length(x) = length(x) THEN x
                    ELSE translate(x, E'{_sql_escape(digits)}', '{values}') END $fn$""",
        # gonghui.core.masking.mask_id_number
        """CREATE OR REPLACE FUNCTION pg_temp.ma_mask(s text) RETURNS text
        LANGUAGE sql IMMUTABLE AS $fn$
        SELECT CASE WHEN length(s) <= 10 THEN repeat('*', length(s))
                    ELSE left(s, 6) || repeat('*', length(s) - 10) || right(s, 4) END $fn$""",
        # GB 11643 check character of a value already shaped [0-9]{17}[0-9X].
        f"""CREATE OR REPLACE FUNCTION pg_temp.ma_gb11643(s text) RETURNS boolean
        LANGUAGE sql IMMUTABLE AS $fn$
        SELECT substr('10X98765432', ({checksum}) % 11 + 1, 1) = substr(s, 18, 1) $fn$""",
        # engine.io._parse_amount
        """CREATE OR REPLACE FUNCTION pg_temp.ma_amount(raw text, OUT val numeric, OUT err text)
        LANGUAGE plpgsql IMMUTABLE AS $fn$
        DECLARE
          t text := pg_temp.ma_strip(raw);
          a text := pg_temp.ma_ascii_digits(t);
          m text[]; frac text; coef text; e numeric; adj numeric;
        BEGIN
          IF a ~ '^[0-9]{1,12}(\\.[0-9]{1,2})?$' THEN val := a::numeric; RETURN; END IF;
          IF t = '' THEN err := '不能为空'; RETURN; END IF;
          -- Decimal(text): underscores are dropped; sign, digits, point, exponent.
          m := regexp_match(replace(a, '_', ''),
                            '^([+-]?)(?:([0-9]+)(?:\\.([0-9]*))?|\\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$');
          IF m IS NULL THEN err := format('不是有效的金额「%s」', t); RETURN; END IF;
          frac := coalesce(m[3], m[4], '');
          coef := ltrim(coalesce(m[2], '') || frac, '0');
          e := coalesce(m[5], '0')::numeric - length(frac);
          adj := e + greatest(length(coef), 1) - 1;
          IF adj > 999999999999999999 OR e < -1999999999999999997 THEN
            err := format('不是有效的金额「%s」', t);   -- outside Decimal's exponent range
          ELSIF m[1] = '-' AND coef <> '' THEN
            err := format('金额不能为负数「%s」', t);
          ELSIF e < -2 THEN
            err := format('金额最多两位小数「%s」', t);
          ELSE
            err := format('不是有效的金额「%s」', t);
          END IF;
        END $fn$""",
        # engine.io._parse_date
        """CREATE OR REPLACE FUNCTION pg_temp.ma_date(raw text, today date, OUT val date, OUT err text)
        LANGUAGE plpgsql IMMUTABLE AS $fn$
        DECLARE
          t text := pg_temp.ma_strip(raw);
          a text := pg_temp.ma_ascii_digits(t);
          y int; mo int; d int; v date;
        BEGIN
          IF a !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$' THEN
            err := CASE WHEN t = '' THEN '不能为空' ELSE '日期格式应为 YYYY-MM-DD' END;
            RETURN;
          END IF;
          y := substr(a, 1, 4)::int; mo := substr(a, 6, 2)::int; d := substr(a, 9, 2)::int;
          IF y < 1 OR mo < 1 OR mo > 12 OR d < 1
             OR d > extract(day FROM make_date(y, mo, 1) + interval '1 month' - interval '1 day') THEN
            err := format('不存在的日期「%s」', t); RETURN;
          END IF;
          v := make_date(y, mo, d);
          IF v > today THEN err := format('日期「%s」晚于今天', t); RETURN; END IF;
          IF y < 1990 THEN err := format('日期「%s」过早', t); RETURN; END IF;
          val := v;
        END $fn$""",
    ]


# --- the file: what COPY and the csv module might read differently --------------------------

_QUOTED = re.compile(rb'"[^"]*(?:""[^"]*)*"')
_END_MARKER = re.compile(rb"(?:^|[\r\n])\\\.(?:[\r\n]|$)")
_FIELD_END = frozenset(b",\r\n")


@dataclass
class _File:
    encoding: str  # COPY's name for it
    width: int  # cells in the header
    columns: dict[str, int]


def _inspect(path: str) -> _File:
    """Header and encoding the way the Python reader finds them; decline on anything unusual."""
    errors = _Errors(path, 10)
    stats = ReadStats()
    rows = _open_rows(path, errors, stats)
    if rows is None:
        raise _Decline("file-level problem")
    try:
        first = next(rows, None)
        if first is None or first[0] != 1 or errors.total:
            raise _Decline("no header on line 1")
        columns = _header(iter([first]), SETTLEMENT_REQUIRED, SETTLEMENT_OPTIONAL, errors)
        if columns is None or errors.total:
            raise _Decline("header problem")
        width = len(first[1])
    finally:
        rows.close()  # type: ignore[attr-defined]
    _check_bytes(path)
    return _File(
        encoding="UTF8" if stats.encoding == "utf-8-sig" else "GB18030", width=width, columns=columns
    )


def _check_bytes(path: str) -> None:
    """No line over the csv module's field limit, quotes only around whole fields, no line
    ``\\.`` (COPY's end-of-data marker).

    The csv module (non-strict) takes a quote inside an unquoted field literally where COPY
    starts a quoted section. A file without quotes — the usual export — costs one pass of
    memchr-speed scans; GB18030 never uses the bytes of ``"``, ``,`` or a line break inside a
    character, so the scan is valid for both encodings.
    """
    quotes = 0
    marker = False
    run = 0  # bytes since the last line break
    with open(path, "rb") as fh:
        tail = b""
        while chunk := fh.read(COPY_CHUNK):
            quotes += chunk.count(b'"')
            marker = marker or b"\\." in tail + chunk[:2] or b"\\." in chunk
            tail = chunk[-2:]
            lines = chunk.split(b"\n")
            if len(lines) == 1:
                run += len(chunk)
            else:
                longest = max(run + len(lines[0]), max(map(len, lines[1:-1]), default=0))
                if longest > CSV_FIELD_LIMIT:
                    raise _Decline("line over the csv module's field limit")
                run = len(lines[-1])
            if run > CSV_FIELD_LIMIT:
                raise _Decline("line over the csv module's field limit")
    if not quotes and not marker:
        return
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if marker and _END_MARKER.search(buf):  # type: ignore[call-overload]
            raise _Decline("line with \\.")
        size = len(buf)
        seen = 0
        for match in _QUOTED.finditer(buf):  # type: ignore[call-overload]
            start, end = match.span()
            if (start and buf[start - 1] not in _FIELD_END) or (end < size and buf[end] not in _FIELD_END):
                raise _Decline("quote inside a field")
            if end - start > CSV_FIELD_LIMIT:
                raise _Decline("field over the csv module's limit")
            seen += match.group().count(b'"')
        if seen != quotes:
            raise _Decline("unbalanced quote")


# --- the database ---------------------------------------------------------------------------


def _index_key() -> bytes:
    """The HMAC key of ``blind_index`` (same derivation, see gonghui.core.crypto)."""
    material = _key_material(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)
    return hashlib.sha256(b"gonghui-index:" + material).digest()


def _pgcrypto_schema(cursor: Any) -> str:
    """Schema of pgcrypto, created if missing and allowed; decline when it cannot be had."""
    query = (
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pgcrypto'"
    )
    cursor.execute(query)
    row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        except DatabaseError:
            raise _Decline("pgcrypto unavailable") from None
        cursor.execute(query)
        row = cursor.fetchone()
        if row is None:  # pragma: no cover - created but not visible
            raise _Decline("pgcrypto unavailable")
    return connection.ops.quote_name(row[0])


def _hmac_sql(schema: str, value: str) -> str:
    return f"encode({schema}.hmac(convert_to({value}, 'UTF8'), %s::bytea, 'sha256'), 'hex')"


def usable(cursor: Any) -> str | None:
    """The pgcrypto schema when this database can run the fast path, else None."""
    if connection.vendor != "postgresql":
        return None
    cursor.execute("SELECT current_setting('server_encoding')")
    if cursor.fetchone()[0] != "UTF8":
        return None
    try:
        schema = _pgcrypto_schema(cursor)
    except _Decline:
        return None
    probe = "330109199001011234"
    cursor.execute(f"SELECT {_hmac_sql(schema, '%s')}", [probe, _index_key()])
    if cursor.fetchone()[0] != blind_index(probe):
        logger.warning("pgcrypto hmac differs from blind_index: intake uses the Python path")
        return None
    return schema


def stage_file(
    cursor: Any,
    *,
    path: str,
    consent_sql: tuple[str, tuple[Any, ...]],
    today: date,
    max_errors: int,
    progress: Progress | None = None,
) -> Staged | None:
    """Fill ``ma_stage`` from ``path`` and return the row errors, or None to decline (nothing
    is left behind then). ``consent_sql`` selects (blind index, member id) of the members
    whose rows may be stored. Runs inside the caller's transaction."""
    with step("pgcrypto probe"):
        schema = usable(cursor)
    if schema is None:
        return None
    try:
        with step("inspect file"):
            info = _inspect(path)
    except _Decline as why:
        logger.info("intake of %s uses the Python path: %s", path, why)
        return None
    try:
        with transaction.atomic():  # a savepoint: declining leaves nothing behind
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # Compiling these one-off statements costs more than it saves (temporary tables
            # have no statistics, so the planner's estimates would switch JIT on).
            cursor.execute("SET LOCAL jit = off")
            for sql in _functions_sql():
                cursor.execute(sql)
            cursor.execute("DROP TABLE IF EXISTS ma_raw")
            cursor.execute(
                f"CREATE TEMPORARY TABLE ma_raw ({', '.join(f'c{i} text' for i in range(info.width))}, "
                "row_no bigint GENERATED ALWAYS AS IDENTITY (START WITH 2))"
            )
            try:
                with step("copy to ma_raw"):
                    _copy_file(cursor, path, info, progress)
            except Exception as exc:
                if _is_database_error(exc):  # the bytes are not what the Python reader accepts
                    raise _Decline(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
                raise
            return _validate(cursor, info, schema, consent_sql, today, max_errors)
    except _Decline as why:
        logger.info("intake of %s uses the Python path: %s", path, why)
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        logger.warning("intake of %s: SQL validation failed, using the Python path", path, exc_info=True)
    return None


def _is_database_error(exc: BaseException) -> bool:
    import psycopg

    return isinstance(exc, DatabaseError | psycopg.Error)


def _copy_file(cursor: Any, path: str, info: _File, progress: Progress | None) -> None:
    cols = ", ".join(f"c{i}" for i in range(info.width))
    options = f"FORMAT csv, HEADER true, ENCODING '{info.encoding}', FORCE_NOT_NULL ({cols})"
    lines = reported = 0
    with (
        open(path, "rb") as fh,
        cursor.cursor.copy(f"COPY ma_raw ({cols}) FROM STDIN WITH ({options})") as copy,
    ):
        while chunk := fh.read(COPY_CHUNK):
            copy.write(chunk)
            if progress:
                lines += chunk.count(b"\n")
                if lines - reported >= PROGRESS_EVERY:
                    reported = lines
                    progress(lines, 0)


def _validate(
    cursor: Any,
    info: _File,
    schema: str,
    consent_sql: tuple[str, tuple[Any, ...]],
    today: date,
    max_errors: int,
) -> Staged:
    col = info.columns
    consent, consent_params = consent_sql
    # ID numbers: each distinct cell once — format, check digit, blind index, consent.
    with step("analyze ma_raw"):
        # Statistics first: without them every plan below assumes 200 rows (nested loops).
        cursor.execute("ANALYZE ma_raw")
    cursor.execute("DROP TABLE IF EXISTS ma_cert")
    with step("id numbers: check, hmac, consent"):
        cursor.execute(
            f"""CREATE TEMPORARY TABLE ma_cert AS
            WITH d AS MATERIALIZED (SELECT DISTINCT r.c{col["certno"]} AS raw FROM ma_raw r),
            s AS MATERIALIZED (SELECT raw, pg_temp.ma_strip(raw) AS s FROM d),
            u AS MATERIALIZED (SELECT raw, s, upper(s) AS u FROM s),
            v AS MATERIALIZED (
              SELECT raw, s, CASE WHEN octet_length(s) = 18 AND s ~ '^[0-9]+[0-9Xx]$' AND pg_temp.ma_gb11643(u)
                                  THEN u END AS norm
              FROM u),
            h AS MATERIALIZED (
              SELECT raw, s, norm, CASE WHEN norm IS NOT NULL THEN {_hmac_sql(schema, "norm")} END AS idx
              FROM v)
            SELECT h.raw,
                   CASE WHEN h.norm IS NOT NULL THEN NULL
                        WHEN h.s = '' THEN '不能为空'
                        ELSE format('身份证号「%%s」校验位不正确或格式错误', pg_temp.ma_mask(h.s)) END AS err,
                   m.member_id
            FROM h LEFT JOIN ({consent}) m (idx, member_id) ON m.idx = h.idx""",  # noqa: S608
            [_index_key(), *consent_params],
        )
    # Dates: few distinct values, each checked once by the exact function.
    cursor.execute("DROP TABLE IF EXISTS ma_date")
    with step("dates"):
        cursor.execute(
            f"""CREATE TEMPORARY TABLE ma_date AS
        SELECT d.raw, f.val, f.err
        FROM (SELECT DISTINCT v.raw FROM ma_raw r,
              LATERAL (VALUES (r.c{col["begndate"]}), (r.c{col["enddate"]})) v (raw)) d,
        LATERAL pg_temp.ma_date(d.raw, %s) f""",  # noqa: S608
            [today],
        )
    cursor.execute("DROP TABLE IF EXISTS ma_stage")
    with step("validate rows into ma_stage"):
        cursor.execute("ANALYZE ma_cert, ma_date")
        cursor.execute(_stage_sql(col, info.width))
    with step("counts, duplicates, errors"):
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE ok AND member_id IS NULL) FROM ma_stage")
        rows_seen, no_consent = cursor.fetchone()
        # setl_id repeated in the file: every occurrence after the first (valid or not).
        cursor.execute(
            """SELECT row_no, setl_id, ok, member_id IS NULL FROM (
                 SELECT s.row_no, s.setl_id, s.ok, s.member_id,
                        row_number() OVER (PARTITION BY s.setl_id ORDER BY s.row_no) AS n
                 FROM ma_stage s
                 JOIN (SELECT setl_id FROM ma_stage WHERE setl_id <> '' GROUP BY setl_id
                       HAVING count(*) > 1) d USING (setl_id)) x
               WHERE n > 1 ORDER BY row_no"""
        )
        duplicates: dict[int, str] = {}
        for row_no, setl_id, ok, no_member in cursor.fetchall():
            duplicates[row_no] = setl_id
            if ok and no_member:
                no_consent -= 1
        errors = _row_errors(cursor, duplicates, max_errors)
    with step("drop invalid and non-consenting rows"):
        if duplicates:
            cursor.execute(
                "UPDATE ma_stage SET ok = false WHERE row_no = ANY(%s::bigint[])", [list(duplicates)]
            )
        cursor.execute("DELETE FROM ma_stage WHERE NOT ok OR member_id IS NULL")
        for table in ("ma_raw", "ma_cert", "ma_date"):
            cursor.execute(f"DROP TABLE {table}")
    return Staged(engine="sql", errors=errors, rows_seen=rows_seen, no_consent=no_consent)


def _row_errors(cursor: Any, duplicates: dict[int, str], max_errors: int) -> list[RowError]:
    """The first ``max_errors`` errors in file order, as the reader lists them."""
    names = ", ".join(c for c, _ in ERROR_COLUMNS)
    cursor.execute(
        f"SELECT row_no, {names} FROM ma_stage WHERE NOT ok ORDER BY row_no LIMIT %s",  # noqa: S608
        [max_errors],
    )
    by_row: dict[int, list[RowError]] = {}
    for row_no, *messages in cursor.fetchall():
        by_row[row_no] = [
            RowError(row_no, column, message)
            for (_, column), message in zip(ERROR_COLUMNS, messages, strict=True)
            if message is not None
        ]
    for row_no, setl_id in list(duplicates.items())[:max_errors]:
        # The duplicate is the row's setl_id problem (the first check of a row).
        by_row.setdefault(row_no, []).insert(
            0, RowError(row_no, "setl_id", f"结算单号「{setl_id}」在文件中重复")
        )
    errors = [e for row_no in sorted(by_row) for e in by_row[row_no]]
    return errors[:max_errors]


def _stage_sql(col: dict[str, int], width: int) -> str:
    """One pass over ma_raw: typed values, one error column per rule, ``ok``."""

    def raw(name: str) -> str:
        return f"r.c{col[name]}" if name in col else "''"

    ws = _space_codes()
    med_codes = ", ".join(f"'{c}'" for c in MED_TYPES)
    levels = "'', '0', '1', '2', '3'"
    flags = "'', '0', '1'"

    def fast_strip(x: str) -> str:
        # Nothing to strip: first and last character are not spaces (ascii('') is 0).
        return f"(ascii({x}) NOT IN ({ws}) AND ascii(right({x}, 1)) NOT IN ({ws}))"

    def stripped(x: str) -> str:
        return f"CASE WHEN {fast_strip(x)} THEN {x} ELSE pg_temp.ma_strip({x}) END"

    def within(x: str, allowed: str) -> str:
        return f"CASE WHEN {x} IN ({allowed}) THEN {x} ELSE pg_temp.ma_strip({x}) END"

    amount_re = "'^[0-9]+(\\.[0-9][0-9]?)?$'"

    def amount_ok(x: str) -> str:
        return f"({x} ~ {amount_re} AND octet_length({x}) <= 12)"

    # Blank rows (every cell empty) are skipped, as the reader skips them; the setl_id test
    # first spares the concatenation on every ordinary row.
    blank = f"{raw('setl_id')} = '' AND concat(" + ", ".join(f"r.c{i}" for i in range(width)) + ") = ''"
    level1 = [
        "r.row_no",
        f"{raw('setl_id')} AS s_raw",
        f"{raw('orig_setl_id')} AS o_raw",
        f"{raw('med_type')} AS m_raw",
        f"{raw('hosp_lv')} AS l_raw",
        f"{raw('refd_setl_flag')} AS rf_raw",
        f"{raw('vali_flag')} AS vf_raw",
        f"{raw('preselfpay_amt')} AS p_raw",
        "c.err AS cert_err",
        "c.member_id",
        "db.val AS begndate",
        "db.err AS begn_err",
        "de.val AS enddate",
        "de.err AS end_err",
    ]
    for i, name in enumerate(_AMOUNTS, start=1):
        level1 += [f"{raw(name)} AS a{i}_raw", f"{amount_ok(raw(name))} AS a{i}_ok"]
    level1.append(f"({raw('preselfpay_amt')} = '' OR {amount_ok(raw('preselfpay_amt'))}) AS p_ok")
    for name, _ in _TEXTS:
        level1.append(f"{raw(name)} AS {name}_raw")
    level2 = [
        "row_no",
        "member_id",
        "cert_err",
        "begndate",
        "begn_err",
        "enddate",
        "end_err",
        f"{stripped('s_raw')} AS setl_id",
        f"{stripped('o_raw')} AS orig_setl_id",
        f"{within('m_raw', med_codes)} AS med_s",
        f"{within('l_raw', levels)} AS lv_s",
        f"{within('rf_raw', flags)} AS rf_s",
        f"{within('vf_raw', flags)} AS vf_s",
        "CASE WHEN p_ok THEN CASE WHEN p_raw = '' THEN 0 ELSE p_raw::numeric END "
        "WHEN pg_temp.ma_strip(p_raw) = '' THEN 0 ELSE (pg_temp.ma_amount(p_raw)).val END AS preselfpay_amt",
        "CASE WHEN p_ok OR pg_temp.ma_strip(p_raw) = '' THEN NULL ELSE (pg_temp.ma_amount(p_raw)).err END AS e_pre",
    ]
    for i, name in enumerate(_AMOUNTS, start=1):
        level2 += [
            f"CASE WHEN a{i}_ok THEN a{i}_raw::numeric ELSE (pg_temp.ma_amount(a{i}_raw)).val END AS {name}",
            f"CASE WHEN a{i}_ok THEN NULL ELSE (pg_temp.ma_amount(a{i}_raw)).err END AS e_a{i}",
        ]
    for name, limit in _TEXTS:
        text = stripped(f"{name}_raw")
        level2.append(
            f"CASE WHEN octet_length({name}_raw) <= {limit} THEN {text} ELSE left({text}, {limit}) END AS {name}"
        )
    level3 = [
        "row_no",
        "setl_id",
        "member_id",
        f"CASE WHEN med_s IN ({med_codes}) THEN med_s END AS med_type",
        "CASE WHEN lv_s IN ('1', '2', '3') THEN lv_s::smallint ELSE 0::smallint END AS hosp_lv",
        *(name for name, _ in _TEXTS[:1]),
        "begndate",
        "enddate",
        *_AMOUNTS,
        "preselfpay_amt",
        *(name for name, _ in _TEXTS[1:]),
        "rf_s = '1' AS refd_setl_flag",
        "orig_setl_id",
        "vf_s <> '0' AS vali_flag",
        "CASE WHEN setl_id = '' THEN '不能为空' END AS e_setl",
        "cert_err AS e_cert",
        f"CASE WHEN med_s NOT IN ({med_codes}) THEN format('未知的医疗类别「%s」', med_s) END AS e_med",
        f"CASE WHEN lv_s NOT IN ({levels}) "
        "THEN format('医院等级应为 1、2、3（空表示未定级），不是「%s」', lv_s) END AS e_lv",
        "begn_err AS e_begn",
        "CASE WHEN end_err IS NOT NULL THEN end_err "
        "WHEN begndate IS NOT NULL AND enddate < begndate THEN format('结束日期 %s 早于开始日期 %s', "
        "to_char(enddate, 'YYYY-MM-DD'), to_char(begndate, 'YYYY-MM-DD')) END AS e_end",
        *(f"e_a{i}" for i in range(1, len(_AMOUNTS) + 1)),
        "e_pre",
        f"CASE WHEN rf_s NOT IN ({flags}) THEN format('应为 0 或 1，不是「%s」', rf_s) END AS e_refd",
        f"CASE WHEN vf_s NOT IN ({flags}) THEN format('应为 0 或 1，不是「%s」', vf_s) END AS e_vali",
        "CASE WHEN rf_s = '1' AND orig_setl_id = '' THEN '冲销单（refd_setl_flag=1）必须填写原结算单号' "
        "WHEN rf_s = '1' AND orig_setl_id = setl_id THEN '冲销单不能冲销自身' END AS e_orig",
    ]
    errors = ", ".join(c for c, _ in ERROR_COLUMNS)
    return f"""CREATE TEMPORARY TABLE ma_stage AS
    SELECT *, num_nonnulls({errors}) = 0 AS ok FROM (
      SELECT {", ".join(level3)} FROM (
        SELECT {", ".join(level2)} FROM (
          SELECT {", ".join(level1)}
          FROM ma_raw r
          JOIN ma_cert c ON c.raw = r.c{col["certno"]}
          JOIN ma_date db ON db.raw = r.c{col["begndate"]}
          JOIN ma_date de ON de.raw = r.c{col["enddate"]}
          WHERE NOT ({blank})
          OFFSET 0) l1
        OFFSET 0) l2
      OFFSET 0) l3"""  # noqa: S608 - generated from constants and column positions
