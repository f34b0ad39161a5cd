-- The explorer's "top systems" (issue 15: the explorer in p50 < 25 ms, p95 < 50 ms at
-- 5,000,000 samples), and its system suggestions.
--
-- Top systems: the p95, max, avg and n of one metric per system over the last 24 hours of the
-- range. From the raw rows that is ~56,000 JSON values per view (120 ms, EXPLAIN ANALYZE).
-- A per-system histogram per closed bucket does not help at this density (a system reports
-- ~10 samples an hour, so an hourly histogram has as many bins as samples: merging 24 of them
-- per system cost 20-35 ms in trials). What does help: the window's closed part (its "body",
-- aligned on 10 minutes, over for 10 minutes at least) is the same for every view in those
-- 10 minutes, so it is summed up once per system: n, sum, max and the highest values, sorted
-- (enough of them for the p95 of the whole window). A view then reads that summary (one row per
-- system) and only the window's edges from the raw rows (its partial first 10 minutes and its
-- last 10-20 minutes), and merges them. The numbers are exact: those of percentile_cont, avg,
-- max and count over the same rows (tested). Should the edges hold so many samples that the
-- kept values no longer reach the p95 (more samples in their 20-30 minutes than in the rest of
-- the day, and lower ones), the function computes the window from the raw rows instead.
--
-- Kept right: private.performance_rollup_forget (the statement triggers of
-- 20261127160200_performance_rollup.sql) now also forgets every summary whose body an insert,
-- update or delete of samples touches (late data, retention) and all on truncate. Summaries
-- older than an hour are dropped when a new one is made.

create table if not exists private.performance_top_body (
  metric text not null,
  t_start timestamptz not null,
  t_end timestamptz not null,
  system_type text not null,
  system_id text not null,
  n bigint not null,
  total double precision not null,
  max double precision not null,
  top double precision[] not null,  -- the highest values, descending (all of them when few)
  primary key (metric, t_start, t_end, system_type, system_id)
);
-- Bodies summed up (even those without samples).
create table if not exists private.performance_top_body_done (
  metric text not null,
  t_start timestamptz not null,
  t_end timestamptz not null,
  computed_at timestamptz not null default now(),
  primary key (metric, t_start, t_end)
);
create index if not exists idx_perf_top_body_done_end on private.performance_top_body_done (t_end);
create index if not exists idx_perf_top_body_done_computed
  on private.performance_top_body_done (computed_at);
revoke all on private.performance_top_body, private.performance_top_body_done
  from public, anon, authenticated;

-- The forgetting of 20261127160200_performance_rollup.sql, and the same for the bodies.
create or replace function private.performance_rollup_forget() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'TRUNCATE' then
    delete from private.performance_rollup;
    delete from private.performance_rollup_done;
    delete from private.performance_top_body;
    delete from private.performance_top_body_done;
    return null;
  end if;
  with touched as (
    delete from private.performance_rollup_done d
    using (select min(c."timestamp") as low, max(c."timestamp") as high from changed_rows c) r
    where d.t <= r.high and d.t > r.low - make_interval(secs => d.bucket_seconds)
      and exists (select 1 from changed_rows c
                  where c."timestamp" >= d.t
                    and c."timestamp" < d.t + make_interval(secs => d.bucket_seconds))
    returning d.bucket_seconds, d.metric, d.t
  )
  delete from private.performance_rollup p using touched
  where p.bucket_seconds = touched.bucket_seconds and p.metric = touched.metric
    and p.t = touched.t;
  -- A live collector writes after every body's end (t_end is 10 minutes old at least): the
  -- index on t_end finds nothing to check.
  with touched as (
    delete from private.performance_top_body_done d
    using (select min(c."timestamp") as low, max(c."timestamp") as high from changed_rows c) r
    where d.t_end > r.low and d.t_start <= r.high
      and exists (select 1 from changed_rows c
                  where c."timestamp" >= d.t_start and c."timestamp" < d.t_end)
    returning d.metric, d.t_start, d.t_end
  )
  delete from private.performance_top_body b using touched
  where b.metric = touched.metric and b.t_start = touched.t_start and b.t_end = touched.t_end;
  return null;
end
$$;

-- The systems with the highest p95 of p_metric over p_start <= timestamp < p_end, one type or
-- all: (system_type, system_id, p95, max, avg, n), highest p95 first (then system_id), at most
-- p_limit. Exactly percentile_cont(0.95), max, avg and count of the metric's numeric values
-- per system (systems without any left out). The read rule of system_performance_logs
-- applies (any console role), checked as private.performance_type_series does.
create or replace function private.performance_top_systems(
  p_metric text, p_start timestamptz, p_end timestamptz,
  p_system_type text default null, p_limit integer default 10)
returns table (system_type text, system_id text, p95 double precision, max double precision,
               avg double precision, n bigint)
language plpgsql volatile security definer set search_path = '' as $$
declare
  step constant interval := interval '10 minutes';
  origin constant timestamptz := '2000-01-01 00:00:00+00';
  -- The body: whole 10-minute buckets inside the range, over for 10 minutes at least (a
  -- whole step: for the last 24 hours both of its ends move at the same moment, once in
  -- 10 minutes, and samples a few minutes late do not forget it).
  body_start timestamptz := date_bin(step, p_start, origin);
  body_end timestamptz := least(date_bin(step, p_end, origin),
                                date_bin(step, now() - step, origin));
  lim integer := least(greatest(coalesce(p_limit, 10), 1), 100);
  found_rows bigint;
begin
  if private.app_role() is null and current_setting('role') in ('authenticated', 'anon') then
    return;
  end if;
  if p_metric is null or p_start is null or p_end is null or p_end <= p_start then
    return;
  end if;
  if body_start < p_start then
    body_start := body_start + step;  -- the range starts inside a bucket: an edge
  end if;
  if body_end <= body_start then
    body_start := p_start;  -- no body: the whole range is an edge (a short range)
    body_end := p_start;
  elsif not exists (select 1 from private.performance_top_body_done d
                    where d.metric = p_metric and d.t_start = body_start
                      and d.t_end = body_end) then
    -- Summaries nobody reads any more (the live window moves every 10 minutes). A view
    -- reading one of them in the meantime keeps its snapshot.
    with gone as (
      delete from private.performance_top_body_done d
      where d.computed_at < now() - interval '1 hour'
      returning d.metric, d.t_start, d.t_end
    )
    delete from private.performance_top_body b using gone
    where b.metric = gone.metric and b.t_start = gone.t_start and b.t_end = gone.t_end;
  end if;

  return query
    with have as materialized (
      select exists (select 1 from private.performance_top_body_done d
                     where d.metric = p_metric and d.t_start = body_start
                       and d.t_end = body_end) as h
    ),
    -- The body summed up from the raw rows, when not done yet (every type: one per metric).
    -- Enough of the highest values for the p95 even if the edges add as many samples again.
    fresh as materialized (
      select l.system_type, l.system_id, count(v.v) as n, sum(v.v) as total,
             max(v.v) as max,
             (array_agg(v.v order by v.v desc) filter (where v.v is not null))
               [1:least(count(v.v), ceil(count(v.v) * 0.1)::bigint + 10)::integer] as top
      from public.system_performance_logs l,
           lateral (select case when jsonb_typeof(l.metrics -> p_metric) = 'number'
                                then (l.metrics ->> p_metric)::double precision end as v) v
      where not (select h from have) and body_end > body_start
        and l."timestamp" >= body_start and l."timestamp" < body_end
        and l.system_id is not null
      group by l.system_type, l.system_id
      having count(v.v) > 0
    ),
    kept as (  -- a data-modifying CTE runs whether read or not
      insert into private.performance_top_body as b
        (metric, t_start, t_end, system_type, system_id, n, total, max, top)
      select p_metric, body_start, body_end, f.system_type, f.system_id, f.n, f.total, f.max,
             f.top
      from fresh f
      on conflict do nothing
    ),
    marked as (
      insert into private.performance_top_body_done (metric, t_start, t_end)
      select p_metric, body_start, body_end
      where not (select h from have) and body_end > body_start
      on conflict do nothing
    ),
    body as (
      select b.system_type, b.system_id, b.n, b.total, b.max, b.top
      from private.performance_top_body b
      where (select h from have) and b.metric = p_metric and b.t_start = body_start
        and b.t_end = body_end and (p_system_type is null or b.system_type = p_system_type)
      union all
      select f.system_type, f.system_id, f.n, f.total, f.max, f.top
      from fresh f
      where p_system_type is null or f.system_type = p_system_type
    ),
    -- The edges from the raw rows: the partial first bucket, the last ones.
    edge as (
      select l.system_type, l.system_id, count(v.v) as n, sum(v.v) as total, max(v.v) as max,
             array_agg(v.v order by v.v desc) filter (where v.v is not null) as top
      from public.system_performance_logs l,
           lateral (select case when jsonb_typeof(l.metrics -> p_metric) = 'number'
                                then (l.metrics ->> p_metric)::double precision end as v) v
      where ((l."timestamp" >= p_start and l."timestamp" < body_start)
             or (l."timestamp" >= body_end and l."timestamp" < p_end))
        and l.system_id is not null
        and (p_system_type is null or l.system_type = p_system_type)
      group by l.system_type, l.system_id
      having count(v.v) > 0
    ),
    whole as (
      select coalesce(b.system_type, e.system_type) as system_type,
             coalesce(b.system_id, e.system_id) as system_id,
             coalesce(b.n, 0) + coalesce(e.n, 0) as n,
             coalesce(b.total, 0) + coalesce(e.total, 0) as total,
             greatest(b.max, e.max) as max,
             coalesce(b.top, '{}') as body_top, coalesce(b.n, 0) as body_n,
             coalesce(e.top, '{}') as edge_top
      from body b full join edge e
        on e.system_type = b.system_type and e.system_id = b.system_id
    ),
    -- percentile_cont(0.95) of n values: the values at ascending positions lo and hi
    -- (0-based) of 0.95 * (n - 1), interpolated; from the top they are the (n - lo)th and the
    -- (n - hi)th, so the n - lo highest values of the body and the edges suffice.
    ranked as (
      select w.*, floor(0.95::float8 * (w.n - 1))::integer as lo,
             ceil(0.95::float8 * (w.n - 1))::integer as hi
      from whole w
    ),
    merged as materialized (  -- each system's values merged once, read three times below
      select r.system_type, r.system_id, r.n, r.total, r.max, r.lo, r.hi,
             -- the kept values reach the p95 (always when the body kept all of its own)
             (cardinality(r.body_top) = r.body_n or cardinality(r.body_top) >= r.n - r.lo)
               as exact,
             (select array_agg(u.v order by u.v desc)
              from (select unnest(r.body_top[1:(r.n - r.lo)::integer]) as v
                    union all select unnest(r.edge_top[1:(r.n - r.lo)::integer])) u) as top
      from ranked r
    ),
    result as (
      select m.system_type, m.system_id,
             m.top[(m.n - m.lo)::integer]
               + (m.top[(m.n - m.hi)::integer] - m.top[(m.n - m.lo)::integer])
                 * (0.95::float8 * (m.n - 1) - m.lo)
               as p95,
             m.max, m.total / m.n as avg, m.n,
             bool_and(m.exact) over () as all_exact
      from merged m
    )
    select r.system_type, r.system_id, r.p95, r.max, r.avg, r.n
    from result r
    where r.all_exact
    order by r.p95 desc, r.system_id
    limit lim;
  get diagnostics found_rows = row_count;
  if found_rows > 0 then
    return;
  end if;
  -- Nothing, or the kept values fall short (see above): from the raw rows.
  return query
    select s.system_type, s.system_id, percentile_cont(0.95) within group (order by s.v),
           max(s.v), avg(s.v), count(s.v)
    from (select l.system_type, l.system_id,
                 case when jsonb_typeof(l.metrics -> p_metric) = 'number'
                      then (l.metrics ->> p_metric)::double precision end as v
          from public.system_performance_logs l
          where l."timestamp" >= p_start and l."timestamp" < p_end
            and l.system_id is not null
            and (p_system_type is null or l.system_type = p_system_type)) s
    group by s.system_type, s.system_id
    having count(s.v) > 0
    order by 3 desc, 2
    limit lim;
end
$$;
revoke all on function private.performance_top_systems(text, timestamptz, timestamptz, text, integer)
  from public, anon;
grant execute on function private.performance_top_systems(text, timestamptz, timestamptz, text, integer)
  to authenticated, service_role;

-- The uuid a system id spells (any case, with or without braces or hyphens), else null.
create or replace function private.performance_uuid_or_null(p_text text) returns uuid
language plpgsql stable parallel safe set search_path = '' as $$
begin
  -- plpgsql, not a SQL CASE: the planner folds a constant's cast even in a branch not taken
  if pg_catalog.pg_input_is_valid(p_text, 'uuid') then
    return p_text::uuid;
  end if;
  return null;
end
$$;
-- Used inside security definer functions only.
revoke all on function private.performance_uuid_or_null(text)
  from public, anon, authenticated, service_role;

-- The explorer's system suggestions named each system by a join on the id as text: a
-- sequential scan of every crew run (1,000,000 at the bench, 150 ms) on each view. Now each
-- system that looks like a uuid is one probe of the primary key.
create or replace function private.performance_system_choices(
  p_system_type text default null, p_prefix text default null, p_limit int default 50)
returns table (system_type text, system_id text, name text, last_seen timestamptz)
language plpgsql stable security definer set search_path = '' as $$
begin
  if private.app_role() is null then
    return;
  end if;
  return query
    select s.system_type, s.system_id, named.name, s.last_seen
    from private.performance_systems s
    left join lateral (
      select coalesce(
        (select a.name from public.ai_agents a
         where s.system_type = 'agent' and a.id = private.performance_uuid_or_null(s.system_id)),
        (select c.crew_name from public.crew_nuclear_system c
         where s.system_type = 'crew' and c.id = private.performance_uuid_or_null(s.system_id))
      ) as name
    ) named on true
    where (p_system_type is null or s.system_type = p_system_type)
      and (p_prefix is null or p_prefix = ''
           or strpos(lower(s.system_id), lower(p_prefix)) > 0
           or strpos(lower(coalesce(named.name, '')), lower(p_prefix)) > 0)
    order by s.system_type, coalesce(named.name, s.system_id), s.system_id
    limit least(greatest(coalesce(p_limit, 50), 1), 500);
end
$$;

-- A trigger function: it runs whoever writes; nobody calls it directly.
revoke execute on function private.performance_rollup_forget() from public, anon, authenticated, service_role;
