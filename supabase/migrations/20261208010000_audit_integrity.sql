-- The audit trail and the console's login role, hardened against a leaked DATABASE_URL and
-- against writes that hide from the trail.
--
-- SQLSTATEs raised here:
--   BGR01  retention asked for a table whose saved policy is disabled
--
-- 1. promote_user_to_admin with no user in the JWT claims is the bootstrap path of the README
--    (the project owner in the SQL editor): only the owner roles pass, never `authenticated`
--    (or anyone else) without a `sub`.
-- 2. The console's own audit events (LOGIN, LOGOUT, EXPORT, BAN…) go through
--    private.console_audit_event, whose actor is auth.uid() of the claims in force, never a
--    parameter; the console's login role may no longer call system_insert_audit_log.
-- 3. Retention deletes by the saved policy only (enabled, its days) and writes its RETENTION
--    row itself, in the transaction that deletes.
-- 4. Every write to the six data tables is audited at any trigger depth; the only profile
--    writes left out are those the console's own triggers on auth.users make (a new user's
--    profile, an email kept in step), marked in a table no client can write.
-- 5. The trigger believes the context settings (billygoat.action, client_ip, user_agent) only
--    from the console's own sessions; it never labels a write RETENTION.
-- 6. pg_stat_statements (every role's SQL) is not readable by anon or authenticated.
-- 7. New functions the migrating role creates are not executable by PUBLIC (a global default
--    privilege; the per-schema revoke of 20261127000100 could not remove the built-in one).

-- 7. Default privileges, first, so the functions below start with none for PUBLIC either.
do $$
begin
  execute format('alter default privileges for role %I revoke execute on functions from public',
                 current_user);
end
$$;

-- 1. The first admin, from the SQL editor.
create or replace function public.promote_user_to_admin(user_email text) returns void
language plpgsql security definer set search_path = '' as $$
declare
  target public.profiles%rowtype;
  -- Who called: the role SET for this transaction (PostgREST, the console), else the login.
  caller_role text := case when current_setting('role') = 'none' then session_user::text
                           else current_setting('role') end;
begin
  if (select auth.uid()) is not null then
    if not public.is_admin() then
      raise exception 'only an admin may promote a user to admin' using errcode = '42501';
    end if;
  elsif not (caller_role in ('postgres', 'supabase_admin', current_user::text)
             or exists (select 1 from pg_catalog.pg_roles r
                        where r.rolname = caller_role and r.rolsuper)) then
    -- No user in the claims: only the project's owner roles make the first admin.
    raise exception 'only an admin may promote a user to admin' using errcode = '42501';
  end if;
  select * into target from public.profiles where lower(email) = lower(trim(user_email));
  if not found then
    raise exception 'no user with email %', user_email using errcode = 'P0002';
  end if;
  update public.profiles set role = 'admin', updated_at = now() where id = target.id;
end
$$;
revoke all on function public.promote_user_to_admin(text) from public, anon;
grant execute on function public.promote_user_to_admin(text) to authenticated, service_role;

-- What the console hands the audit (client IP, user agent, an action name), believed only
-- from the console's own sessions: any other session could set these settings to anything.
create or replace function private.audit_context(out ip inet, out user_agent text,
                                                 out action text)
language plpgsql stable set search_path = '' as $$
begin
  if session_user::text <> 'billygoat_console' then
    return;
  end if;
  begin
    ip := nullif(current_setting('billygoat.client_ip', true), '')::inet;
  exception when invalid_text_representation then
    ip := null;
  end;
  user_agent := nullif(current_setting('billygoat.user_agent', true), '');
  action := upper(nullif(current_setting('billygoat.action', true), ''));
  -- RETENTION rows are the retention function's (and retention never deletes them).
  if action !~ '^[A-Z][A-Z0-9_]{0,63}$' or action = 'RETENTION' then
    action := null;
  end if;
end
$$;
revoke all on function private.audit_context() from public, anon, authenticated, service_role;

-- 2. The console's own events: in the name of the claims in force (NULL without, as for
-- LOGIN_FAILED), never a name the caller passes.
create or replace function private.console_audit_event(
  p_action text,
  p_table_name text default null,
  p_record_id text default null,
  p_old_values jsonb default null,
  p_new_values jsonb default null,
  p_ip_address inet default null,
  p_user_agent text default null
) returns void
language plpgsql security definer set search_path = '' as $$
declare
  action text := upper(btrim(coalesce(p_action, '')));
begin
  if action !~ '^[A-Z][A-Z0-9_]{0,63}$' then
    raise exception 'audit action must be a word of letters, digits and _ (at most 64)'
      using errcode = '22023';
  end if;
  if action = 'RETENTION' then
    raise exception 'RETENTION rows are written by retention itself' using errcode = '42501';
  end if;
  perform public.system_insert_audit_log(
    (select auth.uid()), action, p_table_name, p_record_id, p_old_values, p_new_values,
    p_ip_address, p_user_agent);
end
$$;
revoke all on function private.console_audit_event(text, text, text, jsonb, jsonb, inet, text)
  from public, anon, authenticated, service_role;
grant execute on function private.console_audit_event(text, text, text, jsonb, jsonb, inet, text)
  to billygoat_console;
revoke execute on function
  public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text)
  from billygoat_console;

-- 4. The profile writes the console's triggers on auth.users make: audited where they start
-- (Supabase Auth, and the console's INVITE, CREATE and DELETE rows). A row here, for this
-- transaction and profile, lets exactly that write go unaudited; only those trigger
-- functions (security definer, as the owner) write it.
create table if not exists private.audit_quiet_profile_writes (
  txid bigint not null,
  profile_id uuid not null,
  primary key (txid, profile_id)
);
revoke all on private.audit_quiet_profile_writes
  from public, anon, authenticated, service_role, billygoat_console;

create or replace function private.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.audit_quiet_profile_writes values (txid_current(), new.id)
    on conflict do nothing;
  insert into public.profiles (id, email, display_name, role)
  values (new.id, coalesce(new.email, ''), nullif(new.raw_user_meta_data ->> 'display_name', ''), null)
  on conflict (id) do nothing;
  delete from private.audit_quiet_profile_writes
    where txid = txid_current() and profile_id = new.id;
  return new;
end
$$;

create or replace function private.handle_user_email_change() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.audit_quiet_profile_writes values (txid_current(), new.id)
    on conflict do nothing;
  update public.profiles set email = coalesce(new.email, ''), updated_at = now() where id = new.id;
  delete from private.audit_quiet_profile_writes
    where txid = txid_current() and profile_id = new.id;
  return new;
end
$$;
revoke all on function private.handle_new_user() from public, anon, authenticated, service_role;
revoke all on function private.handle_user_email_change()
  from public, anon, authenticated, service_role;

-- The trigger (20261127000200_audit_every_write.sql), now: every write at any depth (but
-- the marked ones above, and a profile going with its auth user's delete); the actor is the
-- caller of the claims; IP, user agent and action name only as private.audit_context()
-- believes them.
create or replace function private.audit_row_change() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  old_row jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) end;
  new_row jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) end;
  changed text[];
  generated text[];
  context record;
begin
  if tg_table_name = 'profiles' then
    if tg_op = 'DELETE' and not exists (select 1 from auth.users u where u.id = old.id) then
      return null;
    end if;
    if pg_trigger_depth() > 1 and exists (
         select 1 from private.audit_quiet_profile_writes q
         where q.txid = txid_current()
           and q.profile_id = ((coalesce(new_row, old_row) ->> 'id')::uuid)) then
      return null;
    end if;
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
  select * into context from private.audit_context();
  begin
    perform public.system_insert_audit_log(
      (select auth.uid()),
      coalesce(context.action, case tg_op when 'INSERT' then 'CREATE' else tg_op end),
      tg_table_name,
      (case when tg_op = 'DELETE' then to_jsonb(old) else to_jsonb(new) end) ->> 'id',
      old_row, new_row, context.ip, context.user_agent);
  exception when others then
    -- The write goes back with its audit row; the console tells the user why (BGA01).
    raise exception 'the audit row could not be written: %', sqlerrm using errcode = 'BGA01';
  end;
  return null;
end
$$;
revoke all on function private.audit_row_change() from public, anon, authenticated, service_role;

-- 3. Retention by the saved policy. The old function took the days from its caller.
drop function if exists private.apply_retention_batch(text, integer, integer);

-- Deletes at most p_batch rows older than the saved policy keeps (refused while it is
-- disabled) and writes the batch's RETENTION row with its counts, in the same transaction.
-- Call it until it returns less than p_batch, one transaction per call.
create or replace function private.apply_retention_batch(p_table text, p_batch integer default 5000)
returns integer
language plpgsql security definer set search_path = '' as $$
declare
  policy public.retention_policies%rowtype;
  cutoff timestamptz;
  size integer := least(greatest(coalesce(p_batch, 5000), 1), 50000);
  deleted integer;
  context record;
begin
  if not private.retention_caller_allowed() then
    raise exception 'only an admin may run retention' using errcode = '42501';
  end if;
  if p_table is null or p_table not in ('system_performance_logs', 'audit_logs') then
    raise exception 'no retention for table %', p_table using errcode = '22023';
  end if;
  -- The policy as saved, held while this batch runs.
  select * into policy from public.retention_policies where table_name = p_table for share;
  if not found or not policy.enabled then
    raise exception 'the retention policy for % is disabled', p_table using errcode = 'BGR01';
  end if;
  if policy.keep_days is null or policy.keep_days not between 1 and 36500 then
    raise exception 'the retention policy for % keeps % days (1 to 36500)',
      p_table, policy.keep_days using errcode = '22023';
  end if;
  cutoff := now() - make_interval(days => policy.keep_days);
  insert into private.retention_grants (txid) values (txid_current()) on conflict do nothing;
  if p_table = 'system_performance_logs' then
    delete from public.system_performance_logs
      where id in (select id from public.system_performance_logs
                   where "timestamp" < cutoff limit size);
    get diagnostics deleted = row_count;
    if deleted < size then  -- the last batch: systems that no longer report anything
      delete from private.performance_systems where last_seen < cutoff;
    end if;
  else
    delete from public.audit_logs
      where id in (select id from public.audit_logs
                   where created_at < cutoff and action <> 'RETENTION' limit size);
    get diagnostics deleted = row_count;
  end if;
  delete from private.retention_grants where txid = txid_current();
  select * into context from private.audit_context();
  perform public.system_insert_audit_log(
    (select auth.uid()), 'RETENTION', p_table, null, null,
    jsonb_build_object('deleted', deleted, 'keep_days', policy.keep_days, 'cutoff', cutoff,
                       'batch', size, 'complete', deleted < size),
    context.ip, context.user_agent);
  return deleted;
end
$$;
revoke all on function private.apply_retention_batch(text, integer)
  from public, anon, service_role, authenticated;
grant execute on function private.apply_retention_batch(text, integer)
  to authenticated, service_role;

-- 6. pg_stat_statements shows every role's statements to a role that may read it: the system
-- page reads it through private.system_statements (security definer, admins and auditors).
-- Where the migrating role may not revoke (it does not own the extension), it says so.
do $$
declare
  s text;
begin
  select n.nspname into s
  from pg_extension e join pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'pg_stat_statements';
  if s is null then
    return;
  end if;
  execute format('revoke all on table %I.pg_stat_statements, %I.pg_stat_statements_info'
                 ' from public, anon, authenticated', s, s);
  execute format('revoke all on function %I.pg_stat_statements(boolean),'
                 ' %I.pg_stat_statements_info() from public, anon, authenticated', s, s);
  if has_table_privilege('authenticated', format('%I.pg_stat_statements', s), 'select')
     or has_table_privilege('anon', format('%I.pg_stat_statements', s), 'select') then
    raise notice 'pg_stat_statements stays readable by anon or authenticated: as its owner run'
      ' revoke all on %.pg_stat_statements from public, anon, authenticated;', s;
  end if;
exception when insufficient_privilege or undefined_function or undefined_table then
  raise notice 'pg_stat_statements left as it is: %', sqlerrm;
end
$$;
