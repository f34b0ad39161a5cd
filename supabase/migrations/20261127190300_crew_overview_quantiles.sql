-- The crews overview without work at read time (issue 15: the crews pages over 10 ms).
--
-- private.crew_overview() computed each crew's median and p95 from the duration histogram
-- with two window sums over every histogram row (~2,600 rows at a million runs: ~2 ms per
-- call), and the crews overview, the runs list (its crew suggestions) and a crew's page all
-- call it. The quantiles change only when runs are written, so the statement triggers that
-- keep the histogram now keep each touched crew's quantiles too, in private.crew_rollup.
-- The failures of the last 24 hours are read from a partial index that holds the crew name,
-- without a heap visit per failed run.

alter table private.crew_rollup
  add column if not exists median_seconds bigint,
  add column if not exists p95_seconds bigint;

-- The median and p95 (in whole seconds, as the histogram keeps them) of these crews, from
-- their histograms: the smallest duration whose running total reaches half / 95% of the
-- crew's timed runs. A crew without timed runs gets nulls.
create or replace function private.crew_quantiles_refresh(p_crews text[]) returns void
language sql security definer set search_path = '' as $$
  with durations as (
    select d.crew_name, d.seconds,
           sum(d.runs) over (partition by d.crew_name order by d.seconds) as upto,
           sum(d.runs) over (partition by d.crew_name) as total
    from private.crew_durations d
    where d.crew_name = any(p_crews)
  ), quantiles as (
    select q.crew_name,
           min(q.seconds) filter (where q.upto >= 0.5 * q.total) as median_seconds,
           min(q.seconds) filter (where q.upto >= 0.95 * q.total) as p95_seconds
    from durations q group by q.crew_name
  )
  update private.crew_rollup r
  set median_seconds = q.median_seconds, p95_seconds = q.p95_seconds
  from unnest(p_crews) as touched (crew_name)
  left join quantiles q on q.crew_name = touched.crew_name
  where r.crew_name = touched.crew_name;
$$;

-- As in 20261127150000_agents_and_crews.sql, plus the quantiles of the crews the statement
-- touched. The first statement of each branch upserts the crews' rollup rows, so concurrent
-- writers of one crew take their turns here, and each refresh reads the histogram as the
-- writers before it left it.
create or replace function private.crew_rollup_apply() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  touched text[] := '{}';
begin
  if tg_op in ('UPDATE', 'DELETE') then
    insert into private.crew_rollup as r (crew_name, runs, complete, failed)
    select crew_name, -count(*), -count(*) filter (where status = 'complete'),
           -count(*) filter (where status = 'failed')
    from old_rows group by crew_name
    on conflict (crew_name) do update
      set runs = r.runs + excluded.runs, complete = r.complete + excluded.complete,
          failed = r.failed + excluded.failed;
    insert into private.crew_durations as d (crew_name, seconds, runs)
    select crew_name, floor(private.run_duration(performance_data))::bigint, -count(*)
    from old_rows where private.run_duration(performance_data) is not null
    group by 1, 2
    on conflict (crew_name, seconds) do update set runs = d.runs + excluded.runs;
    -- Only what was just decremented can reach zero: those rows go, by their keys.
    delete from private.crew_rollup r
    where r.runs <= 0 and r.crew_name in (select crew_name from old_rows);
    delete from private.crew_durations d
    where d.runs <= 0 and (d.crew_name, d.seconds) in (
      select crew_name, floor(private.run_duration(performance_data))::bigint from old_rows);
    touched := touched || array(select distinct crew_name from old_rows);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    insert into private.crew_rollup as r (crew_name, runs, complete, failed)
    select crew_name, count(*), count(*) filter (where status = 'complete'),
           count(*) filter (where status = 'failed')
    from new_rows group by crew_name
    on conflict (crew_name) do update
      set runs = r.runs + excluded.runs, complete = r.complete + excluded.complete,
          failed = r.failed + excluded.failed;
    insert into private.crew_durations as d (crew_name, seconds, runs)
    select crew_name, floor(private.run_duration(performance_data))::bigint, count(*)
    from new_rows where private.run_duration(performance_data) is not null
    group by 1, 2
    on conflict (crew_name, seconds) do update set runs = d.runs + excluded.runs;
    touched := touched || array(select distinct crew_name from new_rows);
  end if;
  perform private.crew_quantiles_refresh(touched);
  return null;
end
$$;

-- TRUNCATE empties the rollup (private.crew_rollup_truncate): nothing to refresh.

-- The quantiles of the crews as they are (this migration may run over existing data).
lock table public.crew_nuclear_system in share mode;
select private.crew_quantiles_refresh(array(select crew_name from private.crew_rollup));

create index if not exists idx_crew_runs_failed_created
  on public.crew_nuclear_system (created_at) include (crew_name) where status = 'failed';

-- The overview, one row per crew, as before: the rollup (now with its quantiles), the newest
-- run of each crew (one probe of idx_crew_runs_name_created) and the failures of the last 24
-- hours (a range of idx_crew_runs_failed_created, index only).
create or replace function private.crew_overview()
returns table (
  crew_name text, crew_type text, runs bigint, complete bigint, failed bigint,
  last_run_id uuid, last_run_at timestamptz, last_status text, last_configuration jsonb,
  median_seconds numeric, p95_seconds numeric, failed_24h bigint
)
language plpgsql stable security definer set search_path = '' as $$
begin
  -- A signed-in user needs a role; service_role and the console's own role read as well.
  if auth.uid() is not null and private.app_role() is null then
    raise exception 'not allowed to read crews' using errcode = '42501';
  end if;
  return query
    with failures as (
      select c.crew_name, count(*) as n from public.crew_nuclear_system c
      where c.status = 'failed' and c.created_at > now() - interval '24 hours'
      group by c.crew_name
    )
    select r.crew_name, l.crew_type, r.runs, r.complete, r.failed, l.id, l.created_at,
           l.status, l.configuration, r.median_seconds::numeric, r.p95_seconds::numeric,
           coalesce(f.n, 0)
    from private.crew_rollup r
    cross join lateral (
      select c.id, c.crew_type, c.created_at, c.status, c.configuration
      from public.crew_nuclear_system c
      where c.crew_name = r.crew_name
      order by c.created_at desc, c.id desc limit 1
    ) l
    left join failures f on f.crew_name = r.crew_name
    order by r.crew_name;
end
$$;
revoke all on function private.crew_overview() from public, anon;
grant execute on function private.crew_overview() to authenticated, service_role;
revoke execute on function private.crew_rollup_apply(), private.crew_quantiles_refresh(text[])
  from public, anon, authenticated, service_role;
