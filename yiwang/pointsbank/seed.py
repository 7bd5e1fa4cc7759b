"""The seeded banks, their dimensions and rules (the moral points bank as the seeds practise it:
修身、润家、睦邻、怡城, seed 001). Used by the data migration and again after a test flush;
idempotent: only what is missing is created, staff edits are kept."""

from __future__ import annotations

# code, name, description, [(dimension code, name, description, [(rule code, title, points, evidence required)])]
BANKS = [
    ("moral", "道德积分银行", "从修身、润家、睦邻、怡城四个方面量化积分，积分可兑换奖品，社区定期发布道德红黑榜。", [
        ("xiushen", "修身", "个人品德、学习和文明习惯", [
            ("xs_lecture", "参加道德讲堂、文明实践学习", 2, False),
            ("xs_honest", "拾金不昧", 10, True),
            ("xs_brave", "见义勇为", 30, True),
            ("xs_blood", "无偿献血", 10, True),
        ]),
        ("runjia", "润家", "家庭美德、孝老爱亲和良好家风", [
            ("rj_filial", "孝老爱亲事迹经社区核实", 5, True),
            ("rj_family_award", "获评文明家庭、最美家庭", 20, True),
            ("rj_courtyard", "美丽庭院、楼道整洁", 3, True),
        ]),
        ("mulin", "睦邻", "邻里互助、化解矛盾和参与议事", [
            ("ml_mediate", "主动调解邻里纠纷", 5, True),
            ("ml_help", "帮扶困难邻居、看望空巢老人", 3, True),
            ("ml_deliberate", "参加居民议事会", 2, False),
        ]),
        ("yicheng", "怡城", "环境卫生、公共秩序和城市文明", [
            ("yc_sorting", "垃圾分类投放准确", 1, False),
            ("yc_cleanup", "参加环境卫生整治", 2, False),
            ("yc_report", "随手拍上报隐患被采纳", 2, False),
            ("yc_litter", "乱扔垃圾、高空抛物", -5, True),
            ("yc_parking", "车辆乱停乱放、占用消防通道", -3, True),
        ]),
    ]),
    ("volunteer", "志愿服务积分", "志愿服务时长和活动积分，可兑换奖品（志愿积分兑换）。", [
        ("service", "志愿服务", "按服务时长和次数计分", [
            ("vs_hour", "志愿服务时长（每小时）", 10, False),
            ("vs_event", "参加社区志愿活动", 2, False),
        ]),
        ("organize", "组织带动", "组织活动、带动他人", [
            ("vs_lead", "组织一次志愿服务活动", 5, True),
            ("vs_recruit", "带动新志愿者注册", 2, False),
        ]),
    ]),
    ("party_member", "党员积分", "在职党员、社区党员的积分和星级评定依据。", [
        ("study", "政治学习", "组织生活和理论学习", [
            ("pm_meeting", "参加三会一课", 2, False),
            ("pm_absent", "无故缺席组织生活", -2, True),
        ]),
        ("dual_checkin", "双报到服务", "到居住地社区报到服务", [
            ("pm_checkin", "到社区报到并参加服务", 3, False),
            ("pm_wish", "认领并完成微心愿", 5, True),
        ]),
        ("vanguard", "先锋作用", "示范岗、急难险重任务", [
            ("pm_post", "党员示范岗值守", 2, False),
            ("pm_emergency", "参加急难险重任务", 10, True),
        ]),
    ]),
]


def ensure_banks(bank_model, dimension_model, rule_model) -> None:
    """Create the seeded banks, dimensions and rules that are missing (models passed in, so the
    data migration can use its historical ones)."""
    for order, (code, name, description, dimensions) in enumerate(BANKS):
        bank, _ = bank_model.objects.get_or_create(code=code, defaults={"name": name, "description": description, "order": order})
        for d_order, (d_code, d_name, d_description, rules) in enumerate(dimensions):
            dimension, _ = dimension_model.objects.get_or_create(
                bank=bank, code=d_code, defaults={"name": d_name, "description": d_description, "order": d_order})
            for r_order, (r_code, title, points, evidence) in enumerate(rules):
                rule_model.objects.get_or_create(bank=bank, code=r_code, defaults={
                    "dimension": dimension, "title": title, "points": points, "evidence_required": evidence, "order": r_order})
