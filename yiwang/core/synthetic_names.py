"""Chinese personal names for synthetic data: surnames with weights and given-name characters.

The demo district and each app's demo draw from these lists; they are below every app so an app's
demo needs nothing from the demo package.
"""

# Common surnames with rough weights (national frequency, nudged towards eastern Chongqing,
# where 谭, 向, 冉 and 熊 are more common than nationally).
SURNAMES: list[tuple[str, int]] = [
    ("王", 70), ("李", 72), ("张", 66), ("刘", 55), ("陈", 48), ("杨", 42), ("黄", 30), ("赵", 25),
    ("吴", 24), ("周", 24), ("徐", 18), ("孙", 15), ("马", 13), ("朱", 13), ("胡", 14), ("郭", 12),
    ("何", 14), ("高", 11), ("林", 10), ("罗", 14), ("郑", 9), ("梁", 8), ("谢", 10), ("宋", 7),
    ("唐", 12), ("许", 6), ("韩", 6), ("冯", 7), ("邓", 12), ("曹", 6), ("彭", 12), ("曾", 10),
    ("肖", 9), ("田", 8), ("董", 5), ("袁", 8), ("潘", 4), ("蒋", 7), ("蔡", 4), ("余", 9),
    ("杜", 6), ("叶", 4), ("程", 5), ("苏", 4), ("魏", 4), ("吕", 3), ("丁", 3), ("任", 5),
    ("沈", 3), ("姚", 4), ("卢", 3), ("姜", 3), ("崔", 2), ("钟", 4), ("谭", 12), ("陆", 2),
    ("汪", 3), ("范", 3), ("金", 2), ("石", 4), ("廖", 6), ("贾", 2), ("夏", 3), ("付", 4),
    ("方", 3), ("邹", 4), ("熊", 8), ("秦", 4), ("江", 3), ("向", 10), ("冉", 7), ("雷", 4),
    ("龙", 3), ("陶", 3), ("贺", 3), ("毛", 3), ("文", 4), ("牟", 4), ("黎", 2), ("刁", 2),
]

# Given-name characters. Names are one or two of these; the lists lean modern for the young
# and traditional for the old only through their mix, which is enough for a demo.
MALE_CHARS = (
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 宁 龙 林 洋 "
    "文 建 国 民 兵 成 峰 亮 东 海 俊 志 坤 晨 博 哲 睿 轩 然 宸 泽 航 毅 诚 维 彬 松 江 川"
).split()
FEMALE_CHARS = (
    "芳 娟 敏 静 丽 艳 娜 秀 英 霞 燕 玲 桂 兰 红 梅 琳 婷 雪 慧 颖 倩 萍 琴 蓉 晶 月 莉 欣 怡 "
    "佳 悦 雨 涵 诗 梦 瑶 婧 琪 璐 露 妍 馨 彤 菲 茜 薇 岚 洁 凤 翠 珍 淑 素 春 巧 云 丹 青"
).split()
NEUTRAL_CHARS = "子 思 嘉 安 一 晓 小 永 德 家 宏 玉 金 世 天 心 雅 若 可 清".split()
