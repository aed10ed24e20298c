"""系统设置's sign-off part: HR sets the confirmation deadline, what happens after it and the company name
printed on the PDF; each through core, audited; IT admins don't see it (HR's part of sign-off)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import settings
from core.auth import User
from core.db import open_database
from core.errors import CycleError
from core.permissions import Forbidden
from tests.apptest import StartApp, all_text, open_page

SETTINGS = "pages/settings.py"


def test_hr_sets_the_deadline_rule_and_company_name_on_the_settings_page(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="hr"), SETTINGS)
    assert "结果确认与签章 PDF" in all_text(at)
    at.number_input(key="settings.deadline_days").set_value(10)
    at.radio(key="settings.deadline_rule.zh-CN").set_value("视为已确认（PDF 上注明）")
    at.button(key="FormSubmitter:settings.signoff_form-保存确认期限").click().run()
    assert "已保存：校准完成后 10 天内确认；期限过后视为已确认（PDF 上注明）。" in all_text(at)
    at.text_input(key="settings.company_name").input("示例装备有限公司")
    at.button(key="FormSubmitter:settings.company_form-保存公司名称").click().run()
    assert "公司名称已保存为「示例装备有限公司」。" in all_text(at)
    with open_database(company_db) as db:
        assert settings.signoff_deadline(db) == (10, "deemed")
        assert settings.company_name(db) == "示例装备有限公司"
        detail = json.loads(db.scalar("SELECT detail FROM audit_log WHERE action = 'company_name_update'"))
        assert detail["after"] == "示例装备有限公司" and detail["before"] == settings.DEFAULT_COMPANY_NAME


def test_an_it_admin_does_not_see_the_sign_off_settings(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="admin"), SETTINGS)
    assert "结果确认与签章 PDF" not in all_text(at)


def test_the_company_name_is_required_capped_and_hr_only(company_db: Path) -> None:
    hr, admin = User("hr", frozenset({"hr"})), User("admin", frozenset({"admin"}))
    with open_database(company_db) as db:
        with pytest.raises(CycleError) as empty:
            settings.set_company_name(db, hr, "  ")
        assert "公司名称" in empty.value.render("zh-CN")
        with pytest.raises(CycleError):
            settings.set_company_name(db, hr, "厂" * (settings.MAX_COMPANY_NAME + 1))
        with pytest.raises(Forbidden):
            settings.set_company_name(db, admin, "别的公司")
        assert settings.company_name(db) == settings.DEFAULT_COMPANY_NAME
