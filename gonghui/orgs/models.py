# mypy: disable-error-code="var-annotated"
"""The union organisation tree and the enterprises that enterprise unions belong to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeQuerySet

from gonghui.core.scoping import ScopedQuerySet, scoped_manager, subtree_q
from gonghui.orgs.industries import Industry


class OrgUnitQuerySet(MP_NodeQuerySet, ScopedQuerySet):  # type: ignore[misc]
    """Nodes are scoped by their own path: a grant on a node shows the node and its subtree."""

    scope_org_path = "path"


class OrgUnitManager(models.Manager):  # type: ignore[type-arg]
    def get_queryset(self) -> OrgUnitQuerySet:
        return OrgUnitQuerySet(self.model, using=self._db).order_by("path")

    def visible_to(self, user, action: str = "view"):  # type: ignore[no-untyped-def]
        return self.get_queryset().visible_to(user, action)


class OrgUnit(MP_Node):  # type: ignore[misc]
    """A union at one level of the tree (全总→省→市→区县→镇街→社区/园区/网格→企业工会).

    A role granted here reaches every descendant: the materialised ``path`` makes "this node
    or below" a prefix match, so scoping is one indexed ``LIKE 'path%'``.
    """

    class Level(models.TextChoices):
        NATIONAL = "national", _("全国总工会")
        PROVINCE = "province", _("省总工会")
        CITY = "city", _("市总工会")
        DISTRICT = "district", _("区县总工会")
        STREET = "street", _("镇街总工会")
        COMMUNITY = "community", _("社区/园区/网格工会联合会")
        ENTERPRISE = "enterprise", _("企业工会")

    name = models.CharField(_("名称"), max_length=120)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    division_code = models.CharField(
        _("行政区划代码"), max_length=12, blank=True, help_text=_("GB/T 2260，6/9/12 位")
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    steplen = 4
    objects = OrgUnitManager()

    class Meta:
        verbose_name = _("工会组织")
        verbose_name_plural = _("工会组织")
        indexes = [models.Index(fields=["level"]), models.Index(fields=["division_code"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("orgs:unit_detail", args=[self.pk])

    def subtree_q(self, lookup: str = "path") -> models.Q:
        return subtree_q(lookup, [self.path])


class Enterprise(models.Model):
    """An employer; its enterprise union is a leaf of the tree (``union``)."""

    class Size(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    name = models.CharField(_("企业名称"), max_length=160)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices)
    size = models.CharField(_("规模"), max_length=8, choices=Size.choices)
    employee_count = models.PositiveIntegerField(_("职工人数"), default=0)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    union = models.OneToOneField(
        OrgUnit,
        verbose_name=_("企业工会"),
        on_delete=models.PROTECT,
        related_name="enterprise",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="union__path")

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
