"""The stock Django admin over the console's unmanaged models: what the benchmark compares
the console's lists with. Plain declarations, as a team would write them on day one; the
page size matches the console's default (50) so both pages show the same rows."""

from django.contrib import admin

from agents.models import Agent, Crew
from console.audit_log import AuditLog
from console.users.models import Profile
from deployments.models import Package
from knowledge.models import Entry
from performance.models import PerformanceLog

PER_PAGE = 50


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user_id", "action", "table_name", "record_id", "ip_address")
    list_filter = ("action", "table_name")
    list_per_page = PER_PAGE


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "is_active", "updated_at")
    list_filter = ("category", "is_active")
    search_fields = ("title", "content")
    list_per_page = PER_PAGE


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("email", "display_name", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("email", "display_name")
    list_per_page = PER_PAGE


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "status", "is_active", "last_activity", "updated_at")
    list_filter = ("type", "status", "is_active")
    search_fields = ("name", "type")
    list_per_page = PER_PAGE


@admin.register(Crew)
class CrewAdmin(admin.ModelAdmin):
    list_display = ("created_at", "crew_name", "crew_type", "status", "last_execution")
    list_filter = ("crew_name", "status", "crew_type")
    list_per_page = PER_PAGE


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "package_type", "status", "created_at", "deployed_at")
    list_filter = ("package_type", "status")
    search_fields = ("name",)
    list_per_page = PER_PAGE


@admin.register(PerformanceLog)
class PerformanceLogAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "system_type", "system_id", "metrics")
    list_filter = ("system_type", "timestamp")
    search_fields = ("system_id",)
    list_per_page = PER_PAGE
