"""The site's URLs plus a small area built from declarations alone on the generic object views
(console.objects), over the agents' table: what tests/test_object_views.py drives."""

from django import forms
from django.urls import include, path

from agents.models import Agent
from console.forms import JSONObjectField
from console.objects import ObjectView, object_urls
from console.site_urls import urlpatterns as site_urlpatterns


class AgentForm(forms.Form):
    name = forms.CharField(max_length=100)
    type = forms.CharField(max_length=50)
    is_active = forms.BooleanField(required=False)
    configuration = JSONObjectField(required=False)


class AgentObject(ObjectView):
    area = "agents"
    model = Agent
    form_class = AgentForm
    detail_url_name = "agents:agent_detail"
    list_url_name = "agents:agent_list"
    url_base = "objtest:agent"
    confirm_field = "name"

    def references(self, obj):
        return [(f"Crew “{name}” runs it", None) for name in ("Night shift",)]


urlpatterns = [
    path("objtest/", include((object_urls("agent", AgentObject), "objtest"))),
    *site_urlpatterns,
]
