"""Console roles and the permissions each one holds (STYLE.md section 1).

A permission is ``area.verb``. Every console route declares the one it needs
(``Depends(require("stock.set"))``); the menu hides what a person may not open, but the
route is the gate. Site staff hold their permissions at their own sites only: a page or an
action about another site answers 403 (``Account.may_see_site``).
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
SITE_STAFF = "site_staff"
READ_ONLY = "read_only"
ROLES = (ADMIN, SITE_STAFF, READ_ONLY)
# What people call them (the CLI takes either the code or these words).
ROLE_NAMES = {ADMIN: "管理员", SITE_STAFF: "站点工作人员", READ_ONLY: "只读"}

PERMISSIONS: dict[str, str] = {
    "today.view": "今日：谁在签到、谁来过",
    "kiosks.view": "自助机：运行状况",
    "kiosks.manage": "自助机：登记新自助机、停用自助机",
    "volunteers.view": "志愿者：查找、查看",
    "volunteers.edit": "志愿者：编辑、停用、补卡、导入名册",
    "activities.view": "活动：查看",
    "activities.edit": "活动：新建、编辑、取消、导入",
    "catalog.view": "奖品与库存：查看",
    "catalog.edit": "奖品：新建、编辑、照片",
    "stock.set": "库存：盘点",
    "exceptions.view": "异常：查看",
    "exceptions.resolve": "异常：处理",
    "attendance.correct": "考勤更正",
    "reports.view": "报表：查看、下载",
    "audit.view": "审计日志",
    "accounts.manage": "工作人员账户、PIN 和工作人员卡",
    "certificates.issue": "志愿服务证明：出具",
    "settings.edit": "设置：出具组织、核验网址、星级门槛",
}

_SITE_WORK = {
    "today.view",
    "kiosks.view",
    "volunteers.view",
    "activities.view",
    "catalog.view",
    "stock.set",
    "exceptions.view",
    "exceptions.resolve",
    "attendance.correct",
    "certificates.issue",
    "reports.view",
}

GRANTS: dict[str, frozenset[str]] = {
    ADMIN: frozenset(PERMISSIONS),
    SITE_STAFF: frozenset(_SITE_WORK),
    READ_ONLY: frozenset({"reports.view"}),
}


def role_code(text: str) -> str:
    """A role as typed on the command line: the code or the Chinese name."""
    text = text.strip()
    for code, name in ROLE_NAMES.items():
        if text in (code, name):
            return code
    raise ValueError(
        f"角色须为 {' / '.join(ROLE_NAMES.values())} / role must be one of {', '.join(ROLES)}"
    )


@dataclass(frozen=True)
class Account:
    account_id: int
    name: str
    display_name: str
    role: str
    sites: frozenset[str]  # empty: every site (admin, read-only); site staff: theirs
    active: bool = True
    staff_id: str | None = None  # their staff card, if they have one

    @property
    def permissions(self) -> frozenset[str]:
        return GRANTS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def all_sites(self) -> bool:
        return self.role != SITE_STAFF

    def may_see_site(self, site_id: str | None) -> bool:
        return self.all_sites or (site_id is not None and site_id in self.sites)

    def visible_sites(self, every_site: list[str]) -> list[str]:
        return list(every_site) if self.all_sites else [s for s in every_site if s in self.sites]

    @property
    def actor(self) -> str:
        """How the audit journal names this person."""
        return f"account:{self.name}"
