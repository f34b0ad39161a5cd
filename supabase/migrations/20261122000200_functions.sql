-- The six functions of seed Part 1.2, plus private helpers the policies use.

-- The caller's console role from their profile: admin, editor, auditor or viewer (the legacy
-- 'user' counts as viewer); NULL without a profile. Security definer so that policies on
-- profiles can call it without recursing into their own RLS.
create or replace function private.app_role() returns text
language sql stable security definer set search_path = '' as $$
  select case p.role when 'user' then 'viewer' else p.role end
  from public.profiles p
  where p.id = (select auth.uid())
$$;
grant usage on schema private to authenticated, service_role;
revoke all on function private.app_role() from public, anon;
grant execute on function private.app_role() to authenticated, service_role;

create or replace function public.is_admin() returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce((select private.app_role()) = 'admin', false)
$$;

-- Common passwords come from Django's list (migration ..._common_passwords.sql).
create table if not exists private.common_passwords (password text primary key);

create or replace function public.is_common_password(password text) returns boolean
language sql stable security definer set search_path = '' as $$
    -- qualified: a bare `password` would name the table's column here
  select exists (
    select 1 from private.common_passwords c
    where c.password = lower(trim(is_common_password.password)))
$$;

-- The documented rule: at least 12 characters, an upper-case letter, a lower-case letter and
-- a digit, and not a common password.
create or replace function public.validate_password_strength(password text) returns boolean
language sql stable security definer set search_path = '' as $$
  select password is not null
     and char_length(password) >= 12
     and password ~ '[[:upper:]]'
     and password ~ '[[:lower:]]'
     and password ~ '[[:digit:]]'
     and not public.is_common_password(password)
$$;

-- Manual audit logging as the caller (auth.uid()).
create or replace function public.log_audit_event(
  p_action text,
  p_table_name text default null,
  p_record_id text default null,
  p_old_values jsonb default null,
  p_new_values jsonb default null
) returns void
language plpgsql security definer set search_path = '' as $$
begin
  if p_action is null or btrim(p_action) = '' then
    raise exception 'audit action is required' using errcode = '22023';
  end if;
  -- clock_timestamp(), not now(): rows written in one transaction (a bulk action) keep
  -- their order.
  insert into public.audit_logs
    (user_id, action, table_name, record_id, old_values, new_values, created_at)
  values ((select auth.uid()), upper(p_action), p_table_name, p_record_id, p_old_values,
          p_new_values, clock_timestamp());
end
$$;

-- Audit logging with request context. A signed-in caller may only write rows in their own
-- name; the console's service connection (no JWT claims) records system events such as
-- LOGIN_FAILED.
create or replace function public.system_insert_audit_log(
  p_user_id uuid,
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
  caller uuid := (select auth.uid());
begin
  if p_action is null or btrim(p_action) = '' then
    raise exception 'audit action is required' using errcode = '22023';
  end if;
  if caller is not null and p_user_id is distinct from caller then
    raise exception 'an audit row may only be written in the caller''s own name'
      using errcode = '42501';
  end if;
  insert into public.audit_logs
    (user_id, action, table_name, record_id, old_values, new_values, ip_address, user_agent,
     created_at)
  values
    (p_user_id, upper(p_action), p_table_name, p_record_id, p_old_values, p_new_values,
     p_ip_address, left(p_user_agent, 1000), clock_timestamp());
end
$$;

-- Makes the user with this email an admin. Only an admin may call it; it audits itself.
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
  perform public.log_audit_event(
    'UPDATE', 'profiles', target.id::text,
    jsonb_build_object('role', target.role), jsonb_build_object('role', 'admin'));
end
$$;

revoke all on function public.is_admin() from public, anon;
revoke all on function public.is_common_password(text) from public, anon;
revoke all on function public.validate_password_strength(text) from public, anon;
revoke all on function public.log_audit_event(text, text, text, jsonb, jsonb) from public, anon;
revoke all on function public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text) from public, anon;
revoke all on function public.promote_user_to_admin(text) from public, anon;
grant execute on function public.is_admin() to authenticated, service_role;
grant execute on function public.is_common_password(text) to authenticated, service_role;
grant execute on function public.validate_password_strength(text) to authenticated, service_role;
grant execute on function public.log_audit_event(text, text, text, jsonb, jsonb) to authenticated, service_role;
grant execute on function public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text) to authenticated, service_role;
grant execute on function public.promote_user_to_admin(text) to authenticated, service_role;
