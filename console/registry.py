"""The area registry: what each app offers, declared once by the app itself.

An area is a page family of the console (a list, its items, their writes): its key, its label
in the navigation, who may read or write it (mirroring Row Level Security), the model behind
it, the URL names of its list and item pages, and what the dashboard counts. Navigation,
permissions, the dashboard, the audit trail's record links and table filter, and the tests'
clean-up all read this registry; `console/` itself names no app.

An app declares its areas in its AppConfig:

    class KnowledgeConfig(AppConfig):
        name = "knowledge"

        def ready(self):
            from console.registry import Area, register
            register(Area("knowledge", "Knowledge base", "knowledge:entry_list", {...},
                          model="knowledge.Entry", detail_url="knowledge:entry_detail",
                          counted="Knowledge entries", order=20))
"""

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.apps import apps
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from console.roles import Access, Role


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    list_url: str  # URL name of the area's list
    access: Mapping[Role, Access] = field(hash=False)
    model: str | None = None  # "app_label.ModelName" of the table behind the area
    detail_url: str | None = None  # URL name of an item's page; takes the primary key
    counted: str | None = None  # the dashboard's figure label; None: not on the dashboard
    order: int = 100  # position in the navigation and on the dashboard

    def access_for(self, role: Role | None) -> Access:
        return self.access.get(role, Access.NONE) if role else Access.NONE

    @property
    def list_href(self) -> str:
        """The list's URL (reversed once, not on every page's navigation)."""
        return _reversed(self.list_url, get_urlconf(), get_script_prefix())

    @property
    def model_class(self):
        return apps.get_model(self.model) if self.model else None

    @property
    def table(self) -> str | None:
        """The database table behind the area (what audit rows name)."""
        model = self.model_class
        return model._meta.db_table if model else None

    def detail_url_for(self, pk) -> str | None:
        if not self.detail_url:
            return None
        try:
            return reverse(self.detail_url, args=[pk])
        except NoReverseMatch:
            return None


@functools.lru_cache(maxsize=256)
def _reversed(url_name: str, urlconf, prefix: str) -> str:
    return reverse(url_name, urlconf=urlconf)


@dataclass(frozen=True)
class Panel:
    """A dashboard card of an area: `template` is included with `panel` in its context, the
    dict `figures(request)` returns (None: nothing to show). Shown to roles that can list the
    area."""

    area: str
    template: str
    figures: Callable = field(hash=False)
    order: int = 100


_AREAS: dict[str, Area] = {}
_PANELS: list[Panel] = []


def register(*areas: Area) -> None:
    for area in areas:
        if area.key in _AREAS and _AREAS[area.key] != area:
            raise ValueError(f"the area {area.key!r} is declared twice")
        _AREAS[area.key] = area


def register_panel(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def panels() -> list[Panel]:
    return sorted(_PANELS, key=lambda panel: (panel.order, get(panel.area).order))


def all_areas() -> list[Area]:
    return sorted(_AREAS.values(), key=lambda area: (area.order, area.key))


def get(key: str) -> Area:
    return _AREAS[key]


def by_table(table: str | None) -> Area | None:
    """The area whose model lives in this table (for an audit row's record link)."""
    if not table:
        return None
    for area in all_areas():
        if area.model and area.table == table:
            return area
    return None


def tables() -> list[str]:
    """Every table an area shows, without duplicates, in registry order."""
    seen: list[str] = []
    for area in all_areas():
        table = area.table
        if table and table not in seen:
            seen.append(table)
    return seen


def access(role: Role | None, area_key: str) -> Access:
    return get(area_key).access_for(role)


def navigation(role: Role | None) -> list[Area]:
    """The areas a role sees in the navigation: those it can list (OWN is 'My profile')."""
    return [area for area in all_areas() if area.access_for(role).can_list]


def list_hrefs(areas: list[Area]) -> list[str]:
    """The areas' list URLs, as `Area.list_href` each, the URLconf and prefix looked up once."""
    urlconf, prefix = get_urlconf(), get_script_prefix()
    return [_reversed(area.list_url, urlconf, prefix) for area in areas]
