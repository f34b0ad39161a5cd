-- Retention (issue 12 and issue 14, seed 004, seed 000 Part 7.2): a policy per table that
-- grows for ever, a count of what a run would delete, and deletion in batches.
--
-- public.retention_policies: admins and auditors read, admins change (keep_days, enabled);
-- the console records each run in last_run and last_counts.
-- audit_logs stays append-only for everyone: its rows go only through
-- private.apply_retention_batch, which grants itself the deletion for its own transaction in
-- private.retention_grants (which no API role can write), and never deletes a
-- RETENTION row (the record of earlier runs). A run is audited as one RETENTION row with its
-- counts, not one row per deleted sample: where the per-row audit trigger of issue 9
-- (audit_row_change) is on system_performance_logs, it skips rows deleted under that grant.

create table if not exists public.retention_policies (
  table_name text primary key
    check (table_name in ('system_performance_logs', 'audit_logs')),
  keep_days integer not null check (keep_days between 1 and 36500),
  enabled boolean not null default false,
  last_run timestamptz,
  last_counts jsonb,
  updated_at timestamptz not null default now(),
  -- what an audit row names as the record (the audit trigger reads a uuid column `id`)
  id uuid not null default gen_random_uuid() unique
);
insert into public.retention_policies (table_name, keep_days, enabled) values
  ('system_performance_logs', 90, true),
  ('audit_logs', 365, false)
on conflict (table_name) do nothing;

alter table public.retention_policies enable row level security;
-- Only what the pages need: read the policies, and admins (RLS) change them.
revoke all on public.retention_policies from anon, authenticated, service_role;
grant select, update on public.retention_policies to authenticated, service_role;
drop policy if exists retention_policies_select on public.retention_policies;
create policy retention_policies_select on public.retention_policies for select to authenticated
  using ((select private.app_role()) in ('admin', 'auditor'));
drop policy if exists retention_policies_update on public.retention_policies;
create policy retention_policies_update on public.retention_policies for update to authenticated
  using ((select private.app_role()) = 'admin')
  with check ((select private.app_role()) = 'admin');

-- Who may run retention: a signed-in admin, or the console's own connection with no user
-- (the apply_retention command, cron, pg_cron). current_setting('role') is the role the
-- caller SET (authenticated for every signed-in request), which a security definer function
-- does not change.
create or replace function private.retention_caller_allowed() returns boolean
language sql stable security definer set search_path = '' as $$
  select case
    when (select auth.uid()) is not null then coalesce(private.app_role() = 'admin', false)
    else current_setting('role') not in ('authenticated', 'anon')
  end
$$;

create table if not exists private.retention_grants (
  txid bigint primary key
);
revoke all on private.retention_grants from public, anon, authenticated;

-- The append-only rule, with its one exception: a DELETE of a non-RETENTION row inside a
-- transaction that private.apply_retention_batch has granted.
create or replace function private.retention_granted() returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from private.retention_grants where txid = txid_current())
$$;
revoke all on function private.retention_granted() from public, anon;
-- Trigger conditions are evaluated as the writer: whoever writes samples may ask it.
grant execute on function private.retention_granted() to authenticated, service_role;

create or replace function private.refuse_audit_change() returns trigger
language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    if old.action <> 'RETENTION' and private.retention_granted() then
      return old;
    end if;
  end if;
  raise exception 'audit_logs is append-only: % is not allowed', tg_op using errcode = '42501';
end
$$;

create or replace function private.retention_cutoff(p_keep_days integer) returns timestamptz
language sql stable as $$
  select now() - make_interval(days => p_keep_days)
$$;

-- How many rows a run with this many days kept would delete, and the oldest row.
create or replace function private.retention_preview(p_table text, p_keep_days integer)
returns table (rows_to_delete bigint, oldest timestamptz)
language plpgsql stable security definer set search_path = '' as $$
declare
  cutoff timestamptz := private.retention_cutoff(p_keep_days);
begin
  if not private.retention_caller_allowed() then
    raise exception 'only an admin may run retention' using errcode = '42501';
  end if;
  if p_table = 'system_performance_logs' then
    return query select
      (select count(*) from public.system_performance_logs where "timestamp" < cutoff),
      (select min("timestamp") from public.system_performance_logs);
  elsif p_table = 'audit_logs' then
    return query select
      (select count(*) from public.audit_logs
        where created_at < cutoff and action <> 'RETENTION'),
      (select min(created_at) from public.audit_logs);
  else
    raise exception 'no retention for table %', p_table using errcode = '22023';
  end if;
end
$$;

-- Deletes at most p_batch rows older than the policy's cutoff; returns how many. Call it
-- until it returns less than p_batch, one transaction per call: each holds its row locks
-- only for one batch.
create or replace function private.apply_retention_batch(
  p_table text, p_keep_days integer, p_batch integer default 5000)
returns integer
language plpgsql security definer set search_path = '' as $$
declare
  cutoff timestamptz := private.retention_cutoff(p_keep_days);
  size integer := least(greatest(coalesce(p_batch, 5000), 1), 50000);
  deleted integer;
begin
  if not private.retention_caller_allowed() then
    raise exception 'only an admin may run retention' using errcode = '42501';
  end if;
  insert into private.retention_grants (txid) values (txid_current()) on conflict do nothing;
  if p_table = 'system_performance_logs' then
    delete from public.system_performance_logs
      where id in (select id from public.system_performance_logs
                   where "timestamp" < cutoff limit size);
    get diagnostics deleted = row_count;
    if deleted < size then  -- the last batch: systems that no longer report anything
      delete from private.performance_systems where last_seen < cutoff;
    end if;
  elsif p_table = 'audit_logs' then
    delete from public.audit_logs
      where id in (select id from public.audit_logs
                   where created_at < cutoff and action <> 'RETENTION' limit size);
    get diagnostics deleted = row_count;
  else
    raise exception 'no retention for table %', p_table using errcode = '22023';
  end if;
  delete from private.retention_grants where txid = txid_current();
  return deleted;
end
$$;

revoke all on function private.retention_caller_allowed() from public, anon;
revoke all on function private.retention_preview(text, integer) from public, anon;
revoke all on function private.apply_retention_batch(text, integer, integer) from public, anon;
grant execute on function private.retention_caller_allowed() to authenticated, service_role;
grant execute on function private.retention_preview(text, integer) to authenticated, service_role;
grant execute on function private.apply_retention_batch(text, integer, integer)
  to authenticated, service_role;

-- One RETENTION row per run, not one DELETE row per sample: the per-row audit trigger of
-- issue 9 (20261127000200_audit_every_write.sql, where applied) skips rows deleted under a
-- retention grant. Without that trigger, nothing to do.
do $$
begin
  if exists (select 1 from pg_trigger
             where tgname = 'audit_row_change'
               and tgrelid = 'public.system_performance_logs'::regclass) then
    drop trigger audit_row_change on public.system_performance_logs;
    create trigger audit_row_change after insert or update or delete
      on public.system_performance_logs
      for each row when (not private.retention_granted())
      execute function private.audit_row_change();
  end if;
  -- A policy change is audited like every other write, where writes are audited by trigger;
  -- a run's last_run and last_counts are not a change of policy (the run has its RETENTION
  -- row).
  if to_regprocedure('private.audit_row_change()') is not null then
    drop trigger if exists audit_row_change on public.retention_policies;
    create trigger audit_row_change after insert or delete on public.retention_policies
      for each row execute function private.audit_row_change();
    drop trigger if exists audit_row_change_policy on public.retention_policies;
    create trigger audit_row_change_policy after update on public.retention_policies
      for each row
      when (old.keep_days is distinct from new.keep_days or old.enabled is distinct from new.enabled)
      execute function private.audit_row_change();
  end if;
end
$$;

-- "older than N days" on the audit trail is a range on created_at: idx_audit_logs_created_id.

-- Internals of the functions above (they run as their owner): nobody calls them directly.
revoke execute on function private.retention_cutoff(integer) from public, anon, authenticated, service_role;
revoke execute on function private.refuse_audit_change() from public, anon, authenticated, service_role;
