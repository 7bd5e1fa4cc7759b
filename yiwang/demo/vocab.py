"""Word lists for the synthetic district: people, compounds, communities, places and units (the
names of people are in `yiwang.core.synthetic_names`, which each app's demo uses too).

Everything here is invented or generic; the only real names are the district, its eight streets
(read from the statistics file) and the five communities named in the seed article.
"""

from __future__ import annotations

# Origin counties of the floating population (流动人口): real division codes near Kaizhou
# (Chongqing, eastern Sichuan, western Hubei, southern Shaanxi).
FLOATING_ORIGIN_PREFIXES = [
    "500101", "500235", "500236", "500237", "500238", "500233", "500230", "500112",
    "511702", "511722", "511723", "510722", "422801", "422802", "420527", "610902",
]

# Kaizhou's division code before 开县 became 开州区 in 2016: ID numbers issued earlier keep it.
OLD_KAIZHOU_PREFIX = "500234"
NEW_KAIZHOU_PREFIX = "500154"

PHONE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
).split()

# 云枫街道's ten communities: the first five are named in the seed article, the rest invented.
YUNFENG_COMMUNITIES = ["永先", "永安", "关子", "平桥", "寨子坪", "竹溪", "桔园", "枫林", "滨湖", "安康"]

# Pools for synthetic streets and communities beyond the real ones (scale > 1).
PLACE_FIRST = "枫 桃 竹 柳 松 梅 兰 桂 荷 杏 榕 槐 柏 椿 桐 楠 云 汉 盛 安 丰 新 南 北".split()
PLACE_SECOND = "林 溪 园 湾 坪 岭 湖 桥 坝 岗 山 塘 河 庄 苑 台 门 堰 滩 阳".split()

# Residential compounds (小区), one per micro-grid, with buildings numbered inside.
COMPOUND_FIRST = (
    "锦绣 盛世 滨湖 阳光 翡翠 枫华 云枫 龙湾 书香 南山 桂园 御景 紫薇 金色 碧水 怡景 "
    "东方 汉丰 香樟 和谐 幸福 康居 星河 天悦 丽都 青云 江畔 桃源 鸿福 瑞丰"
).split()
COMPOUND_SECOND = "花园 小区 苑 家园 名都 雅居 新村 公馆 华庭 佳园 嘉苑 丽景".split()

# Dedicated grids (专属网格), each named after its place: (dedicated kind, name in 云枫街道,
# name suffix after a synthetic street's name, place kind).
DEDICATED_PLACES = [
    ("school", "云枫实验小学", "实验小学", "school"),
    ("school", "开州区枫林中学", "中学", "school"),
    ("hospital", "云枫街道社区卫生服务中心", "街道社区卫生服务中心", "hospital"),
    ("enterprise", "开州枫源食品有限公司", "食品有限公司", "enterprise"),
    ("commercial_building", "汉丰湖商务大厦", "商务大厦", "enterprise"),
]

SHOP_KINDS = "超市 便利店 餐馆 火锅店 面馆 药房 理发店 五金店 水果店 茶馆 服装店 烟酒店 早餐店 快递驿站 干洗店 手机店".split()
THREE_IN_ONE_KINDS = "小作坊 维修铺 小旅馆 小餐饮 批发部 棋牌室".split()
ENTERPRISE_KINDS = "建材有限公司 物流有限公司 商贸有限公司 电子科技有限公司 农业开发有限公司 建筑劳务有限公司 广告传媒有限公司 家政服务有限公司".split()
PROPERTY_COMPANIES = "物业管理有限公司 物业服务有限公司".split()
SCHOOL_KINDS = ["幼儿园", "小学", "培训学校"]
HOSPITAL_KINDS = ["诊所", "卫生服务站", "口腔诊所"]
PUBLIC_VENUES = ["文化广场", "老年活动中心", "农贸市场", "体育公园"]

# Functional party branches (功能型党支部): topics for the street and for communities.
STREET_FUNCTIONAL_TOPICS = [
    "机关", "物业行业", "快递外卖行业", "个体工商户", "非公企业联合", "社会组织联合", "退役军人",
    "流动党员", "离退休干部", "商圈", "律师行业", "志愿服务", "新就业群体", "网络直播行业",
]
COMMUNITY_FUNCTIONAL_TOPICS = [
    "红色物业", "老年协会", "志愿服务", "流动党员", "在职党员", "楼院自治", "文体协会",
    "平安巡逻", "邻里互助", "商户联合",
]

# Street offices whose cadres serve as grid instructors (网格指导员).
STREET_OFFICES = ["党政办", "党建办", "平安办", "民生服务办", "经济发展办", "应急办", "社会事务办", "综合执法大队"]

# Work units of in-service party members (在职党员) who report to their home community.
WORK_UNITS = [
    "开州区教育委员会", "开州区卫生健康委员会", "开州区城市管理局", "开州区人民医院", "国网开州供电公司",
    "开州区税务局", "开州区市场监督管理局", "开州区住房和城乡建设委员会", "开州区交通运输委员会",
    "开州区民政局", "开州区公安局", "开州中学", "开州区自来水公司", "开州区燃气公司",
]
