-- What the runs list suggests in its crew and type filters: every crew's name (the rollup
-- keeps one row per crew) and every type a run has, found by a loose scan of
-- idx_crew_runs_type_created (one probe per distinct type, not a read of a million runs).
-- The overview (private.crew_overview) has the names too, but also counts, quantiles,
-- failures and configurations the list does not show.
create or replace function private.crew_filter_values()
returns table (field text, value text)
language plpgsql stable security definer set search_path = '' as $$
begin
  -- The rule of private.crew_overview: a signed-in user needs a role.
  if auth.uid() is not null and private.app_role() is null then
    raise exception 'not allowed to read crews' using errcode = '42501';
  end if;
  return query
    select 'crew_name', r.crew_name from private.crew_rollup r
    union all
    (with recursive types (crew_type) as (
       select min(c.crew_type) from public.crew_nuclear_system c
       union all
       select (select min(c.crew_type) from public.crew_nuclear_system c
               where c.crew_type > t.crew_type)
       from types t where t.crew_type is not null
     )
     select 'crew_type', t.crew_type from types t where t.crew_type is not null);
end
$$;
revoke all on function private.crew_filter_values() from public, anon;
grant execute on function private.crew_filter_values() to authenticated, service_role;
