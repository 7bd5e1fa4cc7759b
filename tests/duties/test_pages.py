"""The duty list pages as staff use them: browse, propose, review with the diff, decide, compare."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.duties import services
from yiwang.duties.models import DutyList, DutyListVersion, ListKind

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text, tags stripped and whitespace folded."""
    body = re.sub(r"<(script|style|template)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def row_post(rows: list[dict], reason: str) -> dict:
    data = {"rows": str(len(rows)), "reason": reason}
    for i, row in enumerate(rows):
        data |= {f"row-{i}-{name}": value for name, value in row.items()}
    return data


def test_index_lists_what_the_user_sees_and_what_awaits_them(client, users, statutory, grid_list):
    proposal = services.propose_change(statutory, acting_user=users["street"], reason="增补防溺水职责",
                                       changes=[{"op": "add", "key": "FD-004", "title": "负责辖区防溺水"}])
    client.force_login(users["district"])
    page = text(client.get("/duties/"))
    assert "云枫街道法定职责事项清单" in page and "开州区网格任务清单" in page
    assert "待您审批" in page and "增补防溺水职责" in page
    client.force_login(users["worker_a"])
    page = text(client.get("/duties/"))
    assert "开州区网格任务清单" in page and "待您审批" not in page
    assert f'href="/duties/versions/{proposal.pk}/"' in client.get("/duties/").content.decode()
    assert "开州区网格任务清单" not in text(client.get("/duties/", {"kind": "street_statutory"}))


def test_list_page_shows_items_with_owner_basis_matters_and_roles(client, users, statutory, make_user):
    item = statutory.items.get(key="FD-002")
    deputy = make_user("deputy", "street", statutory.region)
    services.set_item_roles(item, acting_user=users["street"], primary=users["street"], backup=deputy)
    client.force_login(users["street"])
    page = text(client.get(f"/duties/{statutory.pk}/"))
    for expected in ("FD-001", "负责辖区矛盾纠纷排查调处", "平安法治办公室", "《中华人民共和国人民调解法》", "S0001 邻里纠纷",
                     "A street", "B deputy", "现行第1版", "提出调整"):
        assert expected in page, expected
    filtered = text(client.get(f"/duties/{statutory.pk}/", {"q": "消防"}))
    assert "负责辖区消防安全检查" in filtered and "负责辖区市容环境卫生" not in filtered
    by_category = text(client.get(f"/duties/{statutory.pk}/", {"category": "城市管理"}))
    assert "负责辖区市容环境卫生" in by_category and "负责辖区消防安全检查" not in by_category
    client.force_login(users["community"])
    assert "提出调整" not in text(client.get(f"/duties/{statutory.pk}/"))
    assert client.get(f"/duties/{statutory.pk}/propose/").status_code == 403


def test_propose_review_and_approve(client, users, statutory):
    client.force_login(users["street"])
    prefilled = client.get(f"/duties/{statutory.pk}/propose/", {"change": "FD-001"}).content.decode()
    assert 'value="负责辖区矛盾纠纷排查调处"' in prefilled and 'value="S0001 S0002"' in prefilled
    response = client.post(f"/duties/{statutory.pk}/propose/", row_post([
        {"op": "add", "key": "FD-004", "title": "负责辖区防溺水", "owner_unit": "应急管理办公室", "matter_types": "S0008",
         "category": "", "department": "", "legal_basis": "", "note": "", "full": ""},
        # Typed from scratch: only the filled fields change.
        {"op": "change", "key": "FD-002", "owner_unit": "应急管理办公室（消防）", "title": "", "matter_types": "", "full": ""},
        {"op": "remove", "key": "FD-003"},
        {"op": "", "key": "", "title": ""},
    ], "区编办2026年第3号通知"))
    proposal = DutyListVersion.objects.get(duty_list=statutory, number=2)
    assert response.status_code == 302 and response["Location"] == f"/duties/versions/{proposal.pk}/"
    assert proposal.revisions.get(item__key="FD-002").title == "负责辖区消防安全检查"

    own_view = text(client.get(f"/duties/versions/{proposal.pk}/"))
    assert "此调整须由上级审批" in own_view and "批准，使之生效" not in own_view

    client.force_login(users["district"])
    review = text(client.get(f"/duties/versions/{proposal.pk}/"))
    for expected in ("第1版 → 第2版 的变化", "新增 1 项 · 删除 1 项 · 修改 1 项", "负责辖区防溺水", "负责辖区市容环境卫生",
                     "应急管理办公室 → 应急管理办公室（消防）", "区编办2026年第3号通知", "批准，使之生效"):
        assert expected in review, expected
    approved = client.post(f"/duties/versions/{proposal.pk}/approve/", {"note": "同意"}, follow=True)
    page = text(approved)
    assert "已批准" in page and "第2版" in page and "负责辖区防溺水" in page and "负责辖区市容环境卫生" not in page
    assert DutyList.objects.get(pk=statutory.pk).current_version == proposal


def test_propose_errors_name_the_item_and_keep_the_rows(client, users, statutory):
    client.force_login(users["street"])
    response = client.post(f"/duties/{statutory.pk}/propose/", row_post([
        {"op": "add", "key": "FD-009", "title": "", "matter_types": "NOPE"},
        {"op": "change", "key": "FD-404", "title": "没有这个"},
    ], ""))
    assert response.status_code == 400
    page = text(response)
    assert "FD-009：事项名称不能为空" in page and "NOPE 不在事项目录中" in page and "FD-404：现行第1版中没有此事项" in page
    assert "请填写调整理由" in page
    assert 'value="FD-009"' in response.content.decode()
    assert statutory.versions.count() == 1


def test_stale_proposal_shows_why_and_cannot_be_approved(client, users, statutory):
    first = services.propose_change(statutory, acting_user=users["street"], reason="甲", changes=[{"op": "remove", "key": "FD-001"}])
    second = services.propose_change(statutory, acting_user=users["street"], reason="乙", changes=[{"op": "remove", "key": "FD-002"}])
    services.approve_version(first, acting_user=users["district"])
    client.force_login(users["district"])
    assert "现行版本已是第2版" in text(client.get(f"/duties/versions/{second.pk}/"))
    refused = text(client.post(f"/duties/versions/{second.pk}/approve/", {"note": ""}, follow=True))
    assert "不能批准：本提案基于第1版" in refused
    rejected = text(client.post(f"/duties/versions/{second.pk}/reject/", {"note": "已过时"}, follow=True))
    assert "已驳回第3版" in rejected and "已驳回" in rejected


def test_versions_and_diff_pages(client, users, statutory):
    proposal = services.propose_change(statutory, acting_user=users["street"], reason="调整",
                                       changes=[{"op": "change", "key": "FD-003", "title": "负责辖区市容环境卫生和垃圾分类"}])
    services.approve_version(proposal, acting_user=users["district"], note="同意调整")
    client.force_login(users["community"])
    history = text(client.get(f"/duties/{statutory.pk}/versions/"))
    assert "已被替代" in history and "现行" in history and "同意调整" in history and "district" in history
    diff = text(client.get(f"/duties/{statutory.pk}/diff/", {"from": 1, "to": 2}))
    assert "负责辖区市容环境卫生 → 负责辖区市容环境卫生和垃圾分类" in diff
    assert "第1版 → 第2版" in text(client.get(f"/duties/{statutory.pk}/diff/"))
    old = text(client.get(f"/duties/{statutory.pk}/", {"version": 1}))
    assert "正在查看第1版" in old and "负责辖区市容环境卫生" in old


def test_import_page_turns_a_file_into_a_proposal(client, users, statutory):
    client.force_login(users["street"])
    bad = SimpleUploadedFile("清单.csv", "编号,事项名称\nFD-001,\n".encode(), content_type="text/csv")
    response = client.post(f"/duties/{statutory.pk}/import/", {"file": bad, "reason": "按表格"})
    assert response.status_code == 400 and "事项名称不能为空" in text(response)
    good = SimpleUploadedFile("清单.csv", "编号,事项名称\nFD-001,负责辖区矛盾纠纷排查调处\nFD-005,新事项\n".encode(), content_type="text/csv")
    response = client.post(f"/duties/{statutory.pk}/import/", {"file": good, "reason": "按表格"}, follow=True)
    assert "已按文件提出调整（第2版）" in text(response)
    assert sorted(DutyListVersion.objects.get(duty_list=statutory, number=2).revisions.values_list("item__key", flat=True)) == ["FD-001", "FD-005"]


def test_community_sets_up_a_list_for_the_street_to_approve(client, users, tree):
    client.force_login(users["community"])
    upload = SimpleUploadedFile("用印.csv", "编号,事项名称,涵盖事项\nYY-01,居住证明,F0601\n".encode(), content_type="text/csv")
    response = client.post("/duties/new/", {"region": tree.community.pk, "kind": ListKind.COMMUNITY_SEAL, "name": "",
                                            "reason": "社区用印管理规定", "file": upload}, follow=True)
    assert "已设立永先社区用印清单，第1版等待上级审批" in text(response)
    created = DutyList.objects.get(region=tree.community, kind=ListKind.COMMUNITY_SEAL)
    assert created.current_version is None
    client.force_login(users["street"])
    assert "批准，使之生效" in text(client.get(f"/duties/versions/{created.versions.get().pk}/"))
    wrong = SimpleUploadedFile("x.csv", "编号,事项名称\nA,b\n".encode(), content_type="text/csv")
    client.force_login(users["community"])
    refused = client.post("/duties/new/", {"region": tree.community.pk, "kind": ListKind.STREET_STATUTORY, "reason": "x", "file": wrong})
    assert refused.status_code == 400 and "法定职责事项清单只能由街道/乡镇设立" in text(refused)


def test_pages_outside_scope_are_not_found(client, users, tree):
    neighbour = services.create_list(region=tree.other_street, kind=ListKind.STREET_STATUTORY, acting_user=None,
                                     rows=[{"key": "HF-001", "title": "汉丰街道的事项"}])
    client.force_login(users["street"])
    for url in (f"/duties/{neighbour.pk}/", f"/duties/{neighbour.pk}/versions/", f"/duties/{neighbour.pk}/diff/",
                f"/duties/{neighbour.pk}/propose/", f"/duties/versions/{neighbour.current_version_id}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/duties/versions/{neighbour.current_version_id}/approve/").status_code == 404
    assert client.get("/duties/").status_code == 200 and "汉丰街道的事项" not in text(client.get("/duties/"))
    client.logout()
    assert client.get("/duties/").status_code == 302


def test_admin_shows_history_read_only_and_sets_roles(client, users, statutory, tree):
    item = statutory.items.get(key="FD-001")
    client.force_login(users["street"])
    assert "云枫街道法定职责事项清单" in client.get("/admin/duties/dutylist/").content.decode()
    assert client.get(f"/admin/duties/dutylist/{statutory.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/duties/dutylist/{statutory.pk}/change/", {"name": "改名"}).status_code == 403
    refused = client.post(f"/admin/duties/dutyitem/{item.pk}/change/", {"primary": users["community"].pk, "backup": users["worker_a"].pk})
    assert refused.status_code == 200 and "不是 云枫街道 能办理事件的人员" in refused.content.decode()
    item.refresh_from_db()
    assert (item.primary, item.backup) == (None, None)
    response = client.post(f"/admin/duties/dutyitem/{item.pk}/change/", {"primary": users["street"].pk, "backup": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.primary, item.backup) == (users["street"], None)
    # A community sees neither the street's list nor its items in the admin.
    client.force_login(users["community"])
    assert client.get(f"/admin/duties/dutyitem/{item.pk}/change/").status_code in (302, 403, 404)
