-- Row Level Security on all seven tables, matching the console's role matrix:
--
-- | area                                             | admin | editor  | auditor | viewer       |
-- | profiles                                         | rw    | own row | r + own | own row      |
-- | knowledge_base_entries                           | rw    | rw      | r       | r active     |
-- | ai_agents, crew_nuclear_system, perf logs        | rw    | r       | r       | r            |
-- | deployment_packages                              | rw    | r       | r       | r            |
-- | audit_logs                                       | r     | -       | r       | -            |
--
-- audit_logs is append-only: rows arrive only through log_audit_event and
-- system_insert_audit_log; nobody updates or deletes them.

alter table public.profiles enable row level security;
alter table public.ai_agents enable row level security;
alter table public.crew_nuclear_system enable row level security;
alter table public.knowledge_base_entries enable row level security;
alter table public.deployment_packages enable row level security;
alter table public.audit_logs enable row level security;
alter table public.system_performance_logs enable row level security;

revoke all on public.profiles, public.ai_agents, public.crew_nuclear_system,
  public.knowledge_base_entries, public.deployment_packages, public.audit_logs,
  public.system_performance_logs from anon;
grant select, insert, update, delete on public.profiles, public.ai_agents,
  public.crew_nuclear_system, public.knowledge_base_entries, public.deployment_packages,
  public.system_performance_logs to authenticated;
revoke insert, update, delete, truncate on public.audit_logs from authenticated, service_role;
grant select on public.audit_logs to authenticated;

-- profiles
drop policy if exists profiles_select on public.profiles;
create policy profiles_select on public.profiles for select to authenticated
  using (id = (select auth.uid()) or (select private.app_role()) in ('admin', 'auditor'));
drop policy if exists profiles_insert on public.profiles;
create policy profiles_insert on public.profiles for insert to authenticated
  with check ((select private.app_role()) = 'admin');
drop policy if exists profiles_update on public.profiles;
create policy profiles_update on public.profiles for update to authenticated
  using (id = (select auth.uid()) or (select private.app_role()) = 'admin')
  with check (id = (select auth.uid()) or (select private.app_role()) = 'admin');
drop policy if exists profiles_delete on public.profiles;
create policy profiles_delete on public.profiles for delete to authenticated
  using ((select private.app_role()) = 'admin');

-- Only an admin changes a role, an id or an email: a user editing their own row may change
-- their display name and nothing that grants access.
create or replace function private.guard_profile_update() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if (select auth.uid()) is not null and not public.is_admin()
     and (new.role is distinct from old.role or new.id <> old.id or new.email <> old.email) then
    raise exception 'only an admin may change a role' using errcode = '42501';
  end if;
  return new;
end
$$;
drop trigger if exists guard_profile_update on public.profiles;
create trigger guard_profile_update before update on public.profiles
  for each row execute function private.guard_profile_update();

-- knowledge_base_entries
drop policy if exists kb_select on public.knowledge_base_entries;
create policy kb_select on public.knowledge_base_entries for select to authenticated
  using ((select private.app_role()) in ('admin', 'editor', 'auditor')
         or ((select private.app_role()) = 'viewer' and is_active));
drop policy if exists kb_insert on public.knowledge_base_entries;
create policy kb_insert on public.knowledge_base_entries for insert to authenticated
  with check ((select private.app_role()) in ('admin', 'editor'));
drop policy if exists kb_update on public.knowledge_base_entries;
create policy kb_update on public.knowledge_base_entries for update to authenticated
  using ((select private.app_role()) in ('admin', 'editor'))
  with check ((select private.app_role()) in ('admin', 'editor'));
drop policy if exists kb_delete on public.knowledge_base_entries;
create policy kb_delete on public.knowledge_base_entries for delete to authenticated
  using ((select private.app_role()) in ('admin', 'editor'));

-- Operator tables: everyone with a role reads, admins write.
do $$
declare
  t text;
begin
  foreach t in array array['ai_agents', 'crew_nuclear_system', 'system_performance_logs',
                           'deployment_packages'] loop
    execute format('drop policy if exists %I on public.%I', t || '_select', t);
    execute format($p$create policy %I on public.%I for select to authenticated
                      using ((select private.app_role()) is not null)$p$, t || '_select', t);
    execute format('drop policy if exists %I on public.%I', t || '_insert', t);
    execute format($p$create policy %I on public.%I for insert to authenticated
                      with check ((select private.app_role()) = 'admin')$p$, t || '_insert', t);
    execute format('drop policy if exists %I on public.%I', t || '_update', t);
    execute format($p$create policy %I on public.%I for update to authenticated
                      using ((select private.app_role()) = 'admin')
                      with check ((select private.app_role()) = 'admin')$p$, t || '_update', t);
    execute format('drop policy if exists %I on public.%I', t || '_delete', t);
    execute format($p$create policy %I on public.%I for delete to authenticated
                      using ((select private.app_role()) = 'admin')$p$, t || '_delete', t);
  end loop;
end
$$;

-- audit_logs: read by admins and auditors; no insert, update or delete policy at all.
drop policy if exists audit_logs_select on public.audit_logs;
create policy audit_logs_select on public.audit_logs for select to authenticated
  using ((select private.app_role()) in ('admin', 'auditor'));

-- Append-only even for the table owner and superusers: a trigger refuses every change.
create or replace function private.refuse_audit_change() returns trigger
language plpgsql as $$
begin
  raise exception 'audit_logs is append-only: % is not allowed', tg_op using errcode = '42501';
end
$$;
drop trigger if exists audit_logs_append_only on public.audit_logs;
create trigger audit_logs_append_only before update or delete on public.audit_logs
  for each row execute function private.refuse_audit_change();
drop trigger if exists audit_logs_no_truncate on public.audit_logs;
create trigger audit_logs_no_truncate before truncate on public.audit_logs
  for each statement execute function private.refuse_audit_change();
