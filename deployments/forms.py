"""Forms of the deployments area. The version rule is the database's own
(`private.is_semver`), asked here so the form can say so before anything is written."""

from django import forms
from django.db import connection

from console.forms import JSONObjectField
from deployments.lifecycle import SEMVER_HINT
from deployments.models import PACKAGE_TYPES, Package

MAX_NAME = 120
MAX_REASON = 500


def is_semver(version: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("select private.is_semver(%s)", [version])
        return bool(cursor.fetchone()[0])


class PackageForm(forms.Form):
    name = forms.CharField(
        max_length=MAX_NAME,
        help_text="The package's name; its versions share it (e.g. analyzer-core).",
    )
    package_type = forms.ChoiceField(label="Type", choices=PACKAGE_TYPES)
    version = forms.CharField(max_length=128, help_text=SEMVER_HINT)
    configuration = JSONObjectField(empty_object=True, help_text="A JSON object.")
    deployment_data = JSONObjectField(
        label="Deployment data",
        empty_object=True,
        help_text='A JSON object (nodes, regions…). "environment": one deployed version per '
        "environment; without it, one per name.",
    )

    def __init__(self, *args, package_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.package_id = package_id  # the version being edited, if any

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_version(self):
        version = self.cleaned_data["version"].strip()
        if not is_semver(version):
            raise forms.ValidationError(f"“{version}” is not a semantic version. {SEMVER_HINT}")
        return version

    def clean(self):
        data = super().clean()
        name, version = data.get("name"), data.get("version")
        if name and version:
            taken = Package.objects.filter(name=name, version=version)
            if self.package_id:
                taken = taken.exclude(pk=self.package_id)
            if taken.exists():  # the unique index decides under races
                self.add_error("version", f"{name} {version} already exists.")
        return data

    def clean_deployment_data(self):
        data = self.cleaned_data["deployment_data"]
        environment = data.get("environment")
        if environment is not None and not isinstance(environment, str):
            raise forms.ValidationError('"environment" must be a string, e.g. "production".')
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="Recorded in the audit trail with the change.",
    )

    def clean_reason(self):
        return " ".join(self.cleaned_data["reason"].split())


class RollbackForm(forms.Form):
    target = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required: why this version goes back. Recorded with both changes.",
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("Say why you roll back.")
        return reason


class CleanupForm(forms.Form):
    days = forms.IntegerField(
        min_value=1, max_value=3650, initial=30, label="Drafts untouched for (days)"
    )
    keep = forms.IntegerField(
        min_value=0, max_value=1000, initial=10, label="Retired versions to keep per name"
    )
