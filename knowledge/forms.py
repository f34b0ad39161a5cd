"""Forms of the knowledge base: an entry, the bulk actions' inputs, an import file."""

from django import forms

from console.forms import JSONObjectField
from console.versions import VersionField

MAX_TITLE_LENGTH = 200
MAX_CONTENT_LENGTH = 100_000
MAX_CATEGORY_LENGTH = 60
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
# The columns an editor writes; the rest (id, created_*, updated_at) the database keeps.
EDITABLE = ("title", "content", "category", "tags", "metadata", "is_active")


def _one_line(value: str) -> str:
    return " ".join(value.split())


def split_tags(value) -> list[str]:
    """Tags as typed ("RLS, Postgres") or as a list, lower case, de-duplicated, in order."""
    if isinstance(value, list | tuple):
        items = [str(v) for v in value if v is not None]
    else:
        items = str(value or "").replace("\n", ",").split(",")
    tags = (_one_line(item).lower() for item in items)
    return list(dict.fromkeys(tag for tag in tags if tag))


def normalise_tags(value, *, strict: bool = True) -> list[str]:
    """split_tags, within the limits: `strict` says what is wrong, otherwise the extra is
    dropped (for filters)."""
    tags = split_tags(value)
    if not strict:
        return [tag for tag in tags if len(tag) <= MAX_TAG_LENGTH][:MAX_TAGS]
    errors = [
        f"“{tag[:MAX_TAG_LENGTH]}…” is longer than {MAX_TAG_LENGTH} characters."
        for tag in tags
        if len(tag) > MAX_TAG_LENGTH
    ]
    if len(tags) > MAX_TAGS:
        errors.append(f"Use at most {MAX_TAGS} tags (there are {len(tags)}).")
    if errors:
        raise forms.ValidationError(errors)
    return tags


def normalise_category(value, existing=()) -> str | None:
    """One line; the spelling of an existing category when it differs only in case."""
    value = _one_line(str(value or ""))
    if not value:
        return None
    for category in existing:
        if category.lower() == value.lower():
            return category
    return value


def normalise_content(text) -> str:
    """An entry's content as the console compares and saves it: line endings as \n, nothing
    stripped (a trailing newline is content). The same on load and on save, so a form sent
    back unchanged is unchanged."""
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n")


def entry_values(entry) -> dict:
    """The editable columns of an entry, as the forms and the diffs see them."""
    return {
        "title": entry.title,
        "content": normalise_content(entry.content),
        "category": entry.category,
        "tags": list(entry.tags or []),
        "metadata": entry.metadata,
        "is_active": bool(entry.is_active),
    }


class TagsField(forms.CharField):
    widget = forms.TextInput(attrs={"autocomplete": "off"})

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return normalise_tags(value)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class EntryForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE_LENGTH)
    content = forms.CharField(
        max_length=MAX_CONTENT_LENGTH,
        strip=False,  # normalise_content decides, the same way on load and save
        widget=forms.Textarea(attrs={"rows": 16, "class": "markdown", "spellcheck": "true"}),
        help_text="Markdown: # headings, **bold**, _italic_, [links](https://…), lists, tables.",
    )
    category = forms.CharField(
        max_length=MAX_CATEGORY_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"list": "kb-categories", "autocomplete": "off"}),
        help_text="Choose an existing category or type a new one.",
    )
    tags = TagsField(
        required=False,
        help_text=f"Separated by commas; lower case, at most {MAX_TAGS} of up to "
        f"{MAX_TAG_LENGTH} characters each.",
    )
    metadata = JSONObjectField(required=False, help_text='A JSON object, e.g. {"source": "wiki"}.')
    # A new entry is a draft unless the editor publishes it now.
    is_active = forms.BooleanField(label="Publish now (viewers can read it)", required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories

    def clean_title(self):
        return _one_line(self.cleaned_data["title"])

    def clean_content(self):
        content = normalise_content(self.cleaned_data["content"])
        if not content.strip():
            raise forms.ValidationError("This field is required.", code="required")
        return content

    def clean_category(self):
        return normalise_category(self.cleaned_data["category"], self.categories)

    def clean_metadata(self):
        metadata = self.cleaned_data["metadata"]
        if _has_nul(metadata):
            raise forms.ValidationError(
                "Remove the NUL characters (\\u0000): JSON in the database cannot hold them."
            )
        return metadata

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE}


class EntryEditForm(EntryForm):
    """An edit carries the version it was opened on (console.versions)."""

    is_active = forms.BooleanField(label="Active (published: viewers can read it)", required=False)
    version = VersionField()


class CategoryActionForm(forms.Form):
    category = forms.CharField(
        label="New category (empty for none)",
        max_length=MAX_CATEGORY_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"list": "kb-categories", "autocomplete": "off"}),
    )

    def clean_category(self):
        return normalise_category(self.cleaned_data["category"])


class TagActionForm(forms.Form):
    tag = forms.CharField(label="Tag", max_length=MAX_TAG_LENGTH * 2)

    def clean_tag(self):
        tags = normalise_tags(self.cleaned_data["tag"])
        if len(tags) != 1:
            raise forms.ValidationError("Give one tag (no commas).")
        return tags[0]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File (JSON Lines or CSV)",
        help_text="The columns of an export: title and content are required; id (to update "
        "an entry), category, tags, metadata and is_active are optional.",
        widget=forms.ClearableFileInput(attrs={"accept": ".jsonl,.ndjson,.json,.csv,text/csv"}),
    )
