-- db_migrate: no-transaction
-- The actor filter by a snapshot email, in the trail's keyset order. audit_logs is the big
-- table (a million rows in the benchmark): built concurrently, so writes go on meanwhile.
-- `db_migrate` runs this file outside a transaction, one statement at a time, and drops an
-- invalid index a failed earlier attempt left. (`supabase db push` runs a file in one
-- transaction: there, apply it with `supabase db push` after removing `concurrently`, or run
-- it in the SQL editor first.)
create index concurrently if not exists idx_audit_logs_actor_email_keyset
  on public.audit_logs (actor_email, created_at desc, id desc);
