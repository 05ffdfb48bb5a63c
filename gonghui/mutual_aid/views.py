"""Pages of the mutual-aid module: thin — selectors to read, services to write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, NotFound
from gonghui.core.http import XLSX_CONTENT_TYPE, AuthedRequest, download_response
from gonghui.core.jobs import job_start, store_upload
from gonghui.core.listing import Column, render_list
from gonghui.core.tabular import TableError, build_xlsx
from gonghui.members.selectors import member_for_user
from gonghui.mutual_aid import claims as claim_services
from gonghui.mutual_aid import payouts, plans, selectors
from gonghui.mutual_aid.exports import statistics_workbook
from gonghui.mutual_aid.filters import EnrolmentFilter
from gonghui.mutual_aid.forms import (
    MAX_FORM_MEMBERS,
    ApplyForm,
    DocumentForm,
    EnrolmentGroupForm,
    EnrolmentImportForm,
    EnrolmentPickForm,
    IntakeForm,
    PolicyForm,
    RejectForm,
    ReturnFileForm,
)
from gonghui.mutual_aid.models import Claim, ClaimLine, Consent, PayoutBatch
from gonghui.orgs.models import OrgUnit

# Archive events (ClaimEvent.kind) as staff read them.
EVENT_LABELS = {
    "screened": "智能筛查",
    "notified": "短信提醒",
    "link_opened": "打开申报链接",
    "applied": "提交申报",
    "document": "上传材料",
    "auto_approved": "自动核准",
    "approved": "人工核准",
    "rejected": "驳回",
    "payout": "纳入打款",
    "paid": "已到账",
    "payout_failed": "打款失败",
    "anomaly": "金额异常",
    "recalculated": "重新计算",
}


def _labelled(claim: Claim, lines: list[ClaimLine]) -> list[ClaimLine]:
    """Give the claim's lines names people read (the policy version's item and benefit names,
    the critical-illness category's Chinese name) next to their codes."""
    from gonghui.mutual_aid.assessment.service import default_catalogue

    items = {i.code: i for i in plans.policy_of(claim.plan_version).items}
    categories = {c.code: c.name_zh for c in default_catalogue().categories}
    for line in lines:
        item = items.get(line.item)
        benefit = next((b for b in item.benefits if b.code == line.benefit), None) if item else None
        line.item_name = item.name if item else line.item  # type: ignore[attr-defined]
        # A benefit without a ``name`` in the policy file: the spec code's label, else its kind.
        line.benefit_name = (  # type: ignore[attr-defined]
            (benefit.name if benefit else "")
            or selectors.BENEFIT_LABELS.get(line.benefit)
            or selectors.BENEFIT_KIND_LABELS.get(line.kind, line.benefit)
        )
        line.category_name = categories.get(line.category, line.category)  # type: ignore[attr-defined]
    return lines


def _staff(request: AuthedRequest) -> None:
    if not is_staff_somewhere(request.user):
        raise Http404


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Workers: consent and their claims (phone page). Staff: the statistics dashboard."""
    if not is_staff_somewhere(request.user):
        member = member_for_user(user=request.user)
        if member is None:
            return render(request, "members/me_unbound.html", {"title": "医疗互助"})
        return render(
            request,
            "mutual_aid/worker_home.html",
            {
                "title": "医疗互助",
                "member": member,
                "consents": selectors.member_consents(member=member),
                "sources": Consent.Source.choices,
                "claims": selectors.member_claims(user=request.user),
            },
        )
    plan_list = list(selectors.plan_list(user=request.user))
    plan = next(
        (p for p in plan_list if str(p.pk) == request.GET.get("plan")), plan_list[0] if plan_list else None
    )
    stats = selectors.statistics(user=request.user, plan=plan) if plan else None
    if plan and stats and request.GET.get("export") == "xlsx":
        return download_response(
            statistics_workbook(plan=plan, stats=stats),
            f"mutual-aid-statistics-{plan.year}-{timezone.localdate():%Y%m%d}.xlsx",
        )
    return render(
        request,
        "mutual_aid/dashboard.html",
        {
            "title": "医疗互助",
            "plans": plan_list,
            "plan": plan,
            "stats": stats,
            "queue_count": selectors.review_queue(user=request.user).count(),
            "can_enrol": selectors.enrolment_plan_list(user=request.user).exists(),
        },
    )


@login_required
@require_POST
def consent_change(request: AuthedRequest) -> HttpResponse:
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    source = request.POST.get("source", "")
    try:
        if request.POST.get("grant"):
            plans.consent_grant(member=member, source=source, actor=request.user)
            messages.success(request, "已授权，可随时撤回")
        else:
            plans.consent_revoke(member=member, source=source, actor=request.user)
            messages.info(request, "已撤回授权，工会将不再读取该来源的数据")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("mutual_aid:home")


def open_link(request: HttpRequest, signed: str) -> HttpResponse:
    """The SMS link: signs the member in once and opens the pre-filled application."""
    try:
        claim, user = claim_services.claim_open_link(signed=signed)
    except DomainError as exc:
        return render(
            request, "mutual_aid/link_invalid.html", {"title": "链接无效", "message": exc.message}, status=410
        )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("mutual_aid:claim_detail", claim.pk)


@login_required
def claim_detail(request: AuthedRequest, claim_id: int) -> HttpResponse:
    claim = selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    own = claim.member.user_id == request.user.pk
    if own and not is_staff_somewhere(request.user):
        return _worker_claim(request, claim)
    level_unit = claim_services.review_level_unit(claim, claim.approvals_done + 1)
    archive = selectors.claim_archive(claim=claim)
    _labelled(claim, archive["lines"])
    for event in archive["events"]:
        event.label = EVENT_LABELS.get(event.kind, event.kind)  # type: ignore[attr-defined]
    return render(
        request,
        "mutual_aid/claim_detail.html",
        {
            "title": f"申报 #{claim.pk}",
            "claim": claim,
            **archive,
            "can_review": claim.status in {"in_review", "needs_documents"}
            and can(request.user, "review", level_unit),
            "reject_form": RejectForm(),
        },
    )


def _worker_claim(request: AuthedRequest, claim: Claim) -> HttpResponse:
    form = ApplyForm(request.POST or None) if claim.status == Claim.Status.CANDIDATE else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            claim_services.claim_apply(
                actor=request.user,
                claim=claim,
                bank_card=form.cleaned_data["bank_card"],
                bank_name=form.cleaned_data["bank_name"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("mutual_aid:claim_detail", claim.pk)
    return render(
        request,
        "mutual_aid/worker_claim.html",
        {
            "title": "一键申报",
            "claim": claim,
            "form": form,
            "lines": _labelled(
                claim, list(claim.lines.filter(superseded_at__isnull=True).select_related("settlement"))
            ),
            "missing": claim_services.required_documents(claim),
            "documents": list(claim.documents.all()),
            "document_form": DocumentForm(),
        },
    )


@login_required
@require_POST
def claim_document(request: AuthedRequest, claim_id: int) -> HttpResponse:
    claim = selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            claim_services.claim_upload_document(
                actor=request.user,
                claim=claim,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
            messages.success(request, "材料已上传")
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "请选择要上传的文件")
    return redirect("mutual_aid:claim_detail", claim.pk)


@login_required
def document_download(request: AuthedRequest, document_id: int) -> HttpResponse | FileResponse:
    """Serve an uploaded document only to those who may see its claim (never from /media/)."""
    from gonghui.mutual_aid.models import ClaimDocument

    document = ClaimDocument.objects.filter(pk=document_id).select_related("claim").first()
    if document is None:
        raise Http404
    selectors.claim_get_for_user(user=request.user, claim_id=document.claim_id)
    return FileResponse(document.file.open("rb"), filename=document.file.name.rsplit("/", 1)[-1])


@login_required
@require_POST
def claim_decide(request: AuthedRequest, claim_id: int, decision: str) -> HttpResponse:
    try:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
        if decision == "approve":
            claim_services.claim_approve(actor=request.user, claim=claim, note=request.POST.get("note", ""))
            messages.success(request, "已核准")
        elif decision == "reject":
            claim_services.claim_reject(
                actor=request.user, claim=claim, reason=request.POST.get("reason", "")
            )
            messages.info(request, "已驳回，原因已告知职工")
        else:
            raise Http404
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("mutual_aid:claim_detail", claim_id)


CLAIM_COLUMNS = [
    Column("申报", lambda c: f"#{c.pk}"),
    Column("职工", "member.name", sort="member__name"),
    Column("工会", "org_unit.name"),
    Column("金额", "amount", sort="amount"),
    Column("状态", "status", sort="status"),
    Column("需人工审核", lambda c: "是" if c.needs_review else "否"),
    Column("生成时间", "created_at", sort="created_at"),
    Column("到账时间", "paid_at", sort="paid_at"),
]


@login_required
def claim_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    queryset = selectors.claim_list(user=request.user)
    if request.GET.get("status") in Claim.Status.values:
        queryset = queryset.filter(status=request.GET["status"])
    return render_list(
        request,
        queryset=queryset,
        columns=CLAIM_COLUMNS,
        title="互助申报",
        export_name="mutual-aid-claims",
        default_sort="-created_at",
        extra={"statuses": Claim.Status.choices},
        template="mutual_aid/claim_list.html",
    )


@login_required
def review_queue(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=selectors.review_queue(user=request.user),
        columns=CLAIM_COLUMNS,
        title="待审核",
        default_sort="created_at",
    )


@login_required
def intake(request: AuthedRequest) -> HttpResponse:
    """Upload settlements; intake + screening run as a job with a progress bar."""
    _staff(request)
    units = OrgUnit.objects.visible_to(request.user, "manage").order_by("depth")
    form = IntakeForm(request.POST or None, request.FILES or None)
    job = None
    if request.method == "POST" and form.is_valid() and units.exists():
        upload = form.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not (name.endswith(".csv") or name.endswith(".xlsx")):
            form.add_error("file", "仅支持 .csv 或 .xlsx 文件")
        elif upload.size > 200 * 1024 * 1024:
            form.add_error("file", "文件超过 200 MB，请使用命令行导入")
        else:
            unit = units.first()
            path = store_upload(upload.read(), ".xlsx" if name.endswith(".xlsx") else ".csv")
            job = job_start(
                actor=request.user,
                kind="mutual_aid.intake",
                title=f"医保数据导入：{upload.name}",
                org_unit=unit,
                params={
                    "path": path,
                    "filename": upload.name,
                    "org_unit_id": unit.pk,
                    "skip_invalid": form.cleaned_data["skip_invalid"],
                    "base_url": request.build_absolute_uri("/").rstrip("/"),
                },
            )
    batches = selectors.intake_list(user=request.user)[:20]
    return render(
        request,
        "mutual_aid/intake.html",
        {"title": "医保数据导入", "form": form, "job": job, "batches": batches},
    )


@login_required
def intake_detail(request: AuthedRequest, batch_id: int) -> HttpResponse:
    batch = selectors.intake_list(user=request.user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return render(
        request, "mutual_aid/intake_detail.html", {"title": f"导入批次 #{batch.pk}", "batch": batch}
    )


@login_required
def intake_rejected(request: AuthedRequest, batch_id: int) -> FileResponse:
    """The rejected rows of a batch (医保 data: staff who manage its union, audited)."""
    _staff(request)
    batch = selectors.intake_list(user=request.user).filter(pk=batch_id).first()
    if batch is None or not batch.rejected_file or not can(request.user, "manage", batch.org_unit):
        raise Http404
    audit_record(
        actor=request.user,
        action="mutual_aid.intake.rejected_download",
        target=batch,
        org_unit=batch.org_unit,
        after={"rows_rejected": batch.rows_rejected},
    )
    return FileResponse(
        batch.rejected_file.open("rb"),
        as_attachment=True,
        filename=f"batch-{batch.pk}-rejected.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
def plan_detail(request: AuthedRequest, plan_id: int) -> HttpResponse:
    _staff(request)
    plan = selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    editable = can(request.user, "manage", plan.org_unit)
    form = PolicyForm(
        request.POST or None,
        initial={"policy_yaml": plan.current_version.policy_yaml if plan.current_version else ""},
    )
    if request.method == "POST" and editable and form.is_valid():
        try:
            plans.plan_version_create(
                actor=request.user,
                plan=plan,
                policy_yaml=form.cleaned_data["policy_yaml"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            form.add_error("policy_yaml", exc.message)
        else:
            messages.success(request, "已保存为新版本")
            return redirect("mutual_aid:plan_detail", plan.pk)
    return render(
        request,
        "mutual_aid/plan_detail.html",
        {
            "title": str(plan),
            "plan": plan,
            "form": form,
            "editable": editable,
            "versions": plan.versions.select_related("created_by"),
        },
    )


@login_required
def payout_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    units = OrgUnit.objects.visible_to(request.user, "manage").order_by("depth")
    if request.method == "POST" and units.exists():
        try:
            batch = payouts.payout_batch_create(actor=request.user, org_unit=units.first())
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if batch is None:
                messages.info(request, "没有待打款的申报")
            else:
                messages.success(
                    request,
                    f"已生成打款批次 {batch.reference}：{batch.line_count} 笔，{batch.total_amount} 元",
                )
        return redirect("mutual_aid:payout_list")
    return render(
        request,
        "mutual_aid/payouts.html",
        {
            "title": "打款批次",
            "batches": selectors.payout_batch_list(user=request.user)[:50],
            "approved_count": selectors.claim_list(user=request.user, action="manage")
            .filter(status="approved")
            .count(),
            "return_form": ReturnFileForm(),
        },
    )


def _batch(request: AuthedRequest, batch_id: int) -> PayoutBatch:
    batch = PayoutBatch.objects.visible_to(request.user, "manage").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


@login_required
def payout_file(request: AuthedRequest, batch_id: int, fmt: str) -> HttpResponse:
    batch = _batch(request, batch_id)
    if fmt not in {"xlsx", "csv"}:
        raise Http404
    audit_record(actor=request.user, action="mutual_aid.payout_file", target=batch, org_unit=batch.org_unit)
    content_type = XLSX_CONTENT_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    return download_response(payouts.payout_file(batch, fmt), f"{batch.reference}.{fmt}", content_type)


@login_required
@require_POST
def payout_return(request: AuthedRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    form = ReturnFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = payouts.payout_return_import(
                actor=request.user, batch=batch, data=upload.read(), filename=upload.name or ""
            )
        except TableError as exc:
            for error in exc.errors[:20]:
                messages.error(request, str(error))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"回盘完成：成功 {report.paid} 笔，失败 {report.failed} 笔，已处理过 {report.unchanged} 笔",
            )
    return redirect("mutual_aid:payout_list")


def _enrolment_columns(item_names: dict[str, str]) -> list[Column]:
    return [
        Column("年度", "plan.year", sort="plan__year"),
        Column("姓名", "member.name", sort="member__name"),
        Column("身份证号", "member.id_number_masked"),
        Column("工作单位", "member.employer.name"),
        Column("参保工会", "org_unit.name", sort="org_unit__path"),
        Column("互助项目", lambda e: item_names.get(e.item, e.item), sort="item"),
        Column("保障开始日期", "start_date", sort="start_date"),
        Column("续保", lambda e: "续保" if e.renewal else "首次参保", sort="renewal"),
        Column("互助金（元）", "fee", sort="fee"),
        Column("登记时间", "created_at", sort="created_at"),
    ]


@login_required
def enrolment_list(request: AuthedRequest) -> HttpResponse:
    """Enrolments in the user's subtrees, with fees and members per enterprise (filtered)."""
    _staff(request)
    enrolments = selectors.enrolment_list(user=request.user)
    filterset = EnrolmentFilter(request.GET or None, queryset=enrolments, request=request)
    filtered = filterset.qs if filterset.is_bound and filterset.is_valid() else enrolments
    summary = selectors.enrolment_summary(enrolments=filtered)
    response = render_list(
        request,
        queryset=enrolments,
        columns=_enrolment_columns(dict(filterset.items)),
        title="参保记录",
        filterset_class=EnrolmentFilter,
        export_name="mutual-aid-enrolments",
        default_sort="org_unit__path",
        extra={"summary": summary},
        template="mutual_aid/enrolment_list.html",
    )
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and request.GET.get("export") != "xlsx":
        # The filters swap only the table; the per-enterprise summary follows out of band.
        response.content += render_to_string(
            "mutual_aid/_enrolment_summary.html", {"summary": summary, "oob": True}, request
        ).encode()
    return response


@login_required
def enrolment_import(request: AuthedRequest) -> HttpResponse:
    """Group enrolment (集体参保) by upload; the result lists created, unchanged and rejected rows."""
    plan_choices = selectors.enrolment_plan_list(user=request.user)
    if not plan_choices.exists():
        raise Http404
    form = EnrolmentImportForm(request.POST or None, request.FILES or None, plans=plan_choices)
    report = None
    table_error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = plans.enrolments_import(
                actor=request.user,
                plan=form.cleaned_data["plan"],
                data=upload.read(),
                filename=upload.name or "",
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except TableError as exc:
            table_error = exc
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(
        request,
        "mutual_aid/enrolment_import.html",
        {
            "title": "集体参保导入",
            "form": form,
            "report": report,
            "table_error": table_error,
            "plans": [
                (plan, plans.policy_of(plan.current_version).items)
                for plan in plan_choices
                if plan.current_version is not None
            ],
        },
    )


# Service error fields that the enrolment form names differently.
_ENROLMENT_FORM_FIELDS = {"item": "items", "member": "members"}


@login_required
def enrolment_form(request: AuthedRequest) -> HttpResponse:
    """Group enrolment (集体参保) by form: pick the plan and items, tick members, one service call."""
    _staff(request)
    plan_choices = selectors.enrolment_plan_list(user=request.user).filter(current_version__isnull=False)
    if not plan_choices.exists():
        raise Http404
    form = EnrolmentGroupForm(request.POST or None, user=request.user, plans=plan_choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = plans.enrolment_create_group(
                actor=request.user,
                plan=data["plan"],
                members=data["members"],
                items=data["items"],
                start_date=data["start_date"],
                outside_window=data["outside_window"],
            )
        except DomainError as exc:
            name = _ENROLMENT_FORM_FIELDS.get(exc.field or "", exc.field)
            form.add_error(name if name in form.fields else None, exc.message)
        else:
            fees = sum((e.fee for e in created), Decimal("0"))
            messages.success(
                request,
                f"已为 {len(data['members'])} 名会员办理参保，共 {len(created)} 项，互助金合计 {fees:.2f} 元",
            )
            return redirect("mutual_aid:enrolment_list")
    # After a refused POST the list follows what was posted.
    pick = form if request.method == "POST" else EnrolmentPickForm.from_query(request.GET, plans=plan_choices)
    return render(request, "mutual_aid/enrolment_form.html", _enrolment_form_context(request, form, pick))


def _enrolment_form_context(
    request: AuthedRequest, form: EnrolmentGroupForm, pick: EnrolmentPickForm
) -> dict[str, Any]:
    pick.is_valid()
    plan = pick.cleaned_data.get("plan") or pick.fields["plan"].queryset.first()  # type: ignore[attr-defined]
    chosen = pick.cleaned_data.get("items")
    policy_items = plans.policy_of(plan.current_version).items
    window_open = plans.enrolment_window_open(plan=plan)
    return {
        "title": "集体参保（表单）",
        "form": form,
        "pick": pick,
        "plan": plan,
        "policy_items": policy_items,
        "chosen": [i for i in policy_items if chosen and i.code in chosen],
        "fee_per_member": sum((i.fee for i in policy_items if chosen and i.code in chosen), Decimal("0")),
        "page": selectors.enrolment_candidate_page(
            user=request.user,
            plan=plan,
            items=chosen,
            q=pick.cleaned_data.get("q", ""),
            limit=MAX_FORM_MEMBERS,
        )
        if chosen
        else None,
        "ticked": {str(v) for v in request.POST.getlist("members")},
        "window_open": window_open,
        "can_enrol_late": not window_open and can(request.user, "manage", plan.org_unit),
        "limit": MAX_FORM_MEMBERS,
    }


@login_required
def enrolment_import_template(request: AuthedRequest) -> HttpResponse:
    """The upload template: Chinese headers and one example row (item names of the latest plan)."""
    _staff(request)
    plan = selectors.enrolment_plan_list(user=request.user).first()
    items = plans.policy_of(plan.current_version).items if plan and plan.current_version else ()
    example = [
        "330109199001011239",
        "、".join(i.name for i in items if i.sex is None) or "selfpay、critical",
        f"{plan.year if plan else timezone.localdate().year + 1}-01-01",
    ]
    content = build_xlsx(list(plans.ENROLMENT_IMPORT_COLUMNS), [example], sheet_title="参保名单")
    return download_response(content, "enrolment-template.xlsx")
