-- The roles and `auth` schema of a hosted Supabase project, built by the tests in a database
-- of their throwaway cluster (run as the cluster's superuser). The cluster's own superuser is
-- called `postgres`, so the project's developer role is `hosted_postgres`, with the
-- attributes of a hosted project's `postgres`: not superuser, BYPASSRLS, CREATEROLE,
-- CREATEDB, a member of the API roles; the auth tables belong to `supabase_auth_admin`.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit createrole;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'hosted_postgres') then
    create role hosted_postgres login nosuperuser createrole createdb bypassrls;
  end if;
end
$$;
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
-- The developer role may hand the API roles on, and administers the console's login role
-- (on a real project it creates it; here the cluster's other databases may have made it).
grant anon, authenticated, service_role to hosted_postgres with admin option;
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'billygoat_console') then
    -- INHERIT and SET options exist from PostgreSQL 16; before, ADMIN OPTION is all there is.
    if current_setting('server_version_num')::int >= 160000 then
      execute 'grant billygoat_console to hosted_postgres with admin option, inherit false, set false';
    else
      grant billygoat_console to hosted_postgres with admin option;
    end if;
  end if;
end
$$;

grant create, connect, temporary on database current_database_placeholder to hosted_postgres;
grant create, connect on database current_database_placeholder to supabase_auth_admin;
grant usage, create on schema public to hosted_postgres;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role hosted_postgres in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges for role hosted_postgres in schema public
  grant all on functions to anon, authenticated, service_role;
alter default privileges for role hosted_postgres in schema public
  grant all on sequences to anon, authenticated, service_role;

create schema if not exists extensions authorization hosted_postgres;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists pg_trgm with schema extensions;

-- GoTrue's tables and helpers, owned by supabase_auth_admin, as on a hosted project.
create schema if not exists auth authorization supabase_auth_admin;
