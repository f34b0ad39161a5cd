"""The deployments area's writes, for admins (every other role gets 403, and RLS refuses
their writes too): create a draft, edit drafts and staging versions, delete drafts, promote,
retire, roll back, clean up. Each goes through deployments.lifecycle, which writes through the
audited write; the database's lifecycle rules stand behind every one of them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import audited, confirmations
from console.objects import ObjectCreateView, ObjectDeleteView, ObjectEditView, ObjectView
from console.permissions import area_required
from deployments import cleanup, lifecycle
from deployments.forms import CleanupForm, PackageForm, ReasonForm, RollbackForm
from deployments.models import EDITABLE, Package, Status
from deployments.views import AREA, version_diff


def _actor(request) -> audited.Actor:
    return audited.Actor.from_request(request)


def _refused_into(form, exc: audited.WriteFailed) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.message)


# ---------- Create, edit, delete: the generic object views (console/objects.py) ----------


class PackageObject(ObjectView):
    area = AREA
    model = Package
    form_class = PackageForm
    detail_url_name = "deployments:package_detail"
    list_url_name = "deployments:package_list"
    url_base = "deployments:package"
    form_template_name = "deployments/package_form.html"
    delete_template_name = "deployments/package_delete.html"

    def get_form_kwargs(self) -> dict:
        # The (name, version) check leaves out the version being edited.
        return {"package_id": self.kwargs.get("pk")}


class PackageCreate(PackageObject, ObjectCreateView):
    """A new version is a draft, created by the admin (the database makes sure of both)."""

    create_title = "New deployment package"
    success_message = "{label} is saved as a draft."

    def get_initial(self) -> dict:
        return {"package_type": "agent"}

    def extra_values(self) -> dict:
        return {"status": Status.DRAFT, "created_by": self.request.console_user.id}


class PackageEdit(PackageObject, ObjectEditView):
    """Drafts and staging versions only: deployed and retired ones are what ran (the database
    refuses their changes too); their edit page is not there."""

    version_name = "form_version"  # the model has a `version` column
    success_message = "{label} is saved."

    def get_queryset(self):
        return Package.objects.filter(status__in=EDITABLE)


class PackageDelete(PackageObject, ObjectDeleteView):
    """Drafts only (cleanup removes old retired versions)."""

    success_message = "{label} is deleted."
    warning = "The draft is removed for everyone; the audit trail keeps a copy of it."

    def get_queryset(self):
        return Package.objects.filter(status=Status.DRAFT)


# ---------- Lifecycle steps ----------


def _status_change(request, pk, change, done: str):
    package = get_object_or_404(Package, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("reason", ["Check the reason."])))
        return redirect("deployments:package_detail", pk=package.pk)
    try:
        package = change(_actor(request), package, form.cleaned_data["reason"])
    except audited.WriteFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{package} is {package.status}.{done}")
    return redirect("deployments:package_detail", pk=package.pk)


@require_POST
@area_required(AREA, write=True)
def package_promote(request, pk):
    return _status_change(request, pk, lifecycle.promote, "")


@require_POST
@area_required(AREA, write=True)
def package_retire(request, pk):
    return _status_change(request, pk, lifecycle.retire, "")


@area_required(AREA, write=True)
def package_rollback(request, pk):
    """GET: the versions to roll back to; with ?target=<id>, that version's differences from
    what is deployed now, a warning, and the reason to give. POST target=<id>&reason=…"""
    package = get_object_or_404(Package, pk=pk)
    targets = list(lifecycle.rollback_targets(package))
    current = lifecycle.deployed_now(package)
    posted = request.method == "POST"
    wanted = (request.POST if posted else request.GET).get("target")
    form = RollbackForm(request.POST if posted else None, initial={"target": wanted})
    target = None
    if wanted:
        field = RollbackForm().fields["target"]
        try:
            wanted_id = field.clean(wanted)
        except Exception:  # noqa: BLE001 - any malformed id is the same bad request
            wanted_id = None
        target = next((t for t in targets if t.pk == wanted_id), None)
        if target is None:
            return _rollback_page(
                request,
                package,
                targets,
                current,
                None,
                form,
                error="Choose one of the versions below: only retired versions of this "
                "package that were deployed before can be rolled back to.",
                status=400,
            )
    if request.method == "POST" and target is not None and form.is_valid():
        try:
            lifecycle.rollback(_actor(request), target, form.cleaned_data["reason"])
        except audited.WriteFailed as exc:
            _refused_into(form, exc)
        else:
            messages.success(
                request,
                f"Rolled back: {target} is deployed"
                + (f", {current} is retired." if current else "."),
            )
            return redirect("deployments:package_detail", pk=target.pk)
    status = 400 if posted else 200
    return _rollback_page(request, package, targets, current, target, form, status=status)


def _rollback_page(request, package, targets, current, target, form, *, error=None, status=200):
    diff = version_diff(current, target) if (current and target) else None
    return render(
        request,
        "deployments/rollback.html",
        {
            "area": AREA,
            "package": package,
            "targets": targets,
            "live": current,
            "target": target,
            "diff": diff,
            "differs": any(row.changed for row in diff or ()),
            "form": form,
            "error": error,
            "can_write": True,
        },
        status=status,
    )


@area_required(AREA, write=True)
def package_cleanup(request):
    """GET: a dry run (what would go); POST: delete it."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = CleanupForm(data, initial={"days": cleanup.DEFAULT_DAYS, "keep": cleanup.DEFAULT_KEEP})
    if data is None:
        found = cleanup.plan()
    elif form.is_valid():
        days, keep = form.cleaned_data["days"], form.cleaned_data["keep"]
        again = f"{request.path}?days={days}&keep={keep}"
        if request.method == "POST":
            token = request.POST.get("confirmation", "")  # from the dry run's page only
            try:
                done = cleanup.apply(_actor(request), days, keep, token=token)
            except confirmations.Refused as exc:
                return confirmations.refused_response(request, exc, again, title="Cleanup")
            except audited.WriteFailed as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Cleanup: {len(done)} version(s) deleted.")
            return redirect(again)
        found = cleanup.plan(days, keep)
    else:
        found = None
    token = None
    if found is not None and found.packages:
        token = cleanup.confirmation(request.console_user.id, found)
    return render(
        request,
        "deployments/cleanup.html",
        {"area": AREA, "form": form, "plan": found, "can_write": True, "confirmation": token},
        status=200 if found is not None else 400,
    )
