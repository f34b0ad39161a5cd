import django_tables2 as tables

from console.models import Profile


class ProfileTable(tables.Table):
    email = tables.Column(linkify=("console:user_detail", {"pk": tables.A("pk")}))
    display_name = tables.Column(verbose_name="Name", default="—")
    role = tables.TemplateColumn(template_name="console/cells/role.html")
    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i")

    class Meta:
        model = Profile
        fields = ("email", "display_name", "role", "created_at")
        order_by = ("-created_at",)
        empty_text = "No users match these filters."
