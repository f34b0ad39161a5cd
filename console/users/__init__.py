"""User administration: the users list's model, the admin actions (Supabase Auth's admin API
with the audited write) and a user's recent activity."""
