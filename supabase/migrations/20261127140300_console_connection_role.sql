-- The console's own login role (issue 10), instead of `postgres` (BYPASSRLS, member of
-- service_role): not superuser, no BYPASSRLS, not a member of postgres or service_role.
-- It is a member of `authenticated` without inheriting its rights (NOINHERIT), so it may
-- `SET ROLE authenticated` for each signed-in request and otherwise holds only the narrow
-- grants below: Django's session and cache tables in `console`, and two security-definer
-- functions (a signing-in user's state, and system audit events such as LOGIN_FAILED).
--
-- No password here: set one as the project owner (README, "Adopting an existing project"):
--   alter role billygoat_console with password '…';
-- The search path is set on the role, not sent as a start-up option (PgBouncer refuses an
-- `options` parameter and Supavisor drops it).

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'billygoat_console') then
    create role billygoat_console login noinherit nosuperuser nobypassrls nocreatedb nocreaterole;
  end if;
end
$$;
grant authenticated to billygoat_console;
alter role billygoat_console set search_path = console, public, extensions;
alter role billygoat_console set timezone = 'UTC';

create schema if not exists console;
grant usage on schema console, public, extensions, private to billygoat_console;

-- Django's tables (sessions, cache): those there now and those `migrate` adds later.
grant select, insert, update, delete on all tables in schema console to billygoat_console;
grant usage on all sequences in schema console to billygoat_console;
alter default privileges in schema console
  grant select, insert, update, delete on tables to billygoat_console;
alter default privileges in schema console grant usage on sequences to billygoat_console;

-- A signing-in user's state, read before the request switches to the user: role, email,
-- name, whether a profile exists, banned, and whether the token's session still exists.
create or replace function private.console_user_state(p_user uuid, p_session uuid)
returns table (role text, email text, display_name text, has_profile boolean, banned boolean,
               session_alive boolean)
language sql stable security definer set search_path = '' as $$
  select p.role, coalesce(p.email, u.email), p.display_name, p.id is not null,
         coalesce(u.banned_until > now(), false),
         (p_session is null or exists (select 1 from auth.sessions s where s.id = p_session))
  from auth.users u
  left join public.profiles p on p.id = u.id
  where u.id = p_user and u.deleted_at is null
$$;
revoke all on function private.console_user_state(uuid, uuid) from public, anon, authenticated;
grant execute on function private.console_user_state(uuid, uuid) to billygoat_console;

-- System events (LOGIN, LOGIN_FAILED, LOGOUT) are written with no user claims.
grant execute on function
  public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text)
  to billygoat_console;

-- The sign-in throttle (20261127000400_login_throttle.sql) counts attempts before anyone is
-- signed in.
grant select, insert, update, delete on private.login_throttle to billygoat_console;
grant execute on function private.login_attempt(text, int, int, int) to billygoat_console;
