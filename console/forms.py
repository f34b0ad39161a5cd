from django import forms


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        max_length=120,
        required=False,
        help_text="How your name appears in the console. Leave empty to show your email.",
    )

    def clean_display_name(self):
        return self.cleaned_data["display_name"].strip() or None
