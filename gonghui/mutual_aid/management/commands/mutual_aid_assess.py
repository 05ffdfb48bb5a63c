"""`manage.py mutual_aid_assess --in cases.jsonl --out results.jsonl`: 重疾判断 over a file.

One case JSON per input line, one result JSON per output line, UTF-8. All or nothing: any
malformed line (bad UTF-8, bad JSON, a field that breaks the contract, a repeated id) fails
the whole run with a CommandError listing the bad lines, and nothing is written — results go
to a temporary file in the output directory that is renamed over `--out` only at the end.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gonghui.mutual_aid.assessment.types import Assessment, Case

MAX_LISTED_ERRORS = 20


class Command(BaseCommand):
    """Assess every case of a JSON-lines file and write the results atomically."""

    help = "重疾判断：逐行读入病例 JSON，写出结果 JSONL；有错误行则整体失败、不写文件。"
    # Touches no database: no system checks, no migration checks.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--in", dest="in_path", required=True, help="病例 JSONL（每行一个）")
        parser.add_argument("--out", dest="out_path", required=True, help="结果 JSONL（原子写入）")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["in_path"])
        target = Path(options["out_path"])
        if not source.is_file():
            raise CommandError(f"找不到输入文件 --in {source}")
        if not target.parent.is_dir():
            raise CommandError(f"输出目录不存在：{target.parent}")
        started = time.perf_counter()
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                cases, errors, decisions, load_seconds = self._run(source, out.write)
            if errors:
                raise CommandError(self._error_message(source, errors))
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        seconds = time.perf_counter() - started
        # The one-off model training is reported apart: it does not grow with the file.
        working = seconds - load_seconds
        rate = cases / working if working > 0 else 0.0
        w = self.stdout.write
        w(f"重疾判断完成：{cases} 条病例，用时 {seconds:.2f} 秒（其中加载模型 {load_seconds:.2f} 秒），")
        w(f"  评估速度 {rate:,.1f} 条/秒 → {target}")
        w(f"cases: {cases}")
        w(f"seconds: {seconds:.2f}")
        w(f"model_load_seconds: {load_seconds:.2f}")
        w(f"cases_per_s: {rate:.1f}")
        counts = (f"{k} {decisions.get(k, 0)}" for k in ("auto_accept", "needs_review", "none"))
        w("决定：" + "，".join(counts))

    def _run(
        self, source: Path, write: Callable[[str], Any]
    ) -> tuple[int, list[tuple[int, str]], Counter[str], float]:
        # Imported here so that `--help` and a missing file need neither scikit-learn nor the
        # model; the model itself is trained on the first valid case. Both count as loading.
        importing = time.perf_counter()
        from gonghui.mutual_aid.assessment.service import (
            CaseFormatError,
            assessment_to_json,
            case_from_line,
            default_assessor,
            default_catalogue,
        )

        assess: Callable[[Case], Assessment] | None = None
        errors: list[tuple[int, str]] = []
        seen: dict[str, int] = {}
        decisions: Counter[str] = Counter()
        cases = 0
        load_seconds = time.perf_counter() - importing
        with source.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    errors.append((number, "不是 UTF-8 编码"))
                    continue
                line = line.lstrip("\ufeff").strip() if number == 1 else line.strip()
                if not line:
                    continue  # blank lines (e.g. a trailing newline) carry no case
                try:
                    case = case_from_line(line)
                except CaseFormatError as exc:
                    errors.append((number, f"字段 {exc.field}：{exc.message}"))
                    continue
                if case.id in seen:
                    first = seen[case.id]
                    errors.append((number, f"字段 id：病例 id “{case.id}” 与第 {first} 行重复"))
                    continue
                seen[case.id] = number
                if errors:
                    continue  # the run will fail: only keep validating
                if assess is None:
                    loading = time.perf_counter()
                    assess = default_assessor()
                    load_seconds += time.perf_counter() - loading
                result = assess(case)
                decisions[result.decision] += 1
                payload = assessment_to_json(result, default_catalogue())
                write(json.dumps(payload, ensure_ascii=False) + "\n")
                cases += 1
        return cases, errors, decisions, load_seconds

    @staticmethod
    def _error_message(source: Path, errors: list[tuple[int, str]]) -> str:
        shown = [f"  第 {n} 行：{msg}" for n, msg in errors[:MAX_LISTED_ERRORS]]
        more = len(errors) - MAX_LISTED_ERRORS
        if more > 0:
            shown.append(f"  ……另有 {more} 行错误")
        return f"{source} 有 {len(errors)} 行无效，未写出任何结果：\n" + "\n".join(shown)
