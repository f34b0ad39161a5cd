from django import forms

from console.passwords import RULE_TEXT, password_problems


class LoginForm(forms.Form):
    email = forms.EmailField(
        max_length=255,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=1000,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class PasswordForgotForm(forms.Form):
    email = forms.EmailField(
        max_length=255, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class NewPasswordForm(forms.Form):
    """A new password, checked against the database's password rule."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=72,
        help_text=RULE_TEXT,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="Repeat the new password",
        strip=False,
        max_length=72,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_new_password1(self):
        password = self.cleaned_data["new_password1"]
        problems = password_problems(password)
        if problems:
            raise forms.ValidationError(problems)
        return password

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two passwords are not the same.")
        return cleaned


class EmailLinkPasswordForm(NewPasswordForm):
    """Set a password from a recovery or invite email link: the SSR template's token_hash +
    type, or the session Supabase Auth's own /verify put in the URL fragment (the default
    templates' {{ .ConfirmationURL }}), which static/console/link_landing.js hands over."""

    token_hash = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    access_token = forms.CharField(max_length=8192, required=False, widget=forms.HiddenInput)
    refresh_token = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    type = forms.ChoiceField(
        choices=[("recovery", "recovery"), ("invite", "invite")], widget=forms.HiddenInput
    )

    def clean(self):
        cleaned = super().clean()
        has_session = cleaned.get("access_token") and cleaned.get("refresh_token")
        if not cleaned.get("token_hash") and not has_session:
            raise forms.ValidationError("This link is incomplete. Ask for a new one.")
        return cleaned
