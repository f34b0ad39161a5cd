from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.EntryListView.as_view(), name="entry_list"),
    path("<uuid:pk>/", views.entry_detail, name="entry_detail"),
]
