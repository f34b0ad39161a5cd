"""The system page (`/system/`, admins and auditors): the backend's state at a glance.

- `latency.py`: database round trips, sampled by the console itself (at most every
  SYSTEM_SAMPLE_SECONDS, when the page or /healthz is hit) into console.db_latency_samples.
- `figures.py`: what PostgreSQL and Supabase Auth say, through the security-definer readers
  of supabase/migrations/20261127170000_system_health.sql (as the user, for admins and
  auditors; query text for admins only), the expensive parts cached per worker for
  SYSTEM_CACHE_SECONDS.
- `views.py`: the page. Its area is declared by the console's own AppConfig.
"""
