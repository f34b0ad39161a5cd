"""The knowledge base: list and search, an entry's page, create and edit (with a Markdown
preview and a check for concurrent edits), publish and unpublish, delete (admins), bulk
actions, categories and tags, export and import.

Admins and editors write, auditors read, viewers read active entries only; the database's
RLS says the same (and only admins delete there too)."""

import json
from functools import cached_property

from django.contrib import messages
from django.db import connection
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_tables2.data import TableData

from console import audited, confirmations
from console.bulk import BulkAction, BulkActionView
from console.export import Column, filtered_export
from console.lists import ObjectListView
from console.markdown import render_markdown
from console.objects import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectEditView,
    ObjectView,
    object_history,
)
from console.permissions import area_required
from console.registry import access
from console.roles import Access, Role
from console.suggestions import options_response
from console.users.models import Profile
from knowledge import imports
from knowledge.filters import SORTS, EntryFilterSet
from knowledge.forms import (
    MAX_CONTENT_LENGTH,
    MAX_TAGS,
    CategoryActionForm,
    EntryEditForm,
    EntryForm,
    ImportForm,
    TagActionForm,
    entry_values,
)
from knowledge.models import Entry
from knowledge.search import LIST_FIELDS, RankedResults
from knowledge.tables import EntryTable

TABLE = Entry._meta.db_table
IMPORT_SESSION_KEY = "knowledge_import"


def category_names() -> list[str]:
    """The categories in use (as the user may see them), through the (category, is_active)
    index: one probe per category instead of reading every row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "with recursive c (category) as ("
            " (select category from public.knowledge_base_entries"
            "  where category is not null order by category limit 1)"
            " union all"
            " select (select e.category from public.knowledge_base_entries e"
            "  where e.category > c.category order by e.category limit 1)"
            " from c where c.category is not null)"
            " select category from c where category is not null limit 500"
        )
        return [row[0] for row in cursor.fetchall()]


# ---------- Bulk actions ----------


def _only_changes(changes):
    """A row already in the wanted state is left alone: no write, no audit row."""

    def run(actor, entry, data):
        wanted = changes(entry, data)
        changed = {k: v for k, v in wanted.items() if getattr(entry, k) != v}
        if changed:
            audited.update(actor, entry, **changed)

    return run


def _with_tag(entry, data):
    tags = list(entry.tags or [])
    if data["tag"] not in tags:
        if len(tags) >= MAX_TAGS:
            raise audited.WriteFailed(f"“{entry.title}” already has {MAX_TAGS} tags.")
        tags.append(data["tag"])
    return {"tags": tags}


def _without_tag(entry, data):
    return {"tags": [tag for tag in (entry.tags or []) if tag != data["tag"]]}


class EntryBulkView(BulkActionView):
    area = "knowledge"
    queryset = Entry.objects.all()
    filterset_class = EntryFilterSet
    list_url_name = "knowledge:entry_list"
    actions = (
        BulkAction("publish", "Publish", run=_only_changes(lambda e, d: {"is_active": True})),
        BulkAction("unpublish", "Unpublish", run=_only_changes(lambda e, d: {"is_active": False})),
        BulkAction(
            "set_category",
            "Set the category",
            run=_only_changes(lambda e, d: {"category": d["category"]}),
            form_class=CategoryActionForm,
        ),
        BulkAction("add_tag", "Add a tag", run=_only_changes(_with_tag), form_class=TagActionForm),
        BulkAction(
            "remove_tag", "Remove a tag", run=_only_changes(_without_tag), form_class=TagActionForm
        ),
    )


# ---------- The list ----------


class RankedData(TableData):
    """Table data in relevance order (knowledge.search.RankedResults): the order is the
    ranking's, so the table does not sort it."""

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return iter(self.data[0 : len(self.data.pool)])  # the ranked part; pages slice

    def order_by(self, aliases):
        pass

    @property
    def model(self):
        return Entry


class EntryListView(ObjectListView):
    area = "knowledge"
    title = "Knowledge base"
    # Only what the table shows: the text stays in the database (the snippets of a search
    # are made there), and so do the metadata and the author.
    queryset = Entry.objects.only(*LIST_FIELDS)
    table_class = EntryTable
    filterset_class = EntryFilterSet
    template_name = "knowledge/entry_list.html"
    create_url_name = "knowledge:entry_create"
    bulk_view = EntryBulkView
    bulk_url_name = "knowledge:entry_bulk"
    export_url_name = "knowledge:entry_export"

    @property
    def search(self):
        search = self.filterset.search
        return search if search and not search.empty else None

    def ranks(self) -> bool:
        """Relevance order: a search, and no other order asked for."""
        return self.search is not None and self.sorted_by_relevance()

    def sorted_by_relevance(self) -> bool:
        return self.request.GET.get("sort") not in dict(SORTS)

    def get_filterset_kwargs(self, filterset_class):
        """In relevance order, the search reads the page's rows with its ranking: it is told
        which page that is (the paginator's slice of it, for a page number in range)."""
        kwargs = super().get_filterset_kwargs(filterset_class)
        if self.sorted_by_relevance():
            try:
                page = max(int(self.request.GET.get("page", 1)), 1)
            except ValueError:
                page = 1
            start = (page - 1) * self.page_size()
            kwargs["window"] = (start, start + self.page_size())
        return kwargs

    def get_table_data(self):
        if self.ranks():
            self.ranked = RankedResults(self.filterset.unsearched, self.search)
            return RankedData(self.ranked)
        if self.search:
            self.object_list = self.search.with_snippets(self.object_list)
        return super().get_table_data()

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if self.ranks():
            kwargs["order_by"] = ()
        return kwargs

    def count_rows(self) -> tuple[int, bool]:
        """A search counts itself: as the user, under RLS, the planner cannot estimate a
        full-text match (knowledge.search.Pool has the search functions' own count)."""
        ranked = getattr(self, "ranked", None)
        if ranked is not None:
            count = len(ranked)
            return count, ranked.approximate
        if self.search is None:
            return super().count_rows()
        pool = self.search.pool
        if not pool.complete:
            return pool.matches, not pool.exact
        return self.object_list.count(), False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = self.filterset.search
        ranked = getattr(self, "ranked", None)
        context.update(
            table_template="knowledge/_entry_table.html",
            search=search,
            ranked=ranked,
            ranked_pool=len(ranked.pool) if ranked else 0,
        )
        return context


@area_required("knowledge")
def category_options(request):
    """The categories as <option>s for the list's category filter, fetched when the field is
    first focused: the list itself (every search, every page) does not read them."""
    return options_response(request, category_names())


# ---------- One entry ----------


def _author(request, user_id) -> dict | None:
    if user_id is None:
        return None
    me = str(user_id) == str(request.console_user.id)
    # RLS: admins and auditors see every profile, everyone else only their own.
    email = Profile.objects.filter(pk=user_id).values_list("email", flat=True).first()
    return {"id": user_id, "me": me, "email": email}


def _history(request, entry):
    # Editors, admins and auditors read an entry's history (private.record_history agrees).
    if access(request.console_user.role, "knowledge") in (Access.READ, Access.WRITE):
        return object_history(TABLE, entry.pk)
    return None


@area_required("knowledge")
def entry_detail(request, pk):
    entry = get_object_or_404(Entry, pk=pk)
    role = request.console_user.role
    return render(
        request,
        "knowledge/entry_detail.html",
        {
            "area": "knowledge",
            "entry": entry,
            "content_html": render_markdown(entry.content),
            "metadata_json": json.dumps(
                entry.metadata, indent=2, ensure_ascii=False, sort_keys=True
            )
            if entry.metadata is not None
            else "",
            "author": _author(request, entry.created_by),
            "history": _history(request, entry),
            "can_write": access(role, "knowledge").can_write,
            "can_delete": role is Role.ADMIN,
        },
    )


# ---------- Create, edit, delete, history: the generic object views ----------


class EntryObject(ObjectView):
    """What the knowledge base's create, edit, delete and history pages share."""

    area = "knowledge"
    model = Entry
    form_class = EntryForm
    detail_url_name = "knowledge:entry_detail"
    list_url_name = "knowledge:entry_list"
    url_base = "knowledge:entry"
    form_template_name = "knowledge/entry_form.html"
    delete_template_name = "knowledge/entry_delete.html"

    @cached_property
    def categories(self) -> list[str]:
        return category_names()

    def get_form_kwargs(self):
        return {"categories": self.categories}

    def object_values(self, obj):
        return entry_values(obj)

    def form_values(self, form):
        return form.values()

    def get_extra_context(self, obj=None, form=None):
        if form is None:
            return {"entry": obj}
        return {
            "entry": obj,
            "categories": self.categories,
            "preview": render_markdown(form["content"].value() or ""),
        }


class EntryCreateView(EntryObject, ObjectCreateView):
    create_title = "New knowledge entry"

    def extra_values(self):
        return {"created_by": self.request.console_user.id}


class EntryEditView(EntryObject, ObjectEditView):
    form_class = EntryEditForm


class EntryDeleteView(EntryObject, ObjectDeleteView):
    allowed_roles = (Role.ADMIN,)  # RLS agrees: only admins delete entries
    refused_message = "Only admins delete knowledge entries; unpublish it instead."
    warning = (
        "The entry is removed for everyone; the audit trail keeps a copy of it. To hide it "
        "from viewers but keep it, unpublish it instead."
    )


@require_POST
@area_required("knowledge", write=True)
def entry_publish(request, pk, active: bool):
    entry = get_object_or_404(Entry, pk=pk)
    word = "published" if active else "unpublished"
    if bool(entry.is_active) == active:
        messages.info(request, f"“{entry.title}” was already {word}.")
    else:
        try:
            audited.update(audited.Actor.from_request(request), entry, is_active=active)
        except audited.WriteFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{entry.title}” is {word}.")
    return redirect("knowledge:entry_detail", pk=entry.pk)


@require_POST
@area_required("knowledge", write=True)
def entry_preview(request):
    """The content as the entry page will show it: rendered here and sanitised."""
    text = request.POST.get("content", "")[:MAX_CONTENT_LENGTH]
    return render(request, "knowledge/_preview.html", {"html": render_markdown(text)})


# ---------- Categories and tags ----------

MAX_TAGS_SHOWN = 300


@area_required("knowledge")
def categories(request):
    category_counts = list(
        Entry.objects.exclude(category=None)
        .values("category")
        .annotate(entries=Count("pk"))
        .order_by("category")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "select tag, count(*) from public.knowledge_base_entries, unnest(tags) as tag"
            " group by tag order by count(*) desc, tag limit %s",
            [MAX_TAGS_SHOWN + 1],
        )
        tag_counts = cursor.fetchall()
    return render(
        request,
        "knowledge/categories.html",
        {
            "area": "knowledge",
            "can_write": access(request.console_user.role, "knowledge").can_write,
            "category_counts": category_counts,
            "tag_counts": tag_counts[:MAX_TAGS_SHOWN],
            "more_tags": len(tag_counts) > MAX_TAGS_SHOWN,
        },
    )


# ---------- Export and import ----------

EXPORT_COLUMNS = [
    Column("id", lambda e: e.pk),
    Column("title", lambda e: e.title),
    Column("content", lambda e: e.content),
    Column("category", lambda e: e.category),
    Column("tags", lambda e: list(e.tags or [])),
    Column("metadata", lambda e: e.metadata),
    Column("is_active", lambda e: e.is_active),
    Column("created_by", lambda e: e.created_by),
    Column("created_at", lambda e: e.created_at),
    Column("updated_at", lambda e: e.updated_at),
]


@area_required("knowledge")
def entry_export(request):
    """The list's current filter and search as CSV or JSON Lines, streamed, audited."""
    return filtered_export(
        request,
        EntryFilterSet,
        Entry.objects.all(),
        columns=EXPORT_COLUMNS,
        filename="knowledge",
        table_name=TABLE,
    )


@area_required("knowledge", write=True)
def entry_import(request):
    """GET: the upload form. POST with a file: the dry run (nothing is written). POST with
    the dry run's token: the import itself, of the same file, checked again."""
    form, plan, problem = ImportForm(), None, None
    if request.method == "POST" and request.POST.get("token"):
        stored = request.session.get(IMPORT_SESSION_KEY) or {}
        if stored.get("token") != request.POST["token"]:
            refused = confirmations.NotConfirmed(
                "That dry run is out of date; nothing was imported. Upload the file again."
            )
            back = reverse("knowledge:entry_import")
            return confirmations.refused_response(request, refused, back, title="Import")
        try:
            plan = imports.plan(stored["name"], stored["text"], category_names())
        except imports.ImportError_ as exc:
            problem = str(exc)
        else:
            if plan.errors:
                problem = "The entries changed since the dry run: fix these rows first."
            else:
                try:
                    created, updated = imports.apply(
                        plan,
                        audited.Actor.from_request(request),
                        token=request.POST["token"],
                        text=stored["text"],
                    )
                except confirmations.AlreadyApplied:
                    refused = confirmations.AlreadyApplied(
                        f"{plan.name} was already imported; nothing was imported again."
                    )
                    back = reverse("knowledge:entry_list")
                    return confirmations.refused_response(request, refused, back, title="Import")
                except confirmations.NotConfirmed as exc:
                    back = reverse("knowledge:entry_import")
                    return confirmations.refused_response(request, exc, back, title="Import")
                except audited.WriteFailed as exc:
                    problem = f"Nothing was imported. {exc.message}"
                else:
                    request.session.pop(IMPORT_SESSION_KEY, None)
                    messages.success(
                        request, f"Imported {plan.name}: {created} created, {updated} updated."
                    )
                    return redirect("knowledge:entry_list")
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = imports.decode(upload.read(imports.MAX_IMPORT_BYTES + 1))
                plan = imports.plan(upload.name, text, category_names())
            except imports.ImportError_ as exc:
                form.add_error("file", str(exc))
            else:
                token = imports.confirmation(request.console_user.id, text)  # one import
                request.session[IMPORT_SESSION_KEY] = {
                    "token": token,
                    "name": upload.name[:200],
                    "text": text,
                }
                return _import_page(request, form, plan, token=token)
    status = 400 if (form.errors or problem) else 200
    return _import_page(request, form, plan, problem=problem, status=status)


def _import_page(request, form, plan, *, token=None, problem=None, status=200):
    return render(
        request,
        "knowledge/import.html",
        {
            "area": "knowledge",
            "can_write": True,
            "form": form,
            "plan": plan,
            "token": token if plan and not plan.errors and plan.writes else None,
            "problem": problem,
            "max_rows": imports.MAX_IMPORT_ROWS,
            "list_url": reverse("knowledge:entry_list"),
        },
        status=status,
    )
