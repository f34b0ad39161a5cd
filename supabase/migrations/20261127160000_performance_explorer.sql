-- The performance explorer (issue 12): indexes for charts and raw samples at millions of
-- rows, and two small tables the database keeps in step with system_performance_logs so the
-- explorer never scans the big table to offer its choices.
--
-- Indexes (all plain comparisons, leakproof, so they serve the signed-in user under RLS too):
--   a time range, any system (all-types chart, raw samples)  idx_perf_logs_time_keyset
--   a time range of one type (type chart, type samples)      idx_perf_logs_type_time_keyset
--   a time range of one system (system chart, its samples)   idx_perf_logs_system_time_keyset
-- Each ends in (timestamp desc, id desc): the keyset order of the raw samples list. A BRIN on
-- time would be smaller, but the samples list needs the order a btree gives, and the btree
-- serves the ranges as well.

create index if not exists idx_perf_logs_time_keyset
  on public.system_performance_logs ("timestamp" desc, id desc);
create index if not exists idx_perf_logs_type_time_keyset
  on public.system_performance_logs (system_type, "timestamp" desc, id desc);
create index if not exists idx_perf_logs_system_time_keyset
  on public.system_performance_logs (system_id, "timestamp" desc, id desc);

-- What the data holds, kept by a statement trigger (one upsert per insert statement, from its
-- transition table): the metric names (keys of `metrics`) per system type, and the systems
-- with the last time they reported. Private: read through the functions below.
create table if not exists private.performance_metric_names (
  system_type text not null,
  metric text not null,
  last_seen timestamptz,
  primary key (system_type, metric)
);
create table if not exists private.performance_systems (
  system_type text not null,
  system_id text not null,
  last_seen timestamptz,
  primary key (system_type, system_id)
);
revoke all on private.performance_metric_names, private.performance_systems
  from public, anon, authenticated;

create or replace function private.note_performance_rows() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.performance_metric_names as m (system_type, metric, last_seen)
    select n.system_type, k.key, max(n."timestamp")
    from new_rows n, jsonb_each(n.metrics) k
    where jsonb_typeof(k.value) = 'number'
    group by 1, 2
  on conflict (system_type, metric) do update
    set last_seen = greatest(m.last_seen, excluded.last_seen)
    where m.last_seen is distinct from greatest(m.last_seen, excluded.last_seen);
  insert into private.performance_systems as s (system_type, system_id, last_seen)
    select n.system_type, n.system_id, max(n."timestamp")
    from new_rows n
    where n.system_id is not null
    group by 1, 2
  on conflict (system_type, system_id) do update
    set last_seen = greatest(s.last_seen, excluded.last_seen)
    where s.last_seen is distinct from greatest(s.last_seen, excluded.last_seen);
  return null;
end
$$;
drop trigger if exists perf_logs_note_rows on public.system_performance_logs;
create trigger perf_logs_note_rows after insert on public.system_performance_logs
  referencing new table as new_rows
  for each statement execute function private.note_performance_rows();

-- Rows already there (a one-off read at migration time).
insert into private.performance_metric_names (system_type, metric, last_seen)
  select l.system_type, k.key, max(l."timestamp")
  from public.system_performance_logs l, jsonb_each(l.metrics) k
  where jsonb_typeof(k.value) = 'number'
  group by 1, 2
on conflict do nothing;
insert into private.performance_systems (system_type, system_id, last_seen)
  select system_type, system_id, max("timestamp")
  from public.system_performance_logs where system_id is not null
  group by 1, 2
on conflict do nothing;

-- The read rule of system_performance_logs (system_performance_logs_select): any console role.
create or replace function private.performance_metrics(p_system_type text default null)
returns table (metric text)
language plpgsql stable security definer set search_path = '' as $$
begin
  if private.app_role() is null then
    return;
  end if;
  return query
    select distinct m.metric from private.performance_metric_names m
    where p_system_type is null or m.system_type = p_system_type
    order by 1;
end
$$;

-- Systems for the explorer's suggestions, named after the agent or crew whose id they carry.
create or replace function private.performance_system_choices(
  p_system_type text default null, p_prefix text default null, p_limit int default 50)
returns table (system_type text, system_id text, name text, last_seen timestamptz)
language plpgsql stable security definer set search_path = '' as $$
begin
  if private.app_role() is null then
    return;
  end if;
  return query
    select s.system_type, s.system_id, coalesce(a.name, c.crew_name), s.last_seen
    from private.performance_systems s
    left join public.ai_agents a
      on s.system_type = 'agent' and a.id::text = s.system_id
    left join public.crew_nuclear_system c
      on s.system_type = 'crew' and c.id::text = s.system_id
    where (p_system_type is null or s.system_type = p_system_type)
      and (p_prefix is null or p_prefix = ''
           or strpos(lower(s.system_id), lower(p_prefix)) > 0
           or strpos(lower(coalesce(a.name, c.crew_name, '')), lower(p_prefix)) > 0)
    order by s.system_type, coalesce(a.name, c.crew_name, s.system_id), s.system_id
    limit least(greatest(coalesce(p_limit, 50), 1), 500);
end
$$;

revoke all on function private.performance_metrics(text) from public, anon;
revoke all on function private.performance_system_choices(text, text, int) from public, anon;
grant execute on function private.performance_metrics(text) to authenticated, service_role;
grant execute on function private.performance_system_choices(text, text, int)
  to authenticated, service_role;

-- A trigger function: it runs whoever writes; nobody calls it directly.
revoke execute on function private.note_performance_rows() from public, anon, authenticated, service_role;
