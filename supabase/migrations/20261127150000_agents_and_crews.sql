-- Agents and crews (issue 11): the statuses the seed names, the run lifecycle enforced by the
-- database whoever writes, the indexes behind every filter of /agents/ and /crews/runs/, and a
-- rollup that keeps the crews overview fast at a million runs. Idempotent.

-- ---------- Agent status: active, paused or error ----------
-- Existing values are mapped first: known words in any case, NULL from is_active, anything
-- else to 'error' (an agent in a state nobody knows needs looking at).
update public.ai_agents
set status = case
  when lower(btrim(status)) in ('active', 'paused', 'error') then lower(btrim(status))
  when status is null then case when is_active is false then 'paused' else 'active' end
  else 'error'
end
where status is null or status not in ('active', 'paused', 'error');

alter table public.ai_agents alter column status set default 'active';
alter table public.ai_agents drop constraint if exists ai_agents_status_check;
alter table public.ai_agents add constraint ai_agents_status_check
  check (status in ('active', 'paused', 'error'));

-- The agents list filters on type, status/active (idx_ai_agents_status_active) and last
-- activity (between; "silent for more than N hours"). Name/type search uses ILIKE, which
-- gets no index under RLS; at the seed's six agents a plain filter costs nothing.
create index if not exists idx_ai_agents_type on public.ai_agents (type, name, id);
create index if not exists idx_ai_agents_last_activity on public.ai_agents (last_activity, id);
create index if not exists idx_ai_agents_name on public.ai_agents (name, id);
create index if not exists idx_ai_agents_updated on public.ai_agents (updated_at, id);

-- ---------- Crew runs: pending → running → complete | failed ----------
update public.crew_nuclear_system
set status = case
  when lower(btrim(status)) in ('pending', 'running', 'complete', 'failed') then lower(btrim(status))
  when lower(btrim(status)) in ('completed', 'success', 'succeeded', 'done') then 'complete'
  when lower(btrim(status)) in ('error', 'failure', 'cancelled', 'canceled') then 'failed'
  else 'pending'
end
where status is null or status not in ('pending', 'running', 'complete', 'failed');

alter table public.crew_nuclear_system alter column status set default 'pending';
-- The columns stay nullable as the seed has them (Part 1.1); the guard below fills a missing
-- status and start time, since runs page newest first by (created_at, id).
update public.crew_nuclear_system set created_at = coalesce(updated_at, now()) where created_at is null;
alter table public.crew_nuclear_system drop constraint if exists crew_nuclear_system_status_check;
alter table public.crew_nuclear_system add constraint crew_nuclear_system_status_check
  check (status in ('pending', 'running', 'complete', 'failed'));

-- Any other change of status is refused, for every role and every client, with SQLSTATE
-- BG101 (the console maps the code, never the message). A run that starts running gets its
-- last_execution (when it started executing) unless the writer gave one.
create or replace function private.guard_crew_run_status() returns trigger
language plpgsql as $$
declare
  was text;
begin
  new.created_at := coalesce(new.created_at, now());
  if tg_op = 'INSERT' then
    new.status := coalesce(new.status, 'pending');
    return new;
  end if;
  new.status := coalesce(new.status, old.status, 'pending');
  was := coalesce(old.status, 'pending');
  if new.status is distinct from was then
    if not ((was = 'pending' and new.status = 'running')
            or (was = 'running' and new.status in ('complete', 'failed'))) then
      raise exception 'a crew run cannot go from % to %', was, new.status
        using errcode = 'BG101',
              hint = 'A run goes pending → running → complete or failed.';
    end if;
    if new.status = 'running' and new.last_execution is not distinct from old.last_execution then
      new.last_execution := now();
    end if;
  end if;
  return new;
end
$$;
drop trigger if exists guard_crew_run_status on public.crew_nuclear_system;
create trigger guard_crew_run_status before insert or update on public.crew_nuclear_system
  for each row execute function private.guard_crew_run_status();

-- A run's duration in seconds: performance_data.duration when it is a number.
create or replace function private.run_duration(data jsonb) returns numeric
language sql immutable parallel safe set search_path = '' as $$
  select case when jsonb_typeof(data -> 'duration') = 'number' then (data ->> 'duration')::numeric end
$$;
grant execute on function private.run_duration(jsonb) to authenticated, service_role;

-- The runs list pages by keyset (created_at desc, id desc) alone or after one equality filter
-- (crew, status, type); "started between" is a range on the same order. The crew page reads
-- a crew's newest runs from the first index; "failed in the last 24 hours" is a short range
-- of the status index.
create index if not exists idx_crew_runs_created on public.crew_nuclear_system (created_at desc, id desc);
create index if not exists idx_crew_runs_name_created
  on public.crew_nuclear_system (crew_name, created_at desc, id desc);
create index if not exists idx_crew_runs_status_created
  on public.crew_nuclear_system (status, created_at desc, id desc);
create index if not exists idx_crew_runs_type_created
  on public.crew_nuclear_system (crew_type, created_at desc, id desc);

-- ---------- The crews overview: a rollup kept by statement triggers ----------
-- One row per crew_name (runs, complete, failed) and a histogram of durations in whole
-- seconds, so the median and p95 are exact to the second and cost a few hundred rows, not a
-- scan of a million runs. Statement-level triggers with transition tables keep both in step
-- with one upsert per crew per statement, also for bulk inserts.
create table if not exists private.crew_rollup (
  crew_name text primary key,
  runs bigint not null default 0,
  complete bigint not null default 0,
  failed bigint not null default 0
);
create table if not exists private.crew_durations (
  crew_name text not null,
  seconds bigint not null,
  runs bigint not null default 0,
  primary key (crew_name, seconds)
);
revoke all on private.crew_rollup, private.crew_durations from public, anon, authenticated;

create or replace function private.crew_rollup_apply() returns trigger
language plpgsql security definer set search_path = '' as $$
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
  end if;
  return null;
end
$$;

drop trigger if exists crew_rollup_insert on public.crew_nuclear_system;
create trigger crew_rollup_insert after insert on public.crew_nuclear_system
  referencing new table as new_rows
  for each statement execute function private.crew_rollup_apply();
drop trigger if exists crew_rollup_update on public.crew_nuclear_system;
create trigger crew_rollup_update after update on public.crew_nuclear_system
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.crew_rollup_apply();
drop trigger if exists crew_rollup_delete on public.crew_nuclear_system;
create trigger crew_rollup_delete after delete on public.crew_nuclear_system
  referencing old table as old_rows
  for each statement execute function private.crew_rollup_apply();
-- TRUNCATE has no transition table: it empties the rollup with the runs.
create or replace function private.crew_rollup_truncate() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  truncate private.crew_rollup, private.crew_durations;
  return null;
end
$$;
drop trigger if exists crew_rollup_truncate on public.crew_nuclear_system;
create trigger crew_rollup_truncate after truncate on public.crew_nuclear_system
  for each statement execute function private.crew_rollup_truncate();

-- Built from the runs as they are (this migration may run over existing data, or again).
-- (In a DO block: `supabase db push` sends a file as one pipeline, where PostgreSQL 15
-- refuses a top-level LOCK TABLE; the lock still lasts until the migration commits.)
do $$ begin lock table public.crew_nuclear_system in share mode; end $$;
truncate private.crew_rollup, private.crew_durations;
insert into private.crew_rollup (crew_name, runs, complete, failed)
select crew_name, count(*), count(*) filter (where status = 'complete'),
       count(*) filter (where status = 'failed')
from public.crew_nuclear_system group by crew_name;
insert into private.crew_durations (crew_name, seconds, runs)
select crew_name, floor(private.run_duration(performance_data))::bigint, count(*)
from public.crew_nuclear_system where private.run_duration(performance_data) is not null
group by 1, 2;

-- The overview, one row per crew: the rollup, the newest run of each crew (one probe of
-- idx_crew_runs_name_created), median and p95 from the histogram, and the failures of the
-- last 24 hours (a range of idx_crew_runs_status_created). Anyone with a role reads runs, so
-- anyone with a role reads this (the same rule as the crew_nuclear_system_select policy).
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
    ), durations as (
      select d.crew_name, d.seconds,
             sum(d.runs) over (partition by d.crew_name order by d.seconds) as upto,
             sum(d.runs) over (partition by d.crew_name) as total
      from private.crew_durations d
    ), quantiles as (
      select q.crew_name,
             min(q.seconds) filter (where q.upto >= 0.5 * q.total) as median_seconds,
             min(q.seconds) filter (where q.upto >= 0.95 * q.total) as p95_seconds
      from durations q group by q.crew_name
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
    left join quantiles q on q.crew_name = r.crew_name
    left join failures f on f.crew_name = r.crew_name
    order by r.crew_name;
end
$$;
revoke all on function private.crew_overview() from public, anon;
grant execute on function private.crew_overview() to authenticated, service_role;

-- Trigger functions run whoever writes; nobody calls them directly.
revoke execute on function private.guard_crew_run_status(), private.crew_rollup_apply(),
  private.crew_rollup_truncate() from public, anon, authenticated, service_role;
revoke execute on function private.run_duration(jsonb) from public, anon;
