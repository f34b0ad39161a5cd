-- The crews overview without work at read time (issue 15: the crews pages over 10 ms).
--
-- private.crew_overview() computed each crew's median and p95 from the duration histogram
-- (private.crew_durations) with two window sums over every histogram row (~2,600 rows at a
-- million runs: ~2 ms a call), and the crews overview, the runs list and a crew's page all
-- called it. The quantiles change only when the histogram does, so they are kept in
-- private.crew_quantiles by statement triggers on the histogram itself: whatever changes it
-- (the runs' triggers, a rebuild of the rollup by 20261127150000 run again) refreshes the
-- quantiles of the crews it touched. The failures of the last 24 hours are read from a
-- partial index that holds the crew name, without a heap visit per failed run. A crew's page
-- reads its own line only (private.crew_summaries(name)).

create table if not exists private.crew_quantiles (
  crew_name text primary key,
  median_seconds bigint,
  p95_seconds bigint
);
revoke all on private.crew_quantiles from public, anon, authenticated;

-- The median and p95 (whole seconds, as the histogram keeps them) of these crews: the
-- smallest duration whose running total reaches half / 95% of the crew's timed runs. A crew
-- without timed runs has no row.
create or replace function private.crew_quantiles_refresh(p_crews text[]) returns void
language sql security definer set search_path = '' as $$
  delete from private.crew_quantiles q where q.crew_name = any(p_crews);
  insert into private.crew_quantiles (crew_name, median_seconds, p95_seconds)
  select q.crew_name,
         min(q.seconds) filter (where q.upto >= 0.5 * q.total),
         min(q.seconds) filter (where q.upto >= 0.95 * q.total)
  from (
    select d.crew_name, d.seconds,
           sum(d.runs) over (partition by d.crew_name order by d.seconds) as upto,
           sum(d.runs) over (partition by d.crew_name) as total
    from private.crew_durations d
    where d.crew_name = any(p_crews) and d.runs > 0
  ) q
  group by q.crew_name;
$$;

create or replace function private.crew_quantiles_follow() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'TRUNCATE' then
    truncate private.crew_quantiles;
  elsif tg_op = 'INSERT' then
    perform private.crew_quantiles_refresh(array(select distinct crew_name from new_rows));
  elsif tg_op = 'DELETE' then
    perform private.crew_quantiles_refresh(array(select distinct crew_name from old_rows));
  else
    perform private.crew_quantiles_refresh(array(
      select crew_name from old_rows union select crew_name from new_rows));
  end if;
  return null;
end
$$;
drop trigger if exists crew_quantiles_insert on private.crew_durations;
create trigger crew_quantiles_insert after insert on private.crew_durations
  referencing new table as new_rows
  for each statement execute function private.crew_quantiles_follow();
drop trigger if exists crew_quantiles_update on private.crew_durations;
create trigger crew_quantiles_update after update on private.crew_durations
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.crew_quantiles_follow();
drop trigger if exists crew_quantiles_delete on private.crew_durations;
create trigger crew_quantiles_delete after delete on private.crew_durations
  referencing old table as old_rows
  for each statement execute function private.crew_quantiles_follow();
drop trigger if exists crew_quantiles_truncate on private.crew_durations;
create trigger crew_quantiles_truncate after truncate on private.crew_durations
  for each statement execute function private.crew_quantiles_follow();

-- The quantiles of the crews as they are (this migration may run over existing data).
-- (In a DO block: `supabase db push` sends a file as one pipeline, where PostgreSQL 15
-- refuses a top-level LOCK TABLE; the lock still lasts until the migration commits.)
do $$ begin lock table private.crew_durations in share mode; end $$;
truncate private.crew_quantiles;
select private.crew_quantiles_refresh(array(select distinct crew_name from private.crew_durations));

create index if not exists idx_crew_runs_failed_created
  on public.crew_nuclear_system (created_at) include (crew_name) where status = 'failed';

-- The overview's lines, one per crew (p_crew_name: that crew's only): the rollup, its
-- quantiles, the newest run of each crew (one probe of idx_crew_runs_name_created) and the
-- failures of the last 24 hours (a range of idx_crew_runs_failed_created, index only).
create or replace function private.crew_summaries(p_crew_name text default null)
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
        and (p_crew_name is null or c.crew_name = p_crew_name)
      group by c.crew_name
    )
    select r.crew_name, l.crew_type, r.runs, r.complete, r.failed, l.id, l.created_at,
           l.status, l.configuration, q.median_seconds::numeric, q.p95_seconds::numeric,
           coalesce(f.n, 0)
    from private.crew_rollup r
    cross join lateral (
      select c.id, c.crew_type, c.created_at, c.status, c.configuration
      from public.crew_nuclear_system c
      where c.crew_name = r.crew_name
      order by c.created_at desc, c.id desc limit 1
    ) l
    left join private.crew_quantiles q on q.crew_name = r.crew_name
    left join failures f on f.crew_name = r.crew_name
    where p_crew_name is null or r.crew_name = p_crew_name
    order by r.crew_name;
end
$$;
revoke all on function private.crew_summaries(text) from public, anon;
grant execute on function private.crew_summaries(text) to authenticated, service_role;

-- The overview as before, for its callers: every crew's line.
create or replace function private.crew_overview()
returns table (
  crew_name text, crew_type text, runs bigint, complete bigint, failed bigint,
  last_run_id uuid, last_run_at timestamptz, last_status text, last_configuration jsonb,
  median_seconds numeric, p95_seconds numeric, failed_24h bigint
)
language sql stable security definer set search_path = '' as $$
  select * from private.crew_summaries(null)
$$;
revoke all on function private.crew_overview() from public, anon;
grant execute on function private.crew_overview() to authenticated, service_role;

-- Trigger functions run whoever writes; nobody calls them directly.
revoke execute on function private.crew_quantiles_follow(),
  private.crew_quantiles_refresh(text[]) from public, anon, authenticated, service_role;
