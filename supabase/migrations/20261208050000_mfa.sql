-- Multi-factor authentication enforced by the database, as Supabase documents it: the access
-- token's `aal` claim (auth.jwt()->>'aal') is 'aal2' once the session verified a second factor.
--
-- private.mfa_settings holds the roles that need aal2 for the admin-only writes; the owner sets
-- it with private.set_mfa_required_roles(text[]) (`manage.py db_migrate` does, from the
-- MFA_REQUIRED_ROLES setting). Empty (the default here) requires nothing.
--
-- For a signed-in user of such a role at aal1:
--   - restrictive policies refuse the writes of the tables only admins write (operator tables,
--     deployments, retention) and an admin's writes of profiles other than their own;
--   - a trigger refuses any change of a profile's role (RLS cannot tell which column changes,
--     and promote_user_to_admin writes as its owner);
--   - private.authorize_user_admin (every user administration: role, ban, delete, invite…)
--     and private.retention_caller_allowed (retention runs) refuse.
-- The console's own connection with no user in the claims (commands, the owner's SQL) is not
-- a signed-in user and is not affected.

create table if not exists private.mfa_settings (
  singleton boolean primary key default true check (singleton),
  required_roles text[] not null default '{}'
);
insert into private.mfa_settings (singleton) values (true) on conflict do nothing;
revoke all on private.mfa_settings from public, anon, authenticated, service_role;

create or replace function private.set_mfa_required_roles(p_roles text[]) returns void
language plpgsql set search_path = '' as $$
declare
  unknown text[];
begin
  select coalesce(array_agg(r), '{}') into unknown
  from unnest(coalesce(p_roles, '{}')) r
  where r not in ('admin', 'editor', 'auditor', 'viewer');
  if cardinality(unknown) > 0 then
    raise exception 'unknown role(s) for MFA: %', array_to_string(unknown, ', ')
      using errcode = '22023';
  end if;
  update private.mfa_settings
  set required_roles = array(select distinct r from unnest(coalesce(p_roles, '{}')) r order by r)
  where singleton;
end
$$;
revoke all on function private.set_mfa_required_roles(text[]) from public, anon, authenticated,
  service_role;

-- True when the caller may make an MFA-guarded write: their session is aal2, or their role does
-- not need it (no user in the claims: no role, nothing required).
create or replace function private.mfa_satisfied() returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2'
    or not coalesce(
      (select (select private.app_role()) = any (s.required_roles) from private.mfa_settings s),
      false)
$$;
revoke all on function private.mfa_satisfied() from public, anon;
grant execute on function private.mfa_satisfied() to authenticated, service_role;

-- Restrictive policies are AND-ed with the permissive ones: they take access away, never add it.
-- An update is refused out loud (its new row fails the check: 42501); a delete at aal1 finds no
-- row (a delete has no new row to check).
do $$
declare
  t text;
  prefix text;
begin
  foreach t in array array['ai_agents', 'crew_nuclear_system', 'system_performance_logs',
                           'deployment_packages', 'knowledge_base_entries'] loop
    prefix := case t when 'knowledge_base_entries' then 'kb' else t end;
    execute format('drop policy if exists %I on public.%I', prefix || '_insert_aal2', t);
    execute format($p$create policy %I on public.%I as restrictive for insert to authenticated
                      with check ((select private.mfa_satisfied()))$p$, prefix || '_insert_aal2', t);
    execute format('drop policy if exists %I on public.%I', prefix || '_update_aal2', t);
    execute format($p$create policy %I on public.%I as restrictive for update to authenticated
                      using (true) with check ((select private.mfa_satisfied()))$p$,
                   prefix || '_update_aal2', t);
    execute format('drop policy if exists %I on public.%I', prefix || '_delete_aal2', t);
    execute format($p$create policy %I on public.%I as restrictive for delete to authenticated
                      using ((select private.mfa_satisfied()))$p$, prefix || '_delete_aal2', t);
  end loop;
end
$$;

-- Profiles: a user's own row stays theirs to edit (display name) at aal1; anyone else's does not.
drop policy if exists profiles_insert_aal2 on public.profiles;
create policy profiles_insert_aal2 on public.profiles as restrictive for insert to authenticated
  with check ((select private.mfa_satisfied()));
drop policy if exists profiles_update_aal2 on public.profiles;
create policy profiles_update_aal2 on public.profiles as restrictive for update to authenticated
  using (true) with check (id = (select auth.uid()) or (select private.mfa_satisfied()));
drop policy if exists profiles_delete_aal2 on public.profiles;
create policy profiles_delete_aal2 on public.profiles as restrictive for delete to authenticated
  using ((select private.mfa_satisfied()));

drop policy if exists retention_policies_update_aal2 on public.retention_policies;
create policy retention_policies_update_aal2 on public.retention_policies as restrictive
  for update to authenticated
  using (true) with check ((select private.mfa_satisfied()));

-- Any role change, whichever way it is written.
create or replace function private.refuse_role_change_below_aal2() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.role is distinct from old.role and (select auth.uid()) is not null
     and not private.mfa_satisfied() then
    raise exception 'changing a role needs a session verified with a second factor (aal2)'
      using errcode = '42501', hint = 'Verify your authenticator code, then try again.';
  end if;
  return new;
end
$$;
revoke all on function private.refuse_role_change_below_aal2() from public;
create or replace trigger profiles_role_change_aal2
  before update of role on public.profiles
  for each row execute function private.refuse_role_change_below_aal2();

-- The security-definer checks: the same bodies as before, with the aal2 requirement first.
create or replace function private.authorize_user_admin(p_action text, p_target uuid default null)
returns void
language plpgsql stable security definer set search_path = '' as $$
begin
  if not public.is_admin() then
    raise exception 'only an admin may administer users (%)', p_action using errcode = '42501';
  end if;
  if not private.mfa_satisfied() then
    raise exception 'administering users needs a session verified with a second factor (aal2)'
      using errcode = '42501', hint = 'Verify your authenticator code, then try again.';
  end if;
  if p_action in ('demote', 'ban', 'delete') and p_target is not null
     and private.is_active_admin(p_target)
     and not private.other_active_admin_exists(p_target) then
    raise exception 'the last active admin cannot be demoted, banned or deleted'
      using errcode = '23514', constraint = 'keep_an_active_admin',
            hint = 'Make another user admin first.';
  end if;
end
$$;
revoke all on function private.authorize_user_admin(text, uuid) from public, anon;
grant execute on function private.authorize_user_admin(text, uuid) to authenticated, service_role;

create or replace function private.retention_caller_allowed() returns boolean
language sql stable security definer set search_path = '' as $$
  select case
    when (select auth.uid()) is not null
      then coalesce(private.app_role() = 'admin', false) and private.mfa_satisfied()
    else current_setting('role') not in ('authenticated', 'anon')
  end
$$;
revoke all on function private.retention_caller_allowed() from public, anon;
grant execute on function private.retention_caller_allowed() to authenticated, service_role;

-- Whether the signed-in user has a verified factor (the console sends an aal1 user of a role
-- that needs MFA to enrol, or to the code step). auth.mfa_factors is not the API roles' to read;
-- plpgsql, so that the function can be created before the auth schema has the table.
create or replace function private.own_verified_factors() returns integer
language plpgsql stable security definer set search_path = '' as $$
begin
  if to_regclass('auth.mfa_factors') is null then
    return 0;
  end if;
  return (select count(*)::integer from auth.mfa_factors f
          where f.user_id = (select auth.uid()) and f.status = 'verified');
end
$$;
revoke all on function private.own_verified_factors() from public, anon;
grant execute on function private.own_verified_factors() to authenticated, service_role;

-- An admin's removal of a user's factor (the lost-phone path) ends every session of the user:
-- whoever holds one signs in again, with the password alone. The console checks each request's
-- session against auth.sessions (private.console_user_state), so deleting the rows is enough.
create or replace function private.end_user_sessions(p_user uuid) returns integer
language plpgsql security definer set search_path = '' as $$
declare
  ended integer;
begin
  perform private.authorize_user_admin('end_sessions', p_user);
  delete from auth.sessions s where s.user_id = p_user;
  get diagnostics ended = row_count;
  return ended;
end
$$;
revoke all on function private.end_user_sessions(uuid) from public, anon;
grant execute on function private.end_user_sessions(uuid) to authenticated, service_role;
