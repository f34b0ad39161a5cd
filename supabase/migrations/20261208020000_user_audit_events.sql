-- What a client logs through log_audit_event (PostgREST exposes it to every signed-in user) is a
-- note of theirs, never a row the console's pages take for the database's or its own: a
-- signed-in user must not be able to plant a lifecycle step in a release timeline or a role
-- change in a record's history.
--
-- log_audit_event(p_action, p_table_name, p_record_id, p_old_values, p_new_values), the seed's
-- signature, now:
--   - is for users with a console role only (private.app_role() not null);
--   - stores the action as 'USER:' || the caller's word: the trigger and the console write bare
--     words (CREATE, UPDATE, BAN, CLEANUP…), so no note is ever one of their rows, and the
--     release timeline and record histories leave USER: rows out (deployments/timeline.py,
--     private.record_history below, console.history.merged_history);
--   - refuses the words the database and the console write themselves all the same (a note
--     called BAN would still read like one in the trail);
--   - names a table only if the database audits it (the audit_row_change trigger), a record
--     only with its table;
--   - keeps what it stores small (16 KB of old and new values together, 32 levels deep) and
--     rare: at most NOTES_PER_MINUTE per user in any minute and NOTES_PER_DAY in any day,
--     counted from audit_logs through a partial index of the notes alone.
--
-- SQLSTATEs raised here:
--   42501  no signed-in caller, no console role, or an action the console writes
--   22023  an action that is not a word, a table the database does not audit, a bad record id
--   54000  values too large or too deep
--   BGN01  too many notes: the per-minute or per-day limit of the caller is reached

create index if not exists idx_audit_logs_user_notes
  on public.audit_logs (user_id, created_at desc)
  where action like 'USER:%';

create or replace function public.log_audit_event(
  p_action text,
  p_table_name text default null,
  p_record_id text default null,
  p_old_values jsonb default null,
  p_new_values jsonb default null
) returns void
language plpgsql security definer set search_path = '' as $$
declare
  notes_per_minute constant int := 20;
  notes_per_day constant int := 500;
  max_bytes constant int := 16384;
  caller uuid := (select auth.uid());
  word text := upper(btrim(coalesce(p_action, '')));
  audited regclass;
  recent int;
begin
  if caller is null then
    raise exception 'log_audit_event needs a signed-in caller' using errcode = '42501';
  end if;
  if (select private.app_role()) is null then
    raise exception 'log_audit_event is for users with a console role' using errcode = '42501';
  end if;
  if word !~ '^[A-Z][A-Z0-9_]{0,31}$' then
    raise exception 'audit action must be a word of letters, digits and _ (at most 32)'
      using errcode = '22023';
  end if;
  -- The trigger's actions and the console's own events (and their families).
  if word = any (array['CREATE', 'UPDATE', 'DELETE', 'INSERT', 'TRUNCATE', 'SEED',
                       'LOGIN', 'LOGIN_FAILED', 'LOGOUT', 'INVITE', 'PROMOTE', 'ROLE_CHANGE',
                       'BAN', 'UNBAN', 'EXPORT', 'IMPORT', 'CLEANUP', 'RETENTION', 'PAUSE',
                       'ACTIVATE', 'PUBLISH', 'UNPUBLISH', 'DEPLOY', 'ROLLBACK', 'RETIRE'])
     or word ~ '^(LOGIN|LOGOUT|PASSWORD|MFA|SESSION|AUTH)(_|$)' then
    raise exception 'the action % is written by the database or the console only', word
      using errcode = '42501';
  end if;
  if p_table_name is not null then
    audited := to_regclass(format('public.%I', left(p_table_name, 63)));
    if audited is null or not exists (select 1 from pg_catalog.pg_trigger t
                                      where t.tgrelid = audited
                                        and t.tgname = 'audit_row_change') then
      raise exception 'table % is not one the database audits', left(p_table_name, 63)
        using errcode = '22023';
    end if;
  end if;
  if p_record_id is not null
     and (p_table_name is null or length(p_record_id) > 200 or p_record_id ~ '[[:cntrl:]]') then
    raise exception 'a record id needs its table, at most 200 characters, no control characters'
      using errcode = '22023';
  end if;
  perform private.check_audit_value('old values', p_old_values);
  perform private.check_audit_value('new values', p_new_values);
  if coalesce(octet_length(p_old_values::text), 0)
     + coalesce(octet_length(p_new_values::text), 0) > max_bytes then
    raise exception 'old and new values together are larger than 16 KB' using errcode = '54000';
  end if;
  -- One note at a time per user, so concurrent calls count each other.
  perform pg_advisory_xact_lock(hashtext('public.log_audit_event'), hashtext(caller::text));
  select count(*) into recent from (
    select 1 from public.audit_logs a
    where a.user_id = caller and a.action like 'USER:%'
      and a.created_at > clock_timestamp() - interval '1 minute'
    limit notes_per_minute) n;
  if recent >= notes_per_minute then
    raise exception 'at most % notes a minute; try again in a minute', notes_per_minute
      using errcode = 'BGN01';
  end if;
  select count(*) into recent from (
    select 1 from public.audit_logs a
    where a.user_id = caller and a.action like 'USER:%'
      and a.created_at > clock_timestamp() - interval '1 day'
    limit notes_per_day) n;
  if recent >= notes_per_day then
    raise exception 'at most % notes a day', notes_per_day using errcode = 'BGN01';
  end if;
  insert into public.audit_logs
    (user_id, action, table_name, record_id, old_values, new_values, created_at)
  values (caller, 'USER:' || word, p_table_name, p_record_id, p_old_values, p_new_values,
          clock_timestamp());
end
$$;

revoke all on function public.log_audit_event(text, text, text, jsonb, jsonb) from public, anon;
grant execute on function public.log_audit_event(text, text, text, jsonb, jsonb)
  to authenticated, service_role;

-- A record's history: the rows of the database and the console, never a client's notes (the
-- function of 20261127140400_record_history_actor_email.sql otherwise unchanged).
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
      and a.action not like 'USER:%'
      and (p_before_created is null
           or (a.created_at, a.id) < (p_before_created, p_before_id))
    order by a.created_at desc, a.id desc
    limit least(greatest(p_limit, 1), 200);
end
$$;
revoke all on function private.record_history(text, text, timestamptz, uuid, int)
  from public, anon;
grant execute on function private.record_history(text, text, timestamptz, uuid, int)
  to authenticated, service_role;
