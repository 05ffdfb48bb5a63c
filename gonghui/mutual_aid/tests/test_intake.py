"""Intake of settlement files: atomic, idempotent, consent-checked, row-level errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gonghui.conftest import World
from gonghui.members.models import Member
from gonghui.mutual_aid.engine.io import SETTLEMENT_HEADER
from gonghui.mutual_aid.intake import IntakeRejected, settlements_import
from gonghui.mutual_aid.models import IntakeBatch, Plan, Settlement

HEADER = list(SETTLEMENT_HEADER)


def row(setl_id: str, certno: str, **over: str) -> list[str]:
    values = dict(
        zip(
            HEADER,
            [
                setl_id,
                certno,
                "某某",
                "21",
                "3",
                "区人民医院",
                "2026-03-01",
                "2026-03-05",
                "9000.00",
                "5000.00",
                "0",
                "0",
                "0",
                "0",
                "J18.9",
                "肺炎",
                "",
                "0",
                "",
                "1",
            ],
            strict=True,
        )
    )
    values.update(over)
    return [values[h] for h in HEADER]


def write(tmp_path: Path, rows: list[list[str]], encoding: str = "utf-8", name: str = "s.csv") -> str:
    path = tmp_path / name
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return str(path)


def certno(member: Member) -> str:
    return Member.objects.get(pk=member.pk).id_number


def test_import_is_idempotent_and_skips_non_consenting(
    world: World, plan: Plan, enrolled: list[Member], tmp_path: Path
) -> None:
    admin = world.users["district_admin"]
    outsider = world.members_b[1]  # no consent
    path = write(
        tmp_path,
        [row("A1", certno(enrolled[0])), row("A2", certno(enrolled[1])), row("X1", certno(outsider))],
        encoding="gb18030",
    )
    result = settlements_import(actor=admin, org_unit=world.district, path=path, filename="s.csv")
    batch = result.batch
    assert (batch.rows_total, batch.rows_created, batch.rows_no_consent) == (3, 2, 1)
    assert set(Settlement.objects.values_list("setl_id", flat=True)) == {"A1", "A2"}
    assert sorted(result.member_ids) == sorted([enrolled[0].pk, enrolled[1].pk])
    again = settlements_import(actor=admin, org_unit=world.district, path=path, filename="s.csv")
    assert (again.batch.rows_created, again.batch.rows_duplicate) == (0, 2)
    assert Settlement.objects.count() == 2


def test_bad_rows_leave_database_unchanged(
    world: World, plan: Plan, enrolled: list[Member], tmp_path: Path
) -> None:
    good = certno(enrolled[0])
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    path = write(
        tmp_path,
        [
            row("B1", good),
            row("B2", bad_check),
            row("B3", good, medfee_sumamt="-5"),
            row("B4", good, fund_pay_sumamt="abc"),
            row("B5", good, refd_setl_flag="1", orig_setl_id="NOPE"),
            row("B1", good),
        ],
    )
    with pytest.raises(IntakeRejected) as exc:
        settlements_import(
            actor=world.users["district_admin"], org_unit=world.district, path=path, filename="s.csv"
        )
    found = {(e.row, e.column) for e in exc.value.errors}
    assert {
        (3, "certno"),
        (4, "medfee_sumamt"),
        (5, "fund_pay_sumamt"),
        (6, "orig_setl_id"),
        (7, "setl_id"),
    } <= found
    assert not Settlement.objects.exists()
    assert IntakeBatch.objects.get().status == "failed"


def test_skip_invalid_imports_valid_rows_and_writes_rejects(
    world: World, plan: Plan, enrolled: list[Member], tmp_path: Path
) -> None:
    good = certno(enrolled[0])
    path = write(tmp_path, [row("C1", good), row("C2", good, enddate="2026-02-01"), row("C3", good)])
    result = settlements_import(
        actor=world.users["district_admin"],
        org_unit=world.district,
        path=path,
        filename="s.csv",
        skip_invalid=True,
    )
    assert set(Settlement.objects.values_list("setl_id", flat=True)) == {"C1", "C3"}
    assert result.rejected_path is not None
    with open(result.rejected_path, encoding="utf-8-sig") as fh:
        rejected = list(csv.reader(fh))
    assert rejected[1][0] == "3" and rejected[1][1] == "C2" and "enddate" in rejected[1][-1]


def test_missing_columns_rejected_whole(world: World, plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("setl_id,certno\nX,1\n", encoding="utf-8")
    with pytest.raises(IntakeRejected) as exc:
        settlements_import(
            actor=world.users["district_admin"], org_unit=world.district, path=str(path), filename="m.csv"
        )
    assert any("med_type" in e.message and e.row == 1 for e in exc.value.errors)


def test_reversal_of_stored_settlement_is_accepted(
    world: World, plan: Plan, enrolled: list[Member], tmp_path: Path
) -> None:
    good = certno(enrolled[0])
    admin = world.users["district_admin"]
    settlements_import(
        actor=admin,
        org_unit=world.district,
        path=write(tmp_path, [row("D1", good)], name="1.csv"),
        filename="1",
    )
    second = write(tmp_path, [row("D1R", good, refd_setl_flag="1", orig_setl_id="D1")], name="2.csv")
    result = settlements_import(actor=admin, org_unit=world.district, path=second, filename="2")
    assert result.batch.rows_created == 1


def test_street_admin_cannot_import_for_district(world: World, plan: Plan, tmp_path: Path) -> None:
    from gonghui.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        settlements_import(
            actor=world.users["street_a_admin"],
            org_unit=world.district,
            path=write(tmp_path, []),
            filename="s.csv",
        )


def test_an_upload_with_skip_invalid_offers_its_rejected_rows_to_the_batch_staff(
    world: World,
    plan: Plan,
    enrolled: list[Member],
    tmp_path: Path,
    client,
    django_capture_on_commit_callbacks,
) -> None:
    """Through the page and the job: the valid rows go in, the rejected ones become a CSV on the
    batch that the district's staff download (audited) and nobody else sees."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gonghui.audit.models import AuditEntry

    good = certno(enrolled[0])
    path = write(tmp_path, [row("W1", good), row("W2", good, medfee_sumamt="-5"), row("W3", good)])
    client.force_login(world.users["district_admin"])
    upload = SimpleUploadedFile("settlements.csv", Path(path).read_bytes(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mutual-aid/intake/", {"file": upload, "skip_invalid": "on"})
    assert response.status_code == 200
    batch = IntakeBatch.objects.get()
    assert set(Settlement.objects.values_list("setl_id", flat=True)) == {"W1", "W3"}
    assert batch.rows_rejected == 1 and batch.rejected_file

    page = client.get(f"/mutual-aid/intake/{batch.pk}/")
    assert f"/mutual-aid/intake/{batch.pk}/rejected.csv" in page.content.decode()
    download = client.get(f"/mutual-aid/intake/{batch.pk}/rejected.csv")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(b"".join(download.streaming_content).decode("utf-8-sig").splitlines()))
    assert [r[1] for r in rows[1:]] == ["W2"] and "medfee_sumamt" in rows[1][-1]
    assert AuditEntry.objects.filter(action="mutual_aid.intake.rejected_download").count() == 1

    for outsider in ("street_b_admin", "worker_a", "district_viewer"):
        client.force_login(world.users[outsider])
        assert client.get(f"/mutual-aid/intake/{batch.pk}/rejected.csv").status_code == 404, outsider
    assert AuditEntry.objects.filter(action="mutual_aid.intake.rejected_download").count() == 1
