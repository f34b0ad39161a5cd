"""A GoTrue-compatible auth server for local use and tests (stands in for Supabase Auth)."""
