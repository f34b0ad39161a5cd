"""Generic object views: create, edit (with the version check), delete (after a confirmation)
and a record's history, from declarations — in the spirit of NetBox's ObjectEditView and
ObjectDeleteView and Django's ModelAdmin. Every write goes through console.audited.

An area declares once what its views share, then takes the views it needs:

    class AgentObject(ObjectView):
        area = "agents"                      # role check: console.permissions, write=True
        model = Agent
        form_class = AgentForm               # a plain Form; its fields named like columns
        detail_url_name = "agents:agent_detail"
        list_url_name = "agents:agent_list"
        url_base = "agents:agent"            # the URL names below, for the record's tabs

    urlpatterns += object_urls("agent", AgentObject, prefix="agents/")
    # agents/new/, agents/<uuid:pk>/edit/, …/delete/, …/history/ named agent_create, agent_edit…

or subclasses a view to add hooks: `class AgentEdit(AgentObject, ObjectEditView): …`.
"""

import json

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views import View

from console import audited, versions
from console.diff import diff_values
from console.history import record_history
from console.permissions import AreaRequiredMixin
from console.registry import access
from console.roles import Access

HISTORY_TEMPLATE = "console/_history.html"


def object_history(table: str, record_id, *, before: str | None = None):
    """A record's audit rows, newest first (`.entries`, each with its diff in `.changes`):
    console/history.py, the one history mechanism."""
    return record_history(table, record_id, before=before)


def _jsonable(values: dict) -> dict:
    """Values as the audit trail stores them, so that diffs compare like with like."""
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


class ObjectView(AreaRequiredMixin, View):
    """The declarations every generic object view reads, and the hooks they share."""

    area = ""
    write = True
    model = None
    queryset = None  # default: every row of `model` (RLS narrows it to the user's)
    form_class = None
    detail_url_name: str | None = None  # takes the primary key
    list_url_name: str | None = None
    url_base: str | None = None  # "agents:agent": object_urls' names, for the record's tabs
    allowed_roles: tuple | None = None  # narrower than the area's write access (e.g. admins)
    refused_message = "Your role cannot do this."
    # Templates: override per area (e.g. extend the generic one and fill its blocks).
    form_template_name = "console/object_form.html"
    delete_template_name = "console/object_delete.html"
    history_template_name = "console/object_history.html"
    template_attr = "form_template_name"  # which of them this view renders
    extra_context: dict | None = None

    def dispatch(self, request, *args, **kwargs):
        role = request.console_user.role if request.console_user else None
        # Signed out or without a role: the area check below answers (sign-in, "no access").
        if role is not None and self.allowed_roles is not None and role not in self.allowed_roles:
            raise PermissionDenied(self.refused_message)
        return super().dispatch(request, *args, **kwargs)

    # ----- what the views read and write -----

    def get_queryset(self):
        if self.queryset is not None:
            return self.queryset.all()
        return self.model._default_manager.all()

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def editable(self) -> list[str]:
        """The form's fields that are columns: what the form reads from and writes to a row."""
        columns = {field.name for field in self.model._meta.concrete_fields}
        return [name for name in self.form_class.base_fields if name in columns]

    def object_values(self, obj) -> dict:
        """The row as the form shows it (initial values, change detection, the conflict's
        "theirs"). Override to normalise values the same way the form cleans them."""
        return {name: getattr(obj, name) for name in self.editable()}

    def form_values(self, form) -> dict:
        """The cleaned form as column values (a create's or an update's values)."""
        return {name: form.cleaned_data[name] for name in self.editable()}

    def get_form_kwargs(self) -> dict:
        """Extra keyword arguments for the form class (choices read from the database…)."""
        return {}

    def get_form(self, data=None, initial=None):
        files = self.request.FILES if data is not None else None
        return self.form_class(data, files, initial=initial, **self.get_form_kwargs())

    # ----- where to go, what to show -----

    def object_label(self, obj) -> str:
        return str(obj)

    def detail_url(self, obj) -> str:
        if self.detail_url_name:
            return reverse(self.detail_url_name, args=[obj.pk])
        return self.list_url()

    def object_url(self, kind: str, obj) -> str | None:
        """The record's `kind` page (edit, delete, history) when the area has one."""
        if not self.url_base:
            return None
        try:
            return reverse(f"{self.url_base}_{kind}", args=[obj.pk])
        except NoReverseMatch:
            return None

    def list_url(self) -> str:
        return reverse(self.list_url_name) if self.list_url_name else "/"

    def get_extra_context(self, obj=None, form=None) -> dict:
        """More for the template (a preview, a datalist's options…)."""
        return dict(self.extra_context or {})

    def render_page(self, context: dict, *, status: int = 200):
        obj = context.get("object")
        role = self.request.console_user.role
        context = {
            "area": self.area,
            "can_write": access(role, self.area).can_write,
            "verbose_name": self.model._meta.verbose_name,
            "label": self.object_label(obj) if obj is not None else "",
            "detail_url": self.detail_url(obj) if obj is not None else None,
            "edit_url": self.object_url("edit", obj) if obj is not None else None,
            "history_url": self.object_url("history", obj) if obj is not None else None,
            "list_url": self.list_url(),
            **self.get_extra_context(obj, context.get("form")),
            **context,
        }
        template = getattr(self, self.template_attr)
        return render(self.request, template, context, status=status)


class ObjectCreateView(ObjectView):
    """GET: the empty form. POST: audited.create, then the item's page."""

    success_message = "“{label}” is saved."
    create_title: str | None = None  # default "New <verbose name>"

    def get_initial(self) -> dict:
        return {}

    def extra_values(self) -> dict:
        """Columns the form does not show, set on create (e.g. created_by)."""
        return {}

    def form_page(self, form, *, status=200):
        title = self.create_title or f"New {self.model._meta.verbose_name}"
        return self.render_page({"form": form, "object": None, "page_title": title}, status=status)

    def get(self, request, *args, **kwargs):
        return self.form_page(self.get_form(initial=self.get_initial()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(data=request.POST)
        if form.is_valid():
            values = {**self.form_values(form), **self.extra_values()}
            try:
                obj = audited.create(audited.Actor.from_request(request), self.model, **values)
            except audited.WriteFailed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, self.success_message.format(label=self.object_label(obj)))
                return redirect(self.detail_url(obj))
        return self.form_page(form, status=400)


class ObjectEditView(ObjectView):
    """GET: the form with the row's values and its version. POST: the row is locked; if its
    version is not the form's, nothing is saved and the page shows theirs and yours (409),
    with what changed since, until the user chooses: keep theirs, overwrite with mine (the
    form now carries their version), or edit again. Only changed columns are written."""

    success_message = "“{label}” is saved."
    unchanged_message = "Nothing changed."
    version_name = "version"  # the hidden field; must not be a column of the model
    version_column = versions.FIELD

    def get_form(self, data=None, initial=None):
        form = super().get_form(data, initial)
        if self.version_name not in form.fields:
            if self.version_name in {f.name for f in self.model._meta.concrete_fields}:
                raise ImproperlyConfigured(
                    f"{self.model.__name__} has a column named {self.version_name!r}: "
                    "set version_name on the edit view to another name."
                )
            form.fields[self.version_name] = versions.VersionField()
        return form

    def form_page(self, form, obj, *, conflict=None, status=200):
        context = {"form": form, "object": obj, "conflict": conflict}
        return self.render_page(
            {**context, "page_title": f"Edit “{self.object_label(obj)}”"}, status=status
        )

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        initial = {
            **self.object_values(obj),
            self.version_name: versions.version_of(obj, self.version_column),
        }
        return self.form_page(self.get_form(initial=initial), obj)

    def post(self, request, *args, **kwargs):
        # Locked until the request's transaction ends: nobody saves between check and write.
        obj = versions.lock(self.get_queryset(), pk=self.kwargs["pk"])
        form = self.get_form(data=request.POST)
        if not form.is_valid():
            return self.form_page(form, obj, status=400)
        if not versions.is_current(obj, form.cleaned_data[self.version_name], self.version_column):
            return self.conflict(obj, form)
        saved = self.object_values(obj)
        changes = {k: v for k, v in self.form_values(form).items() if saved.get(k) != v}
        if not changes:
            messages.info(request, self.unchanged_message)
            return redirect(self.detail_url(obj))
        try:
            obj = audited.update(audited.Actor.from_request(request), obj, **changes)
        except audited.WriteFailed as exc:
            form.add_error(None, exc.message)
            return self.form_page(form, obj, status=400)
        messages.success(request, self.success_message.format(label=self.object_label(obj)))
        return redirect(self.detail_url(obj))

    def conflict(self, obj, form):
        """Nothing is written. The page shows the saved version beside this one and the saves
        made since the form's version; the form now carries the saved version, so sending it
        again overwrites knowingly."""
        sent = form.cleaned_data[self.version_name]
        history = object_history(self.table, obj.pk)
        data = self.request.POST.copy()
        data[self.version_name] = versions.version_of(obj, self.version_column)
        fresh = self.get_form(data=data)
        fresh.is_valid()
        conflict = {
            "rows": diff_values(
                _jsonable(self.object_values(obj)), _jsonable(self.form_values(form))
            ),
            "since": versions.changes_since(history.entries, sent, self.version_column),
            "saved_at": getattr(obj, self.version_column, None),
        }
        return self.form_page(fresh, obj, conflict=conflict, status=409)


class ObjectDeleteView(ObjectView):
    """GET: the confirmation page (what else refers to the row, optionally "type its name").
    POST: audited.delete, then the list."""

    template_attr = "delete_template_name"
    success_message = "“{label}” is deleted."
    confirm_field: str | None = None  # a column the user types to confirm (e.g. "name")
    warning = "It is removed for everyone; the audit trail keeps a copy of it."

    def references(self, obj) -> list[tuple[str, str | None]]:
        """What else refers to this row: (text, URL or None) pairs shown before deleting."""
        return []

    def confirm_value(self, obj) -> str | None:
        return str(getattr(obj, self.confirm_field)) if self.confirm_field else None

    def page(self, obj, *, error=None, status=200):
        return self.render_page(
            {
                "object": obj,
                "references": self.references(obj),
                "confirm_value": self.confirm_value(obj),
                "warning": self.warning,
                "error": error,
            },
            status=status,
        )

    def get(self, request, *args, **kwargs):
        return self.page(self.get_object())

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        expected = self.confirm_value(obj)
        if expected is not None and request.POST.get("confirm", "").strip() != expected:
            return self.page(obj, error=f"Type “{expected}” to confirm.", status=400)
        label = self.object_label(obj)
        try:
            audited.delete(audited.Actor.from_request(request), obj)
        except audited.WriteFailed as exc:
            return self.page(obj, error=exc.message, status=400)
        messages.success(request, self.success_message.format(label=label))
        return redirect(self.list_url())


class ObjectHistoryView(ObjectView):
    """The History tab: the record's audit rows, newest first, older ones in pages."""

    write = False
    template_attr = "history_template_name"
    history_access = (Access.READ, Access.WRITE)  # who reads audit rows of this area

    def get(self, request, *args, **kwargs):
        if access(request.console_user.role, self.area) not in self.history_access:
            raise PermissionDenied("Your role cannot see the history of this.")
        obj = self.get_object()
        try:
            history = object_history(self.table, obj.pk, before=request.GET.get("before"))
        except ValueError:
            return HttpResponseBadRequest("That page of the history does not exist.")
        return self.render_page(
            {"object": obj, "history": history, "history_template": HISTORY_TEMPLATE}
        )


GENERIC = {
    "create": ObjectCreateView,
    "edit": ObjectEditView,
    "delete": ObjectDeleteView,
    "history": ObjectHistoryView,
}
ROUTES = {
    "create": "new/",
    "edit": "<{pk}:pk>/edit/",
    "delete": "<{pk}:pk>/delete/",
    "history": "<{pk}:pk>/history/",
}


def object_urls(
    name: str, declarations=None, *, prefix: str = "", pk: str = "uuid", **views
) -> list:
    """URL patterns `<name>_create` (<prefix>new/), `<name>_edit`, `<name>_delete`,
    `<name>_history` (<prefix><pk>/edit/ …). Each view is the class passed by keyword, or the
    generic view with `declarations` (an ObjectView subclass) mixed in; `edit=False` leaves
    one out."""
    patterns = []
    for kind, generic in GENERIC.items():
        view = views.get(kind)
        if view is False or (view is None and declarations is None):
            continue
        if view is None:
            view = type(f"{declarations.__name__}{kind.title()}", (declarations, generic), {})
        route = prefix + ROUTES[kind].format(pk=pk)
        patterns.append(path(route, view.as_view(), name=f"{name}_{kind}"))
    return patterns
