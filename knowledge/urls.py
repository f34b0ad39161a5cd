from django.urls import path

from console.objects import object_urls
from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.EntryListView.as_view(), name="entry_list"),
    # new/, <pk>/edit/, <pk>/delete/, <pk>/history/: the generic object views
    *object_urls(
        "entry",
        views.EntryObject,
        create=views.EntryCreateView,
        edit=views.EntryEditView,
        delete=views.EntryDeleteView,
    ),
    path("preview/", views.entry_preview, name="entry_preview"),
    path("bulk/", views.EntryBulkView.as_view(), name="entry_bulk"),
    path("categories/", views.categories, name="categories"),
    path("categories/options/", views.category_options, name="category_options"),
    path("export/", views.entry_export, name="entry_export"),
    path("import/", views.entry_import, name="entry_import"),
    path("<uuid:pk>/", views.entry_detail, name="entry_detail"),
    path("<uuid:pk>/publish/", views.entry_publish, {"active": True}, name="entry_publish"),
    path("<uuid:pk>/unpublish/", views.entry_publish, {"active": False}, name="entry_unpublish"),
]
