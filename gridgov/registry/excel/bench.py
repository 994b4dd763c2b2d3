"""The people-import benchmark (120,000 people from xlsx, validation included, under
90 s; reported as a ratio to the time python-calamine takes merely to read the same file).

``import_bench(rows=..., workdir=...)`` expects Django set up on a migrated, empty-enough
database (the ``gridgov bench`` runner gives it a fresh SQLite file); it adds a bench area and a
community-staff account, writes an xlsx of valid generated people of the Minhang division
(310112), times (a) calamine reading it and (b) the full dry run and import, and returns both
with the ratio. ``python -m gridgov.registry.excel.bench [rows]`` runs it on a temporary SQLite
database and prints the figures as JSON.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉志海燕文婷欣怡子涵浩宇"
BENCH_CELL = "310112999"
BENCH_USER = "bench_importer"


def _resident_id(born: datetime.date, order: int) -> str:
    from stdnum.cn import ric

    body = f"310112{born:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def people_rows(count: int, *, seed: int = 7) -> list[list[Any]]:
    """``count`` valid people (unique ID numbers, realistic names, mobiles), in template order."""
    from gridgov.registry.excel.columns import PEOPLE_COLUMNS

    rng = random.Random(seed)
    headers = [column.header for column in PEOPLE_COLUMNS]
    start = datetime.date(1935, 1, 1)
    rows = []
    for n in range(count):
        born = start + datetime.timedelta(days=n // 900)
        name = rng.choice(FAMILY) + rng.choice(GIVEN) + (rng.choice(GIVEN) if n % 3 else "")
        values = {
            "姓名": name,
            "证件类型": "居民身份证",
            "证件号码": _resident_id(born, n % 900 + 1),
            "手机号码": f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}",
            "民族": "汉族",
            "户籍地址": "上海市闵行区马桥镇" if n % 3 else "安徽省合肥市",
            "是否来沪人员": "否" if n % 3 else "是",
        }
        rows.append([values.get(header, "") for header in headers])
    return rows


def write_people_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    from gridgov.registry.excel.columns import PEOPLE_COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员信息")
    sheet.append([column.header for column in PEOPLE_COLUMNS])
    for row in people_rows(count):
        sheet.append(row)
    workbook.save(path)


def calamine_read_seconds(content: bytes) -> float:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    return time.perf_counter() - started


def _bench_actor() -> Any:
    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.grids.models import Cell, LevelKind

    cell, _created = Cell.objects.get_or_create(
        code=BENCH_CELL, defaults={"name": "导入测试区", "level": LevelKind.STREET}
    )
    user, _created = User.objects.get_or_create(username=BENCH_USER)
    Membership.objects.get_or_create(user=user, cell=cell, role=Role.COMMUNITY_STAFF)
    return user


def import_bench(*, rows: int = 120_000, workdir: Path) -> dict[str, Any]:
    from gridgov.registry.models import ImportJob
    from gridgov.registry.services.imports import (
        import_job_commit,
        import_job_create,
        import_job_run,
    )

    path = workdir / "people-bench.xlsx"
    write_people_xlsx(path, rows)
    content = path.read_bytes()
    read_seconds = calamine_read_seconds(content)
    actor = _bench_actor()
    started = time.perf_counter()
    job = import_job_create(
        actor=actor,
        kind=ImportJob.Kind.PEOPLE,
        content=content,
        original_name=path.name,
        cell_code=BENCH_CELL,
    )
    job = import_job_run(job_id=job.pk)
    checked = time.perf_counter()
    job = import_job_commit(actor=actor, job_id=job.pk)
    job = import_job_run(job_id=job.pk)
    finished = time.perf_counter()
    total = finished - started
    return {
        "rows": rows,
        "file_bytes": len(content),
        "calamine_read_seconds": round(read_seconds, 3),
        "check_seconds": round(checked - started, 3),
        "import_seconds": round(finished - checked, 3),
        "total_seconds": round(total, 3),
        "ratio_to_read": round(total / read_seconds, 1) if read_seconds else None,
        "status": job.status,
        "created": job.created_count,
        "errors": job.error_count,
        "target": "total_seconds < 90 for 120,000 rows",
    }


def main(argv: list[str]) -> None:
    rows = int(argv[1]) if len(argv) > 1 else 120_000
    with tempfile.TemporaryDirectory() as directory:
        os.environ["GRIDGOV_VAR_DIR"] = directory
        os.environ.setdefault("GRIDGOV_SQLITE_NAME", "bench.sqlite3")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.config.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        figures = import_bench(rows=rows, workdir=Path(directory))
        sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv)
