-- A record's history names each actor by the email snapshotted in the audit row (issue 10),
-- so a deleted user's changes still say who made them; older rows fall back to the profile.
-- The function of 20261122000600_record_history.sql otherwise unchanged.

create or replace function private.record_history(
  p_table text,
  p_record_id text,
  p_before_created timestamptz default null,
  p_before_id uuid default null,
  p_limit int default 20
) returns table (
  id uuid, user_id uuid, action text, table_name text, record_id text, old_values jsonb,
  new_values jsonb, ip_address inet, user_agent text, created_at timestamptz, actor_email text
)
language plpgsql stable security definer set search_path = '' as $$
declare
  caller_role text := private.app_role();
  full_access boolean := caller_role in ('admin', 'auditor');
begin
  if not (full_access
          or (p_table = 'knowledge_base_entries' and caller_role = 'editor')
          or (p_table = 'profiles' and p_record_id = (select auth.uid())::text)) then
    raise exception 'not allowed to read this history' using errcode = '42501';
  end if;
  return query
    select a.id, a.user_id, a.action, a.table_name, a.record_id, a.old_values, a.new_values,
           case when full_access then a.ip_address end,
           case when full_access then a.user_agent end,
           a.created_at, coalesce(a.actor_email, p.email)
    from public.audit_logs a
    left join public.profiles p on p.id = a.user_id
    where a.table_name = p_table and a.record_id = p_record_id
      and (p_before_created is null
           or (a.created_at, a.id) < (p_before_created, p_before_id))
    order by a.created_at desc, a.id desc
    limit least(greatest(p_limit, 1), 200);
end
$$;
