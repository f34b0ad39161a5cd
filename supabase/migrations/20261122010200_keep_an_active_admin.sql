-- Users and roles: the rules of user administration, kept by the database.
--
-- 1. There is always an active admin (role admin, not banned, not deleted): demoting, banning
--    or deleting the last one is refused, whoever tries it (the console, Supabase Auth's admin
--    API, the SQL editor). Deleting every user at once is allowed: nobody is locked out then.
-- 2. private.authorize_user_admin(action, target) is what the console asks, as the signed-in
--    user, before each user-administration action, and in particular before calling Supabase
--    Auth's admin API (which the database cannot see): only admins pass, and never for an
--    action that would remove the last active admin.

-- An admin who can act now.
create or replace function private.is_active_admin(p_user uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.profiles p join auth.users u on u.id = p.id
    where p.id = p_user and p.role = 'admin' and u.deleted_at is null
      and (u.banned_until is null or u.banned_until <= now()))
$$;

create or replace function private.other_active_admin_exists(p_user uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.profiles p join auth.users u on u.id = p.id
    where p.id is distinct from p_user and p.role = 'admin' and u.deleted_at is null
      and (u.banned_until is null or u.banned_until <= now()))
$$;

revoke all on function private.is_active_admin(uuid) from public;
revoke all on function private.other_active_admin_exists(uuid) from public;

create or replace function private.keep_an_active_admin() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_table_schema = 'auth' then
    -- A ban or a soft delete: only an admin's can leave the console without one.
    if not exists (select 1 from public.profiles p where p.id = new.id and p.role = 'admin') then
      return null;
    end if;
  elsif tg_op = 'UPDATE' then
    -- A demotion: only an admin who could act (not banned) leaves a gap.
    if exists (select 1 from auth.users u where u.id = new.id
               and (u.deleted_at is not null or u.banned_until > now())) then
      return null;
    end if;
  end if;
  -- One such change at a time, so two admins demoting each other cannot both succeed.
  perform pg_advisory_xact_lock(7315270331470221311);
  if not exists (
       select 1 from public.profiles p join auth.users u on u.id = p.id
       where p.role = 'admin' and u.deleted_at is null
         and (u.banned_until is null or u.banned_until <= now()))
     and exists (select 1 from auth.users u where u.deleted_at is null) then
    raise exception 'the last active admin cannot be demoted, banned or deleted'
      using errcode = '23514',
            hint = 'Make another user admin first.';
  end if;
  return null;
end
$$;
revoke all on function private.keep_an_active_admin() from public;

-- After the statement's rows are all changed, so a statement that demotes several admins is
-- judged by what it leaves.
drop trigger if exists keep_an_active_admin_on_demote on public.profiles;
create trigger keep_an_active_admin_on_demote after update of role on public.profiles
  for each row when (old.role = 'admin' and new.role is distinct from 'admin')
  execute function private.keep_an_active_admin();

drop trigger if exists keep_an_active_admin_on_delete on public.profiles;
create trigger keep_an_active_admin_on_delete after delete on public.profiles
  for each row when (old.role = 'admin')
  execute function private.keep_an_active_admin();

create or replace trigger keep_an_active_admin_on_ban after update of banned_until, deleted_at on auth.users
  for each row
  when ((new.banned_until > now() and (old.banned_until is null or old.banned_until <= now()))
        or (new.deleted_at is not null and old.deleted_at is null))
  execute function private.keep_an_active_admin();

-- The console's question before each action. `p_action` is one of: invite, create, promote,
-- change_role, demote, edit, ban, unban, reset_password, delete. Refusals: 42501 for a
-- caller who is not an admin, 23514 for the last active admin.
create or replace function private.authorize_user_admin(p_action text, p_target uuid default null)
returns void
language plpgsql stable security definer set search_path = '' as $$
begin
  if not public.is_admin() then
    raise exception 'only an admin may administer users (%)', p_action using errcode = '42501';
  end if;
  if p_action in ('demote', 'ban', 'delete') and p_target is not null
     and private.is_active_admin(p_target)
     and not private.other_active_admin_exists(p_target) then
    raise exception 'the last active admin cannot be demoted, banned or deleted'
      using errcode = '23514',
            hint = 'Make another user admin first.';
  end if;
end
$$;
revoke all on function private.authorize_user_admin(text, uuid) from public, anon;
grant execute on function private.authorize_user_admin(text, uuid) to authenticated, service_role;
