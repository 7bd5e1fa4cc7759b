"""National component codes (部件, GB/T 47678.5-2026): class 2 digits + subclass 3 digits."""

CLASSES = {"01": "公用设施", "02": "道路交通", "03": "市容环境", "04": "园林绿化", "05": "其他设施"}

TYPES = [
    ("01001", "上水井盖"), ("01002", "污水井盖"), ("01003", "雨水井盖"), ("01004", "雨水箅子"),
    ("01005", "电力井盖"), ("01006", "路灯井盖"), ("01007", "通讯井盖"), ("01008", "电视井盖"),
    ("01009", "网络井盖"), ("01010", "热力井盖"), ("01011", "燃气井盖"), ("01012", "公安井盖"),
    ("01013", "消防设施"), ("01014", "消火栓"), ("01015", "电力设施"), ("01037", "路灯"),
    ("01054", "充电桩"), ("01075", "智能快件箱"),
    ("02001", "停车场"), ("02014", "交通信号灯"), ("02025", "非机动车停放点"),
    ("03001", "公共厕所"), ("03005", "垃圾箱"), ("03006", "户外广告设施"),
    ("04001", "古树名木"), ("04002", "行道树"),
    ("05001", "监控摄像头"), ("05002", "烟感报警器"), ("05003", "水位监测仪"),
]


def ensure(component_type_model=None) -> None:
    """Create or refresh the national types; idempotent. The data migration passes its
    historical model; the demo calls it too, so a flushed database still has the types."""
    if component_type_model is None:
        from .models import ComponentType as component_type_model
    for code, name in TYPES:
        component_type_model.objects.update_or_create(
            code=code, defaults={"name": name, "class_code": code[:2], "class_name": CLASSES[code[:2]]}
        )
