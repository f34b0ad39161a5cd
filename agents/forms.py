"""Forms of agents and crew runs: what an admin edits. The database has the last word on
statuses (check constraints, the run lifecycle guard); these say the same in words first."""

from django import forms

from agents.crews import STATUSES, allowed_statuses
from agents.filters import AGENT_STATUSES, CREW_STATUSES
from console.forms import JSONObjectField

MAX_NAME_LENGTH = 120
MAX_TYPE_LENGTH = 60


def _one_line(value) -> str:
    return " ".join(str(value or "").split())


class AgentForm(forms.Form):
    name = forms.CharField(label="Name", max_length=MAX_NAME_LENGTH)
    type = forms.CharField(
        label="Type",
        max_length=MAX_TYPE_LENGTH,
        help_text="Choose an existing type or type a new one.",
        widget=forms.TextInput(attrs={"list": "agent-types", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(label="Status", choices=AGENT_STATUSES, initial="active")
    is_active = forms.BooleanField(label="Operational (is_active)", required=False, initial=True)
    configuration = JSONObjectField(
        label="Configuration",
        empty_object=True,
        help_text='A JSON object, e.g. {"model": "gpt-large", "temperature": 0.2}.',
    )

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.types = list(types)

    def clean_name(self):
        name = _one_line(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Give the agent a name.")
        return name

    def clean_type(self):
        value = _one_line(self.cleaned_data["type"])
        if not value:
            raise forms.ValidationError("Choose a type or type a new one.")
        for existing in self.types:  # the spelling in use when only the case differs
            if existing.lower() == value.lower():
                return existing
        return value


def agent_values(agent) -> dict:
    return {
        "name": agent.name,
        "type": agent.type,
        "status": agent.status,
        "is_active": bool(agent.is_active),
        "configuration": agent.configuration or {},
    }


class RunForm(forms.Form):
    """A run's configuration and status; the status may only move along the lifecycle from
    `current` (pending → running → complete | failed)."""

    status = forms.ChoiceField(label="Status", choices=CREW_STATUSES)
    configuration = JSONObjectField(
        label="Configuration",
        empty_object=True,
        help_text='The run\'s workflow; name its agents by id or name in "agents": [ … ].',
    )

    def __init__(self, *args, current: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        if current in STATUSES:
            self.fields["status"].help_text = "Next: " + (
                " or ".join(allowed_statuses(current)[1:]) or "none, the run has finished"
            )

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.current and status not in allowed_statuses(self.current):
            raise forms.ValidationError(
                f"A run cannot go from {self.current} to {status}: "
                "a run goes pending → running → complete or failed."
            )
        return status


def run_values(run) -> dict:
    return {"status": run.status, "configuration": run.configuration or {}}


class SetStatusForm(forms.Form):
    """The bulk action's input: the status to give the selected agents."""

    status = forms.ChoiceField(label="Status", choices=AGENT_STATUSES)
