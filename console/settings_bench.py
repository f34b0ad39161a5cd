"""Settings for the benchmark only (`make bench`): the console's own settings plus the stock
Django admin over the same unmanaged models, so that the bench can time the admin's
changelists next to the console's lists on the same data, in the same process.

The product does not ship the admin: nothing but `bench/` uses this module.
"""

from console.settings import *  # noqa: F403
from console.settings import INSTALLED_APPS, MIDDLEWARE, TEMPLATES

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "bench",  # bench/admin.py registers the ModelAdmins
]

MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)

TEMPLATES = [dict(TEMPLATES[0], OPTIONS=dict(TEMPLATES[0]["OPTIONS"]))]
TEMPLATES[0]["OPTIONS"]["context_processors"] = [
    *TEMPLATES[0]["OPTIONS"]["context_processors"],
    "django.contrib.auth.context_processors.auth",
]

ROOT_URLCONF = "bench.urls"
