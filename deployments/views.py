from console.details import detail_view
from console.lists import ObjectListView
from deployments.filters import PackageFilterSet
from deployments.models import Package
from deployments.tables import PackageTable


class PackageListView(ObjectListView):
    area = "deployments"
    title = "Deployment packages"
    queryset = Package.objects.all()
    table_class = PackageTable
    filterset_class = PackageFilterSet


package_detail = detail_view("deployments", Package)
