from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiwang.core import crypto
from yiwang.core.admin_base import ReadOnlyScopedAdmin, ScopedAdmin

from .models import Building, BuildingUnit, Component, ComponentType, House, Household, Person, PersonAccessGrant, PersonTag, Place


class PersonForm(forms.ModelForm):
    """ID number and phone are write-only here: typed in clear, stored sealed, shown masked."""

    id_number = forms.CharField(label=_("公民身份号码"), required=False, help_text=_("留空则不修改"))
    phone = forms.CharField(label=_("联系方式"), required=False, help_text=_("留空则不修改"))

    class Meta:
        model = Person
        fields = ["region", "name", "gender", "birth_date", "residence_type", "household", "is_household_head", "address"]

    def clean_id_number(self):
        from .validators import validate_id_number

        value = self.cleaned_data["id_number"].strip().upper()
        if value:
            self.id_info = validate_id_number(value)
            others = Person.objects.filter(id_number_digest=crypto.digest(value)).exclude(pk=self.instance.pk)
            if others.exists():
                raise forms.ValidationError("该身份证号已登记")
        return value

    def clean_phone(self):
        from .validators import validate_phone

        value = self.cleaned_data["phone"].strip()
        if value:
            validate_phone(value)
        return value

    def save(self, commit=True):
        person = super().save(commit=False)
        if self.cleaned_data.get("id_number"):
            person.set_id_number(self.cleaned_data["id_number"])
            # Birth date and gender follow the ID number, as in imports.
            person.birth_date, person.gender = self.id_info.birth_date, self.id_info.gender
        if self.cleaned_data.get("phone"):
            person.set_phone(self.cleaned_data["phone"])
        if commit:
            person.save()
        return person


class PersonTagInline(admin.TabularInline):
    model = PersonTag
    extra = 0


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    form = PersonForm
    list_display = ("name", "gender", "id_number_masked", "phone_masked", "residence_type", "region")
    list_filter = ("residence_type", "gender", "tags__tag")
    search_fields = ("name",)
    autocomplete_fields = ("region", "household")
    inlines = [PersonTagInline]

    @admin.display(description=_("公民身份号码"))
    def id_number_masked(self, obj):
        return obj.id_number_masked

    @admin.display(description=_("联系方式"))
    def phone_masked(self, obj):
        return obj.phone_masked


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ("code", "name", "address", "floors", "region")
    search_fields = ("code", "name", "address")


@admin.register(BuildingUnit)
class BuildingUnitAdmin(ScopedAdmin):
    list_display = ("building", "number")
    search_fields = ("building__name", "number")
    autocomplete_fields = ("building",)


@admin.register(House)
class HouseAdmin(ScopedAdmin):
    list_display = ("building", "unit", "number", "floor", "use", "occupancy", "region")
    list_filter = ("use", "occupancy")
    search_fields = ("number", "building__name")
    autocomplete_fields = ("region", "building", "unit")


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("number", "house", "region")
    search_fields = ("number",)
    autocomplete_fields = ("region", "house")


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    list_display = ("name", "kind", "address", "region")
    list_filter = ("kind",)
    search_fields = ("name", "address", "credit_code")


@admin.register(Component)
class ComponentAdmin(ScopedAdmin):
    list_display = ("code", "type", "name", "status", "region")
    list_filter = ("type", "status")
    search_fields = ("code", "name", "device_id")


@admin.register(ComponentType)
class ComponentTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "class_name")


@admin.register(PersonAccessGrant)
class PersonAccessGrantAdmin(ReadOnlyScopedAdmin):
    """Grants are read here and revoked by the action; they are made through the API's service, which
    checks who may grant, the reason and the expiry, and logs it."""

    list_display = ("department", "person", "group", "region", "reason", "expires_at", "granted_by", "granted_at", "revoked_at")
    list_filter = ("group",)
    search_fields = ("department__name", "reason")
    actions = ["revoke"]

    @admin.action(description=_("撤销所选授权"))
    def revoke(self, request, queryset):
        from django.core.exceptions import PermissionDenied

        from . import services

        try:
            for grant in queryset.filter(revoked_at__isnull=True):
                services.revoke_person_access(grant=grant, acting_user=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), level="error")
