-- Every write to the six data tables is audited by the database itself (issue 9), whoever
-- makes it: the console, PostgREST with a user's token, or the SQL editor. One AFTER ROW
-- trigger per table writes one audit row in the write's own transaction.
--
-- What only the console knows arrives in transaction-local settings it sets before a write
-- (set_config(..., true)):
--   billygoat.client_ip, billygoat.user_agent   where the request came from
--   billygoat.action                            the action name when it is not CREATE,
--                                               UPDATE or DELETE
--   billygoat.actor_id                          the console's actor, believed only when the
--                                               write runs as the connection role itself
--                                               (no SET ROLE): that role may call
--                                               system_insert_audit_log with any actor anyway
-- Otherwise the actor is auth.uid(), the verified caller; without either the row is "system".

-- The audit functions: system_insert_audit_log only for the console's own connection role
-- (the owner, which applied this migration) and the service role; log_audit_event for
-- signed-in clients, in their own name, for their own kinds of events, bounded in size.

-- How deep a JSON value nests (a scalar is 1), walked without recursion in PL/pgSQL and
-- stopping at p_limit + 1.
create or replace function private.jsonb_depth(p_value jsonb, p_limit int default 32)
returns int
language sql immutable set search_path = '' as $$
  with recursive walk(value, depth) as (
    select p_value, 1
    union all
    select child.value, walk.depth + 1
    from walk
    cross join lateral (
      select e.value from jsonb_each(
        case when jsonb_typeof(walk.value) = 'object' then walk.value end) e
      union all
      select a.value from jsonb_array_elements(
        case when jsonb_typeof(walk.value) = 'array' then walk.value end) a
    ) child
    where walk.depth <= p_limit
  )
  select coalesce(max(depth), 0) from walk
$$;

-- Refuses a value a client may not store in the trail: over 64 KB, or nested deeper than 32.
create or replace function private.check_audit_value(p_name text, p_value jsonb)
returns void
language plpgsql immutable set search_path = '' as $$
begin
  if p_value is null then
    return;
  end if;
  if octet_length(p_value::text) > 65536 then
    raise exception '% is larger than 64 KB', p_name using errcode = '54000';
  end if;
  if private.jsonb_depth(p_value, 32) > 32 then
    raise exception '% is nested deeper than 32 levels', p_name using errcode = '54000';
  end if;
end
$$;

-- Manual audit logging by a client: in the caller's own name only (auth.uid()), never one of
-- the actions the database and the console write themselves, and bounded.
create or replace function public.log_audit_event(
  p_action text,
  p_table_name text default null,
  p_record_id text default null,
  p_old_values jsonb default null,
  p_new_values jsonb default null
) returns void
language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
  action text := upper(btrim(coalesce(p_action, '')));
begin
  if caller is null then
    raise exception 'log_audit_event needs a signed-in caller' using errcode = '42501';
  end if;
  if action = '' or action !~ '^[A-Z][A-Z0-9_]{0,63}$' then
    raise exception 'audit action must be a word of letters, digits and _ (at most 64)'
      using errcode = '22023';
  end if;
  if action = any (array['CREATE', 'UPDATE', 'DELETE', 'INSERT', 'TRUNCATE', 'LOGIN',
                         'LOGIN_FAILED', 'LOGOUT', 'PASSWORD_SET', 'PASSWORD_CHANGE',
                         'PASSWORD_RESET', 'EXPORT', 'IMPORT', 'BAN', 'UNBAN', 'INVITE',
                         'PROMOTE', 'ROLE_CHANGE', 'RETENTION', 'SEED']) then
    raise exception 'the action % is written by the database or the console only', action
      using errcode = '42501';
  end if;
  if length(p_table_name) > 63 or length(p_record_id) > 200 then
    raise exception 'table name or record id too long' using errcode = '22023';
  end if;
  perform private.check_audit_value('old values', p_old_values);
  perform private.check_audit_value('new values', p_new_values);
  insert into public.audit_logs
    (user_id, action, table_name, record_id, old_values, new_values, created_at)
  values (caller, action, p_table_name, p_record_id, p_old_values, p_new_values,
          clock_timestamp());
end
$$;

revoke all on function public.log_audit_event(text, text, text, jsonb, jsonb) from public, anon;
grant execute on function public.log_audit_event(text, text, text, jsonb, jsonb)
  to authenticated, service_role;
revoke all on function public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text)
  from public, anon, authenticated;
grant execute on function public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text)
  to service_role;

-- promote_user_to_admin no longer logs by hand: the trigger below audits its update.
create or replace function public.promote_user_to_admin(user_email text) returns void
language plpgsql security definer set search_path = '' as $$
declare
  target public.profiles%rowtype;
begin
  if not public.is_admin() then
    raise exception 'only an admin may promote a user to admin' using errcode = '42501';
  end if;
  select * into target from public.profiles where lower(email) = lower(trim(user_email));
  if not found then
    raise exception 'no user with email %', user_email using errcode = 'P0002';
  end if;
  update public.profiles set role = 'admin', updated_at = now() where id = target.id;
end
$$;

-- The trigger. UPDATE rows keep only the columns that changed; an update that changes
-- nothing but updated_at writes no row. A profile that Supabase Auth creates, changes or
-- removes with its user (a trigger on auth.users, or the cascade of its delete) is audited
-- where it starts: the console records INVITE, CREATE and DELETE of users itself, Supabase
-- Auth in its own log.
create or replace function private.audit_row_change() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  old_row jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) end;
  new_row jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) end;
  changed text[];
  generated text[];
  actor uuid;
  action text;
  ip inet;
begin
  if tg_table_name = 'profiles'
     and (pg_trigger_depth() > 1
          or (tg_op = 'DELETE'
              and not exists (select 1 from auth.users u where u.id = old.id))) then
    return null;
  end if;
  -- Generated columns (the search index's tsvector) are derived, not written: left out.
  select coalesce(array_agg(a.attname::text), '{}') into generated
  from pg_catalog.pg_attribute a
  where a.attrelid = tg_relid and a.attgenerated <> '' and not a.attisdropped;
  old_row := old_row - generated;
  new_row := new_row - generated;
  if tg_op = 'UPDATE' then
    select array_agg(n.key) into changed
    from jsonb_each(new_row) n
    where n.value is distinct from old_row -> n.key;
    if changed is null or changed <@ array['updated_at'] then
      return null;
    end if;
    select jsonb_object_agg(k, old_row -> k), jsonb_object_agg(k, new_row -> k)
      into old_row, new_row
    from unnest(changed) k;
  end if;
  actor := (select auth.uid());
  if actor is null and current_setting('role') = 'none' then
    begin
      actor := nullif(current_setting('billygoat.actor_id', true), '')::uuid;
    exception when invalid_text_representation then
      actor := null;
    end;
  end if;
  action := coalesce(nullif(current_setting('billygoat.action', true), ''),
                     case tg_op when 'INSERT' then 'CREATE' else tg_op end);
  begin
    ip := nullif(current_setting('billygoat.client_ip', true), '')::inet;
  exception when invalid_text_representation then
    ip := null;
  end;
  begin
    perform public.system_insert_audit_log(
      actor, action, tg_table_name,
      (case when tg_op = 'DELETE' then to_jsonb(old) else to_jsonb(new) end) ->> 'id',
      old_row, new_row, ip,
      nullif(current_setting('billygoat.user_agent', true), ''));
  exception when others then
    -- The write goes back with its audit row; the console tells the user why (BGA01).
    raise exception 'the audit row could not be written: %', sqlerrm using errcode = 'BGA01';
  end;
  return null;
end
$$;
revoke all on function private.audit_row_change() from public, anon, authenticated, service_role;

do $$
declare
  t text;
begin
  foreach t in array array['profiles', 'ai_agents', 'crew_nuclear_system',
                           'knowledge_base_entries', 'deployment_packages',
                           'system_performance_logs'] loop
    execute format('drop trigger if exists audit_row_change on public.%I', t);
    execute format('create trigger audit_row_change after insert or update or delete'
                   ' on public.%I for each row execute function private.audit_row_change()', t);
  end loop;
end
$$;

revoke all on function private.jsonb_depth(jsonb, int) from public, anon, authenticated, service_role;
revoke all on function private.check_audit_value(text, jsonb) from public, anon, authenticated, service_role;
