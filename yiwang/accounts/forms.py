from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(label=_("验证码"), max_length=20, strip=True,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}))


class UsernameForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150, strip=True)


def _region_model():
    # Regions sit above accounts in the layers: reach the model through the account's own field.
    from .models import User

    return User._meta.get_field("scope_region").related_model


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region) -> str:
        return f"{region.name}（{region.get_level_display()}）"


class AccountForm(forms.Form):
    """A new account in the admin's scope; the service checks every rule again and names the field."""

    username = forms.CharField(label=_("用户名"), max_length=150, strip=True,
                               help_text=_("登录用，字母、数字和 @ . + - _，全系统唯一。"))
    full_name = forms.CharField(label=_("姓名"), max_length=150, strip=True)
    role = forms.ChoiceField(label=_("角色"), error_messages={"invalid_choice": _("您不能创建该角色的账号。")})
    scope_region = RegionChoiceField(label=_("数据范围"), queryset=None, empty_label=_("请选择"),
                                     error_messages={"invalid_choice": _("所选区域不在您的管理范围内。")})
    unit = forms.CharField(label=_("单位/部门"), max_length=100, required=False, strip=True)
    password = forms.CharField(label=_("初始密码"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("留空则由系统生成临时密码。无论哪种，首次登录都须修改密码。"))

    def __init__(self, *args, roles: tuple[str, ...], levels: tuple[str, ...], actor, **kwargs):
        from yiwang.core.scope import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("请选择"))] + [(role, Role(role).label) for role in roles]
        self.fields["scope_region"].queryset = _region_model().objects.restrict(actor).filter(level__in=levels).order_by("path")


def _app_choices() -> list[tuple[str, str]]:
    from django.apps import apps

    return [("", _("全部"))] + [(config.label, str(config.verbose_name)) for config in apps.get_app_configs()
                                if config.name.startswith("yiwang.")]


class AuditFilterForm(forms.Form):
    who = forms.CharField(label=_("操作人（用户名）"), max_length=150, required=False, strip=True)
    app = forms.ChoiceField(label=_("业务模块"), required=False, choices=_app_choices,
                            error_messages={"invalid_choice": _("没有这个业务模块。")})
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return data
