-- Finding an actor by email for the audit trail's filter and its suggestions.
--
-- As `authenticated`, profiles' RLS policy is a security barrier: the planner keeps every
-- expression that is not leakproof (lower(email), LIKE) above it, so idx_profiles_email_lower
-- is never used and each lookup reads all profiles (60–80 ms at 100,000 users). These two
-- functions run as their owner, for admins and auditors only (who read every profile anyway),
-- so the index serves them: an exact email, and up to `p_limit` emails starting with a prefix.

create or replace function private.audit_actor_ids(p_email text)
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
begin
  if coalesce(private.app_role(), '') not in ('admin', 'auditor') then
    raise exception 'only admins and auditors read the audit trail' using errcode = '42501';
  end if;
  return query
    select p.id from public.profiles p where lower(p.email) = lower(btrim(p_email)) limit 5;
end
$$;

create or replace function private.audit_actor_suggestions(p_prefix text, p_limit int default 10)
returns table (email text, display_name text)
language plpgsql stable security definer set search_path = '' as $$
declare
  -- LIKE's wildcards in what was typed are literal characters.
  pattern text := replace(replace(replace(lower(btrim(p_prefix)), '\', '\\'), '%', '\%'), '_', '\_')
                  || '%';
begin
  if coalesce(private.app_role(), '') not in ('admin', 'auditor') then
    raise exception 'only admins and auditors read the audit trail' using errcode = '42501';
  end if;
  -- A literal pattern (not a parameter), so the planner can turn the prefix into an index range.
  return query execute format(
    'select p.email, p.display_name from public.profiles p'
    ' where lower(p.email) like %L limit %s',
    pattern, least(greatest(coalesce(p_limit, 10), 1), 50));
end
$$;

revoke all on function private.audit_actor_ids(text) from public, anon;
revoke all on function private.audit_actor_suggestions(text, int) from public, anon;
grant execute on function private.audit_actor_ids(text) to authenticated, service_role;
grant execute on function private.audit_actor_suggestions(text, int) to authenticated, service_role;
