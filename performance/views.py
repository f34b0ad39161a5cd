from datetime import timedelta
from urllib.parse import quote_plus

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from console import audited, confirmations
from console.details import detail_view
from console.lists import KeysetListView
from console.permissions import area_required, signed_in_required
from console.roles import Role
from console.rows import cell_html
from performance import retention, series
from performance.charts import number, time_chart
from performance.dashboard import latency_sparklines
from performance.filters import SampleFilterSet
from performance.models import PerformanceLog, RetentionPolicy
from performance.query import (
    MAX_SYSTEMS,
    RANGES,
    STATS,
    SYSTEM_ID,
    SYSTEM_TYPES,
    BadQuery,
    parse,
)
from performance.tables import SampleTable

MAX_METRIC_COLUMNS = 8
LIVE_SECONDS = 15


def _default_metric(names: list[str]) -> str:
    return "latency_ms" if "latency_ms" in names else (names[0] if names else "")


def samples_url(**filters) -> str:
    query = urlencode({name: value for name, value in filters.items() if value})
    return f"{reverse('performance:sample_list')}?{query}"


def _bucket_link(query):
    """A chart point → its raw samples: the bucket's time span, of that system or type (the
    URL samples_url makes, built for hundreds of points at once)."""
    bucket = timedelta(seconds=query.bucket_seconds)
    base = reverse("performance:sample_list")
    key = "system_id" if query.system_ids else "system_type"

    def link(s, point):
        since, until = _quoted_moment(point.t), _quoted_moment(point.t + bucket)
        return f"{base}?since={since}&until={until}&{key}={quote_plus(s.key)}"

    return link


def _quoted_moment(t) -> str:
    """quote_plus(t.isoformat()), which has only digits, - T : + and . (its per-byte quoting
    took a third of a 4-series page)."""
    return t.isoformat().replace(":", "%3A").replace("+", "%2B")


@area_required("performance")
def explorer(request):
    names = series.metrics()
    context = {
        "area": "performance",
        "title": "Performance",
        "ranges": RANGES,
        "system_types": SYSTEM_TYPES,
        "stats": STATS,
        "metrics": names,
        "max_systems": MAX_SYSTEMS,
        "live_seconds": LIVE_SECONDS,
    }
    try:
        query = parse(request.GET, metric_required=False, default_metric=_default_metric(names))
        series.check_known(query, names)
    except BadQuery as exc:
        context["error"] = str(exc)
        return render(request, "performance/explorer.html", context, status=400)
    context["query"] = query
    context["options"] = _options(series.systems(query.system_type, limit=200))
    if query.metric:
        found = series.series(query)
        chart_names = series.names_of(s.key for s in found) if query.system_ids else {}
        for s in found:
            s.name = chart_names.get(s.key)
        top = series.top_systems(query)
        top_names = series.names_of(t.system_id for t in top)
        can_overlay = len(query.system_ids) < MAX_SYSTEMS
        for t in top:
            t.name = top_names.get(t.system_id)
            # the chart with this system added, for those not on it yet (while there is room)
            t.overlay_url = (
                _link(query, system_id=[*query.system_ids, t.system_id])
                if can_overlay and t.system_id not in query.system_ids
                else None
            )
        context.update(
            series=found,
            chart=time_chart(found, query.start, query.end, query.stat, _bucket_link(query)),
            top=top,
            top_span=series.TOP_SPAN if query.end - query.start > series.TOP_SPAN else None,
            summary=_summary(query, found),
            chart_data={
                "metric": query.metric,
                "stat": query.stat,
                "from": query.start.isoformat(),
                "until": query.end.isoformat(),
                "bucket_seconds": query.bucket_seconds,
                "series": [
                    {query.grouped_by: s.key, "points": [p.as_json() for p in s.points]}
                    for s in found
                ],
            },
            json_url=f"{reverse('performance:series_json')}?{query.params(stat=None).urlencode()}",
            samples_link=samples_url(
                system_type=query.system_type,
                system_id=query.system_ids[0] if len(query.system_ids) == 1 else None,
                since=query.start.isoformat(),
                until=query.end.isoformat(),
            ),
            sample_list_url=reverse("performance:sample_list"),
            chosen=[
                (
                    system_id,
                    chart_names.get(system_id),
                    _link(query, system_id=[s for s in query.system_ids if s != system_id]),
                )
                for system_id in query.system_ids
            ],
            range_links={
                key: _link(query, range=key, **{"from": None, "until": None}) for key in RANGES
            },
        )
    if request.htmx and not request.htmx.boosted:
        return render(request, "performance/explorer.html#live", context)
    return render(request, "performance/explorer.html", context)


def _link(query, **changes) -> str:
    return "?" + query.params(**changes).urlencode()


def _summary(query, found) -> str:
    """The chart in words, for screen readers and a glance."""
    label = RANGES[query.range_key][0].lower() if query.range_key in RANGES else "the range"
    if not found or not any(s.points for s in found):
        return f"No {query.metric} samples in {label}."
    parts = []
    for s in found:
        if not s.points:
            parts.append(f"{s.name or s.key}: no samples")
            continue
        worst = max(s.points, key=lambda p: getattr(p, query.stat))
        n = sum(p.n for p in s.points)
        parts.append(
            f"{s.name or s.key}: highest {query.stat} {number(getattr(worst, query.stat))}"
            f" at {worst.t:%Y-%m-%d %H:%M} UTC, latest {number(getattr(s.points[-1], query.stat))},"
            f" {n:,} samples"
        )
    return (
        f"{query.metric}, {query.stat} per bucket of {_duration(query.bucket_seconds)}, {label}: "
        + "; ".join(parts)
        + "."
    )


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


@area_required("performance")
def series_json(request):
    """GET ?metric=…&range=…[&system_type=…][&system_id=…]: the chart's data for scripts."""
    try:
        query = parse(request.GET)
        series.check_known(query)
    except BadQuery as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    found = series.series(query)
    return JsonResponse(
        {
            "metric": query.metric,
            "from": query.start.isoformat(),
            "until": query.end.isoformat(),
            "bucket_seconds": query.bucket_seconds,
            "series": [
                {query.grouped_by: s.key, "points": [p.as_json() for p in s.points]} for s in found
            ],
        }
    )


@area_required("performance")
def system_options(request):
    """<option>s for the system box's <datalist>: systems whose id or name has what was typed."""
    system_type = request.GET.get("system_type") or None
    if system_type not in (None, *SYSTEM_TYPES):
        return HttpResponseBadRequest(f"system_type: one of {', '.join(SYSTEM_TYPES)}.")
    typed = request.GET.get("q") or next(
        (v for v in reversed(request.GET.getlist("system_id")) if v), ""
    )
    typed = typed.strip()[:100]
    # No system id holds a control character (PostgreSQL's text cannot even take a NUL).
    ruled_out = typed and not SYSTEM_ID.match(typed)
    choices = [] if ruled_out else series.systems(system_type, typed, limit=20)
    return render(request, "performance/_system_options.html", {"options": _options(choices)})


def _options(choices) -> SafeString:
    """The <option>s of the system box's <datalist> (up to 200: joined here rather than by
    the template engine, a node at a time)."""
    return SafeString(
        "".join(
            cell_html('<option value="{}" label="{}">{}</option>', c.system_id, c.label, c.label)
            for c in choices
        )
    )


@area_required("performance")
def dashboard_panel(request):
    """The dashboard's latency panel alone, for its live refresh."""
    return render(
        request,
        "performance/_dashboard_latency.html",
        {"panel": latency_sparklines(request), "live_fragment": True},
    )


class SampleListView(KeysetListView):
    area = "performance"
    title = "Performance samples"
    template_name = "performance/sample_list.html"
    queryset = PerformanceLog.objects.all()
    table_class = SampleTable
    filterset_class = SampleFilterSet
    keyset = ("-timestamp", "-id")  # idx_perf_logs_*_time_keyset
    strict = True

    def get_table_kwargs(self):
        system_type = self.request.GET.get("system_type")  # (the filter's form refuses others)
        names = series.metrics(system_type if system_type in SYSTEM_TYPES else None)
        return {**super().get_table_kwargs(), "metrics": names[:MAX_METRIC_COLUMNS]}


sample_detail = detail_view("performance", PerformanceLog)


# ---------- Retention ----------


class PolicyForm(forms.Form):
    keep_days = forms.IntegerField(min_value=1, max_value=36500, label="Keep rows for (days)")
    enabled = forms.BooleanField(required=False, label="Enabled")


def _may_read_retention(request):
    role = request.console_user.role
    if role not in (Role.ADMIN, Role.AUDITOR):
        raise PermissionDenied(f"Your role ({role}) cannot see retention.")
    return role == Role.ADMIN


def _retention_confirms(policy) -> tuple:
    """What a dry run's confirmation is for: deleting from this table, older than these days."""
    return ("performance:retention", policy.table_name, policy.keep_days)


@signed_in_required
def retention_page(request):
    """Policies per table, a dry run and a run (admins); auditors read."""
    is_admin = _may_read_retention(request)
    policies = list(RetentionPolicy.objects.all())
    previews = {}
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("Only an admin may change or run retention.")
        policy = get_object_or_404(RetentionPolicy, pk=request.POST.get("table", ""))
        action = request.POST.get("action")
        actor = audited.Actor.from_request(request)
        if action == "save":
            form = PolicyForm(request.POST, prefix=policy.pk)
            if form.is_valid():
                try:
                    audited.update(actor, policy, **form.cleaned_data)
                except audited.WriteFailed as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"Policy for {policy.table_name} saved.")
                return redirect("performance:retention")
            messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        elif action == "dry_run":
            previews[policy.table_name] = retention.preview(policy.table_name, policy.keep_days)
        elif action == "apply":
            if not policy.enabled:
                messages.error(request, f"The policy for {policy.table_name} is disabled.")
                return redirect("performance:retention")
            token = request.POST.get("confirmation", "")  # from the dry run's page only
            try:
                with transaction.atomic():
                    confirmations.claim(token, actor.user_id, *_retention_confirms(policy))
                    outcome = retention.run(actor, policy, max_batches=retention.BROWSER_BATCHES)
            except confirmations.Refused as exc:
                back = reverse("performance:retention")
                return confirmations.refused_response(request, exc, back, title="Retention")
            except retention.PolicyDisabled:
                messages.error(request, f"The policy for {policy.table_name} is disabled.")
                return redirect("performance:retention")
            messages.success(
                request,
                f"{policy.table_name}: {outcome.deleted:,} rows older than {policy.keep_days}"
                f" days deleted in {outcome.batches} batch{'es' if outcome.batches != 1 else ''}."
                + (
                    ""
                    if outcome.complete
                    else " More remain: apply again, or run `python manage.py apply_retention`."
                ),
            )
            return redirect("performance:retention")
        else:
            messages.error(request, "Unknown action.")
    rows = [
        {
            "policy": p,
            "form": PolicyForm(
                initial={"keep_days": p.keep_days, "enabled": p.enabled}, prefix=p.pk
            ),
            "preview": previews.get(p.table_name),
            "confirmation": (
                confirmations.new_token(request.console_user.id, *_retention_confirms(p))
                if p.table_name in previews
                else None
            ),
        }
        for p in policies
    ]
    return render(
        request,
        "performance/retention.html",
        {
            "area": "performance",
            "title": "Retention",
            "rows": rows,
            "is_admin": is_admin,
            "batch": retention.BATCH,
            "audit_url": f"{reverse('audit:log_list')}?action=RETENTION",
        },
    )
