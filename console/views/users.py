from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from console import audit
from console.filters import ProfileFilterSet
from console.forms import DisplayNameForm
from console.lists import ObjectListView
from console.models import Profile
from console.permissions import area_required, signed_in_required
from console.tables import ProfileTable


class UserListView(ObjectListView):
    area = "users"
    title = "Users"
    queryset = Profile.objects.all()
    table_class = ProfileTable
    filterset_class = ProfileFilterSet


@area_required("users")
def user_detail(request, pk):
    profile = get_object_or_404(Profile, pk=pk)
    return render(request, "console/user_detail.html", {"profile": profile, "area": "users"})


@signed_in_required
def my_profile(request):
    profile = get_object_or_404(Profile, pk=request.console_user.id)
    form = DisplayNameForm(request.POST or None, initial={"display_name": profile.display_name})
    if request.method == "POST" and form.is_valid():
        try:
            audit.update(
                audit.Actor.from_request(request),
                profile,
                display_name=form.cleaned_data["display_name"],
            )
        except audit.WriteFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("console:my_profile")
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request, "console/my_profile.html", {"profile": profile, "form": form}, status=status
    )
