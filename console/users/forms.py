"""Forms of user administration and of "My profile".

Forms that change an existing user carry `version` (UserAccount.version as the page showed
it): if the user changed in the meantime, the action says so and changes nothing.
"""

from django import forms

from console.auth.forms import NewPasswordForm
from console.roles import Role
from console.users.actions import BAN_DURATIONS
from console.users.models import ROLE_CHOICES

ROLE_ERRORS = {
    "required": "Choose a role.",
    "invalid_choice": "Choose one of the roles: admin, editor, auditor, viewer.",
}
BAN_CHOICES = [(key, duration.label) for key, duration in BAN_DURATIONS.items()]
BAN_ERRORS = {
    "required": "Choose how long the ban lasts.",
    "invalid_choice": "Choose one of the ban durations offered.",
}


def role_field(initial: str | None = None) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Role", choices=ROLE_CHOICES, initial=initial, error_messages=ROLE_ERRORS
    )


def email_field(label: str = "Email") -> forms.EmailField:
    return forms.EmailField(
        label=label,
        max_length=255,
        error_messages={
            "required": "Enter the email address.",
            "invalid": "Enter an email address such as name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        max_length=120,
        required=False,
        help_text="How your name appears in the console. Leave empty to show your email.",
    )

    def clean_display_name(self):
        return self.cleaned_data["display_name"].strip() or None


class UserPageForm(forms.Form):
    """One of several forms on a page: ids start with `id_prefix`, so none repeats."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class VersionedForm(UserPageForm):
    version = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def clean_version(self):
        return self.cleaned_data["version"] or None


class RoleForm(VersionedForm):
    id_prefix = "role"
    role = role_field()
    # Set when an admin has seen the warning about demoting themself and goes on.
    confirm_self = forms.BooleanField(required=False, widget=forms.HiddenInput)


THEIR_NAME_HELP = "How their name appears in the console. Leave empty to show their email."


def their_display_name_field() -> forms.CharField:
    return forms.CharField(
        label="Display name", max_length=120, required=False, help_text=THEIR_NAME_HELP
    )


class UserDisplayNameForm(VersionedForm, DisplayNameForm):
    """An admin edits another user's display name."""

    id_prefix = "name"
    display_name = their_display_name_field()


class BanForm(VersionedForm):
    id_prefix = "ban"
    duration = forms.ChoiceField(
        label="Ban for", choices=BAN_CHOICES, initial="24h", error_messages=BAN_ERRORS
    )


class TypedEmailConfirmation(forms.Form):
    """The user's email address typed to confirm what cannot be undone (`consequence` names
    it in the error)."""

    consequence = "go on"
    confirm_email = forms.CharField(
        label="Type the user's email address to confirm",
        max_length=255,
        error_messages={"required": "Type the user's email address to confirm."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_confirm_email(self):
        typed = self.cleaned_data["confirm_email"].strip()
        if typed.lower() != self.email.lower():
            raise forms.ValidationError(
                f"That is not this user's email address. Type {self.email} to {self.consequence}."
            )
        return typed


class DeleteForm(TypedEmailConfirmation, VersionedForm):
    id_prefix = "delete"
    consequence = "delete them"


class InviteForm(UserPageForm):
    id_prefix = "invite"
    email = email_field()
    role = role_field(initial=Role.VIEWER.value)
    display_name = their_display_name_field()

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_display_name(self):
        return self.cleaned_data["display_name"].strip() or None


class CreateUserForm(InviteForm, NewPasswordForm):
    """A user with a password the admin sets; the database's password rule applies."""

    id_prefix = "create"
    field_order = ["email", "display_name", "role", "new_password1", "new_password2"]


class PromoteForm(forms.Form):
    email = email_field("Email of the user to make admin")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class MyDisplayNameForm(VersionedForm, DisplayNameForm):
    """The signed-in user's own display name."""


class MyPasswordForm(UserPageForm, NewPasswordForm):
    id_prefix = "password"
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Type your current password."},
    )
    field_order = ["current_password", "new_password1", "new_password2"]


class BulkStepForm(forms.Form):
    """A bulk action's form. console.bulk binds it to the first POST too (the one from the
    list, which only says which rows); that step shows it empty, not full of errors."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("confirm") != "yes":
            data = None
        super().__init__(data, *args, **kwargs)


class BulkRoleForm(BulkStepForm):
    role = role_field()


class BulkBanForm(BulkStepForm):
    duration = BanForm.base_fields["duration"]
