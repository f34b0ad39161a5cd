-- Errors the console recognises by code, never by message text.
--
-- The last-active-admin refusal is a check violation (23514), like any CHECK constraint: it
-- now also names itself in the error's constraint field (`keep_an_active_admin`), so the
-- console tells it from other check violations by SQLSTATE plus constraint name
-- (console/sqlstate.py). The two functions that raise it are re-created with the same
-- signatures and behaviour; only the error's constraint field is new.

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
      using errcode = '23514', constraint = 'keep_an_active_admin',
            hint = 'Make another user admin first.';
  end if;
  return null;
end
$$;
revoke all on function private.keep_an_active_admin() from public;

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
      using errcode = '23514', constraint = 'keep_an_active_admin',
            hint = 'Make another user admin first.';
  end if;
end
$$;
revoke all on function private.authorize_user_admin(text, uuid) from public, anon;
grant execute on function private.authorize_user_admin(text, uuid) to authenticated, service_role;
