"""gunicorn settings for production: `gunicorn` (with no arguments) in the project folder.

Everything comes from the environment: PORT, WEB_CONCURRENCY (workers), GUNICORN_THREADS,
FORWARDED_ALLOW_IPS (the reverse proxy's address, for X-Forwarded-Proto).
"""

import multiprocessing
import os

wsgi_app = "console.wsgi:application"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# Query strings may carry one-time tokens (password links): log the path only.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


def post_worker_init(worker):
    """The application is loaded: the collector's settings for serving requests."""
    from console.gc_tuning import tune_for_requests

    tune_for_requests()
