-- System health (issue 14): the state the console keeps for itself, and what the system page
-- reads from PostgreSQL's statistics.
--
-- 1. Two small tables in the console's own schema, written only with the console's connection
--    (never as a user, so a user's rolled-back transaction cannot undo them): the circuit
--    breaker in front of Supabase Auth, shared by every worker and instance, and the database
--    round-trip samples of the last hour.
-- 2. Security-definer functions for the system page. As `authenticated`, pg_stat_activity
--    hides other sessions' queries, and the console schema is out of reach; these run as
--    their owner, for admins and auditors only (checked inside), and give query text to
--    admins only.

create schema if not exists console;

create table if not exists console.auth_circuit (
  name text primary key,
  state text not null default 'closed' check (state in ('closed', 'open', 'half_open')),
  failures int not null default 0,            -- consecutive failures in the current window
  window_started timestamptz,                 -- first of those failures
  open_until timestamptz,                     -- open: calls fail at once until then
  probe_until timestamptz,                    -- half-open: the probe's deadline
  previous_state text,
  last_failure text,
  last_failure_at timestamptz,
  times_opened int not null default 0,
  changed_at timestamptz not null default now()
);

create table if not exists console.db_latency_samples (
  sampled_at timestamptz primary key default clock_timestamp(),
  milliseconds real not null
);

-- Admins and auditors read the system page.
create or replace function private.can_read_system() returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce((select private.app_role()) in ('admin', 'auditor'), false)
$$;

create or replace function private.require_system_reader() returns void
language plpgsql stable security definer set search_path = '' as $$
begin
  if not private.can_read_system() then
    raise exception 'only admins and auditors read the system page' using errcode = '42501';
  end if;
end
$$;

-- Server, connections against max_connections, and whether pg_stat_statements is there.
create or replace function private.system_overview() returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  result jsonb;
begin
  perform private.require_system_reader();
  select jsonb_build_object(
    'version', current_setting('server_version'),
    'version_full', version(),
    'started_at', pg_postmaster_start_time(),
    'max_connections', current_setting('max_connections')::int,
    'reserved_connections', current_setting('superuser_reserved_connections')::int,
    'database', current_database(),
    'database_bytes', pg_database_size(current_database()),
    'statements_installed',
      exists (select 1 from pg_extension where extname = 'pg_stat_statements')
      and exists (select 1 from pg_settings
                  where name = 'shared_preload_libraries' and setting like '%pg_stat_statements%'),
    'statements_preloaded',
      exists (select 1 from pg_settings
              where name = 'shared_preload_libraries' and setting like '%pg_stat_statements%'),
    'connections', (select count(*) from pg_stat_activity where backend_type = 'client backend'),
    'this_connection_since',
      (select backend_start from pg_stat_activity where pid = pg_backend_pid()),
    'by_state', coalesce((
      select jsonb_agg(jsonb_build_object('state', s, 'count', n) order by n desc, s)
      from (select coalesce(state, 'unknown') s, count(*) n from pg_stat_activity
            where backend_type = 'client backend' group by 1) t), '[]'::jsonb),
    'by_application', coalesce((
      select jsonb_agg(jsonb_build_object('application', a, 'user', u, 'count', n,
                                          'active', act, 'oldest', oldest)
                       order by n desc, a)
      from (select coalesce(nullif(application_name, ''), '(none)') a, usename::text u,
                   count(*) n, count(*) filter (where state = 'active') act,
                   min(backend_start) oldest
            from pg_stat_activity where backend_type = 'client backend' group by 1, 2) t),
      '[]'::jsonb)
  ) into result;
  return result;
end
$$;

-- The longest-running statements and transactions now; the text for admins only.
create or replace function private.system_activity(p_limit int default 10)
returns table (pid int, username text, application text, client text, state text,
               backend_start timestamptz, xact_start timestamptz, query_start timestamptz,
               running_seconds double precision, wait_event text, query text)
language plpgsql stable security definer set search_path = '' as $$
declare
  admin boolean := public.is_admin();
begin
  perform private.require_system_reader();
  return query
    select a.pid, a.usename::text, a.application_name, host(a.client_addr), a.state,
           a.backend_start, a.xact_start, a.query_start,
           extract(epoch from clock_timestamp() - coalesce(a.query_start, a.xact_start))::float8,
           nullif(concat_ws(':', a.wait_event_type, a.wait_event), ''),
           case when admin then left(a.query, 2000) end
    from pg_stat_activity a
    where a.backend_type = 'client backend' and a.pid <> pg_backend_pid()
      and a.state is distinct from 'idle'
    order by coalesce(a.query_start, a.xact_start) nulls last
    limit least(greatest(coalesce(p_limit, 10), 1), 50);
end
$$;

-- Size, estimated rows and scans of every table in public (the page keeps the console's own).
create or replace function private.system_tables()
returns table (table_name text, estimated_rows bigint, table_bytes bigint, index_bytes bigint,
               total_bytes bigint, seq_scan bigint, seq_tup_read bigint, idx_scan bigint,
               dead_rows bigint, last_vacuum timestamptz, last_analyze timestamptz)
language plpgsql stable security definer set search_path = '' as $$
begin
  perform private.require_system_reader();
  return query
    select c.relname::text, greatest(c.reltuples, 0)::bigint,
           pg_table_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid),
           s.seq_scan, s.seq_tup_read, s.idx_scan, s.n_dead_tup,
           greatest(s.last_vacuum, s.last_autovacuum), greatest(s.last_analyze, s.last_autoanalyze)
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_stat_user_tables s on s.relid = c.oid
    where n.nspname = 'public' and c.relkind in ('r', 'p')
    order by pg_total_relation_size(c.oid) desc;
end
$$;

-- Every index in public with its scans since the statistics were reset.
create or replace function private.system_indexes()
returns table (table_name text, index_name text, index_bytes bigint, idx_scan bigint,
               is_unique boolean, is_primary boolean)
language plpgsql stable security definer set search_path = '' as $$
begin
  perform private.require_system_reader();
  return query
    select s.relname::text, s.indexrelname::text, pg_relation_size(s.indexrelid), s.idx_scan,
           i.indisunique, i.indisprimary
    from pg_stat_user_indexes s
    join pg_index i on i.indexrelid = s.indexrelid
    where s.schemaname = 'public'
    order by s.idx_scan, pg_relation_size(s.indexrelid) desc;
end
$$;

-- The slowest statements by mean time, when pg_stat_statements is there (Supabase has it in
-- `extensions`); nothing otherwise. The text for admins only.
create or replace function private.system_statements(p_limit int default 10)
returns table (query text, calls bigint, total_ms double precision, mean_ms double precision,
               max_ms double precision, rows_returned bigint)
language plpgsql stable security definer set search_path = '' as $$
declare
  ext_schema text;
  admin boolean := public.is_admin();
begin
  perform private.require_system_reader();
  select n.nspname into ext_schema
  from pg_extension e join pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'pg_stat_statements';
  if ext_schema is null or not exists (
      select 1 from pg_settings
      where name = 'shared_preload_libraries' and setting like '%pg_stat_statements%') then
    return;
  end if;
  return query execute format(
    'select case when $1 then left(s.query, 2000) end, s.calls, s.total_exec_time,'
    ' s.mean_exec_time, s.max_exec_time, s.rows'
    ' from %I.pg_stat_statements s'
    ' where s.dbid = (select oid from pg_database where datname = current_database())'
    ' order by s.mean_exec_time desc limit %s',
    ext_schema, least(greatest(coalesce(p_limit, 10), 1), 50))
  using admin;
end
$$;

-- The migrations applied: the console's record (db_migrate), else the Supabase CLI's.
create or replace function private.system_migrations()
returns table (version text, applied_at timestamptz)
language plpgsql stable security definer set search_path = '' as $$
begin
  perform private.require_system_reader();
  if to_regclass('console.schema_migrations') is not null then
    return query execute
      'select version, applied_at from console.schema_migrations order by version desc';
  elsif to_regclass('supabase_migrations.schema_migrations') is not null then
    return query execute
      'select version::text, null::timestamptz from supabase_migrations.schema_migrations'
      ' order by version desc';
  end if;
end
$$;

do $$
declare
  fn text;
begin
  foreach fn in array array[
    'private.can_read_system()', 'private.require_system_reader()',
    'private.system_overview()', 'private.system_activity(int)', 'private.system_tables()',
    'private.system_indexes()', 'private.system_statements(int)', 'private.system_migrations()'
  ] loop
    execute format('revoke all on function %s from public, anon', fn);
    execute format('grant execute on function %s to authenticated', fn);
  end loop;
end
$$;

-- pg_stat_statements where the server has it (Supabase does, in `extensions`). Creating it
-- needs no preload; reading it does, and the functions above check that first. A role that may
-- not create it (not a superuser, as a migrating role on some hosts) leaves it to the project:
-- the system page then says it is not installed.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_stat_statements') then
    create schema if not exists extensions;
    create extension if not exists pg_stat_statements with schema extensions;
  end if;
exception when insufficient_privilege then
  raise notice 'pg_stat_statements not created: %', sqlerrm;
end
$$;
