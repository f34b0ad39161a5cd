-- Closed buckets of the per-type charts, kept by the database (issue 12's scale goal: a
-- 30-day chart of one system type in p95 under 100 ms at 5,000,000 samples).
--
-- A 30-day chart of one type reads ~400,000 samples: 1.4 s from the raw rows (EXPLAIN
-- ANALYZE, see README), whatever the index. But its buckets (3 hours, aligned on 2000-01-01)
-- never change once they are over: their avg, p95, max and n are computed once, exactly, from
-- the raw rows, and kept here. A chart then reads its closed buckets from here and only its
-- first (partial: the range starts inside it) and last (open) buckets from the raw rows, so
-- its numbers are exactly those of a direct aggregate over the same rows.
--
-- Kept right: a statement trigger forgets the closed buckets that an insert, update or delete
-- of samples touches (a live collector writes into the open bucket, so usually nothing), a
-- truncate forgets all, and retention forgets what it deleted.

create table if not exists private.performance_rollup (
  bucket_seconds integer not null,
  metric text not null,
  t timestamptz not null,
  system_type text not null,
  avg double precision,
  p95 double precision,
  max double precision,
  n bigint not null,
  primary key (bucket_seconds, metric, t, system_type)
);
-- Buckets computed (for every type at once), even those without samples.
create table if not exists private.performance_rollup_done (
  bucket_seconds integer not null,
  metric text not null,
  t timestamptz not null,
  primary key (bucket_seconds, metric, t)
);
create index if not exists idx_perf_rollup_done_t on private.performance_rollup_done (t);
revoke all on private.performance_rollup, private.performance_rollup_done
  from public, anon, authenticated;

create or replace function private.performance_rollup_forget() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'TRUNCATE' then
    delete from private.performance_rollup;
    delete from private.performance_rollup_done;
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
  return null;
end
$$;
drop trigger if exists perf_rollup_forget_insert on public.system_performance_logs;
create trigger perf_rollup_forget_insert after insert on public.system_performance_logs
  referencing new table as changed_rows
  for each statement execute function private.performance_rollup_forget();
drop trigger if exists perf_rollup_forget_delete on public.system_performance_logs;
create trigger perf_rollup_forget_delete after delete on public.system_performance_logs
  referencing old table as changed_rows
  for each statement execute function private.performance_rollup_forget();
drop trigger if exists perf_rollup_forget_update_old on public.system_performance_logs;
create trigger perf_rollup_forget_update_old after update on public.system_performance_logs
  referencing old table as changed_rows
  for each statement execute function private.performance_rollup_forget();
drop trigger if exists perf_rollup_forget_update_new on public.system_performance_logs;
create trigger perf_rollup_forget_update_new after update on public.system_performance_logs
  referencing new table as changed_rows
  for each statement execute function private.performance_rollup_forget();
drop trigger if exists perf_rollup_forget_truncate on public.system_performance_logs;
create trigger perf_rollup_forget_truncate after truncate on public.system_performance_logs
  for each statement execute function private.performance_rollup_forget();

-- The per-type series of one metric: (system_type, bucket start, avg, p95, max, n), buckets of
-- p_bucket_seconds aligned on 2000-01-01, rows with p_start <= timestamp < p_end, one type or
-- all. The read rule of system_performance_logs applies (any console role). Closed buckets
-- missing from the rollup are computed on the way (once; later calls read them).
create or replace function private.performance_type_series(
  p_metric text, p_bucket_seconds integer, p_start timestamptz, p_end timestamptz,
  p_system_type text default null)
returns table (system_type text, t timestamptz, avg double precision,
               p95 double precision, max double precision, n bigint)
language plpgsql volatile security definer set search_path = '' as $$
declare
  step interval := make_interval(secs => p_bucket_seconds);
  origin constant timestamptz := '2000-01-01 00:00:00+00';
  -- the first whole bucket, and the end of the last closed one (a few minutes' grace for
  -- samples that arrive late)
  full_start timestamptz := date_bin(step, p_start, origin);
  full_end timestamptz := least(date_bin(step, p_end, origin),
                                date_bin(step, now() - interval '5 minutes', origin));
begin
  if private.app_role() is null and current_setting('role') in ('authenticated', 'anon') then
    return;
  end if;
  if full_start < p_start then
    full_start := full_start + step;  -- the range starts inside a bucket: that one is partial
  end if;
  if full_end > full_start then
    -- Buckets not computed yet: every type at once, from the raw rows.
    with missing as (
      select g as t from generate_series(full_start, full_end - step, step) g
      except
      select d.t from private.performance_rollup_done d
      where d.bucket_seconds = p_bucket_seconds and d.metric = p_metric
        and d.t >= full_start and d.t < full_end
    ), computed as (  -- a data-modifying CTE runs whether read or not
      insert into private.performance_rollup as r
        (bucket_seconds, metric, t, system_type, avg, p95, max, n)
      select p_bucket_seconds, p_metric, s.t, s.system_type, avg(s.v),
             percentile_cont(0.95) within group (order by s.v), max(s.v), count(s.v)
      from (select l.system_type, date_bin(step, l."timestamp", origin) as t,
                   case when jsonb_typeof(l.metrics -> p_metric) = 'number'
                        then (l.metrics ->> p_metric)::double precision end as v
            from public.system_performance_logs l
            join missing m on l."timestamp" >= m.t and l."timestamp" < m.t + step) s
      group by s.t, s.system_type
      having count(s.v) > 0
      on conflict do nothing
    )
    insert into private.performance_rollup_done (bucket_seconds, metric, t)
      select p_bucket_seconds, p_metric, m.t from missing m
      on conflict do nothing;
  else
    full_end := full_start;
  end if;
  return query
    select r.system_type, r.t, r.avg, r.p95, r.max, r.n
    from private.performance_rollup r
    where r.bucket_seconds = p_bucket_seconds and r.metric = p_metric
      and r.t >= full_start and r.t < full_end
      and (p_system_type is null or r.system_type = p_system_type)
    union all
    select s.system_type, s.t, avg(s.v), percentile_cont(0.95) within group (order by s.v),
           max(s.v), count(s.v)
    from (select l.system_type, date_bin(step, l."timestamp", origin) as t,
                 case when jsonb_typeof(l.metrics -> p_metric) = 'number'
                      then (l.metrics ->> p_metric)::double precision end as v
          from public.system_performance_logs l
          where (p_system_type is null or l.system_type = p_system_type)
            and ((l."timestamp" >= p_start and l."timestamp" < least(full_start, p_end))
                 or (l."timestamp" >= greatest(full_end, p_start) and l."timestamp" < p_end))) s
    group by s.t, s.system_type
    having count(s.v) > 0;
end
$$;
revoke all on function private.performance_type_series(text, integer, timestamptz, timestamptz, text)
  from public, anon;
grant execute on function private.performance_type_series(text, integer, timestamptz, timestamptz, text)
  to authenticated, service_role;

-- A trigger function: it runs whoever writes; nobody calls it directly.
revoke execute on function private.performance_rollup_forget() from public, anon, authenticated, service_role;
