"""The names in groups.toml, marked so that makemessages puts them in the catalogues: the models show
them through gettext (`KeyGroup`'s labels), but a data file is not searched for strings.
tests/registry/test_groups.py fails when this list and the data file disagree."""

from django.utils.translation import gettext_noop

GROUP_NAMES = (
    gettext_noop("刑满释放人员"), gettext_noop("社区矫正对象"), gettext_noop("严重精神障碍患者"), gettext_noop("吸毒人员"),
    gettext_noop("艾滋病危险人员"), gettext_noop("闲散青少年"), gettext_noop("有不良行为青少年"), gettext_noop("流浪乞讨未成年人"),
    gettext_noop("服刑在教人员未成年子女"), gettext_noop("农村留守儿童"), gettext_noop("其他重点青少年"), gettext_noop("独居老人"),
    gettext_noop("空巢老人"), gettext_noop("残疾人"), gettext_noop("低保对象"), gettext_noop("特困人员"), gettext_noop("退役军人"),
)
STANDARD_CLASS_NAMES = (gettext_noop("实有人口"), gettext_noop("特殊人群"), gettext_noop("重点青少年"), gettext_noop("本地扩展（X）"))
