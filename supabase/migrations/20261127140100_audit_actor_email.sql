-- The audit trail keeps its actors (issue 10): each row takes a snapshot of its actor's email
-- when it is written, so it still names them after they change email or are deleted, and the
-- actor filter finds a deleted user's rows by their old email. audit_logs.user_id has no
-- foreign key (an adopted project's `on delete set null` is dropped by
-- 20261122000000_adopt_existing_backend.sql): the rows keep the id as it was.
--
-- Stored lower-case, as Supabase Auth stores emails: the filter compares with `=`, which is
-- leakproof, so its index serves a signed-in user under RLS. Rows written before have none;
-- the console falls back to the profile's email for them.

alter table public.audit_logs add column if not exists actor_email text;

-- A trigger, not the audit functions, fills it: every writer of audit rows gets it.
create or replace function private.snapshot_actor_email() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.actor_email is null and new.user_id is not null then
    new.actor_email := lower(coalesce(
      (select p.email from public.profiles p where p.id = new.user_id and p.email <> ''),
      (select u.email from auth.users u where u.id = new.user_id)));
  end if;
  return new;
end
$$;
revoke all on function private.snapshot_actor_email() from public;

drop trigger if exists audit_logs_actor_email on public.audit_logs;
create trigger audit_logs_actor_email before insert on public.audit_logs
  for each row execute function private.snapshot_actor_email();
