-- Adopting a BillyGoat backend that existed before the console (a generated Supabase app's
-- tables, policies and functions). It runs first, before the console's own migrations meet
-- the old objects, and only on a database the console has never been applied to
-- (private.app_role() absent): on an empty database it finds nothing, on a database the
-- console already manages it does nothing. `python manage.py db_migrate --check` reports
-- each of these steps, object by object, before anything changes.
--
-- Order matters: the admins the old is_admin() recognised are recorded in their profiles
-- before the console replaces is_admin(), so nobody who was admin stops being one.

do $adopt$
declare
  r record;
  -- The console's policies; every other policy on the seven tables is the old app's.
  console_policies constant text[] := array[
    'profiles_select', 'profiles_insert', 'profiles_update', 'profiles_delete',
    'kb_select', 'kb_insert', 'kb_update', 'kb_delete',
    'ai_agents_select', 'ai_agents_insert', 'ai_agents_update', 'ai_agents_delete',
    'crew_nuclear_system_select', 'crew_nuclear_system_insert', 'crew_nuclear_system_update',
    'crew_nuclear_system_delete',
    'system_performance_logs_select', 'system_performance_logs_insert',
    'system_performance_logs_update', 'system_performance_logs_delete',
    'deployment_packages_select', 'deployment_packages_insert', 'deployment_packages_update',
    'deployment_packages_delete',
    'audit_logs_select',
    -- restrictive, from 20261208050000_mfa.sql
    'profiles_insert_aal2', 'profiles_update_aal2', 'profiles_delete_aal2',
    'kb_insert_aal2', 'kb_update_aal2', 'kb_delete_aal2',
    'ai_agents_insert_aal2', 'ai_agents_update_aal2', 'ai_agents_delete_aal2',
    'crew_nuclear_system_insert_aal2', 'crew_nuclear_system_update_aal2',
    'crew_nuclear_system_delete_aal2',
    'system_performance_logs_insert_aal2', 'system_performance_logs_update_aal2',
    'system_performance_logs_delete_aal2',
    'deployment_packages_insert_aal2', 'deployment_packages_update_aal2',
    'deployment_packages_delete_aal2'];
  tables constant text[] := array['profiles', 'ai_agents', 'crew_nuclear_system',
    'knowledge_base_entries', 'deployment_packages', 'audit_logs', 'system_performance_logs'];
begin
  if to_regprocedure('private.app_role()') is not null then
    return;  -- the console's schema is here already
  end if;

  -- 1. Legacy policies, dropped by name: a permissive `using (true)` beside the console's
  --    policies would still let anyone read (policies are OR-ed).
  for r in select p.schemaname, p.tablename, p.policyname from pg_policies p
           where p.schemaname = 'public' and p.tablename = any (tables)
             and not (p.policyname = any (console_policies)) loop
    raise notice 'drops policy % on %', quote_literal(r.policyname), r.tablename;
    execute format('drop policy %I on public.%I', r.policyname, r.tablename);
  end loop;

  -- 2. Columns: those the console needs added, older types converted, defaults and
  --    NOT NULL as the console's tables have them. Columns of its own are kept.
  create temporary table adoption_columns (tbl text, col text, typ text, dflt text, not_null boolean)
    on commit drop;
  insert into adoption_columns values
    ('profiles', 'id', 'uuid', null, true),
    ('profiles', 'email', 'text', null, true),
    ('profiles', 'display_name', 'text', null, false),
    ('profiles', 'role', 'text', null, false),
    ('profiles', 'created_at', 'timestamp with time zone', 'now()', true),
    ('profiles', 'updated_at', 'timestamp with time zone', 'now()', true),
    ('ai_agents', 'id', 'uuid', 'gen_random_uuid()', true),
    ('ai_agents', 'name', 'text', null, true),
    ('ai_agents', 'type', 'text', null, true),
    ('ai_agents', 'status', 'text', null, false),
    ('ai_agents', 'is_active', 'boolean', 'true', false),
    ('ai_agents', 'configuration', 'jsonb', null, false),
    ('ai_agents', 'performance_metrics', 'jsonb', null, false),
    ('ai_agents', 'last_activity', 'timestamp with time zone', null, false),
    ('ai_agents', 'created_at', 'timestamp with time zone', 'now()', false),
    ('ai_agents', 'updated_at', 'timestamp with time zone', 'now()', false),
    ('crew_nuclear_system', 'id', 'uuid', 'gen_random_uuid()', true),
    ('crew_nuclear_system', 'crew_name', 'text', null, true),
    ('crew_nuclear_system', 'crew_type', 'text', null, true),
    ('crew_nuclear_system', 'status', 'text', null, false),
    ('crew_nuclear_system', 'is_active', 'boolean', 'true', false),
    ('crew_nuclear_system', 'configuration', 'jsonb', null, false),
    ('crew_nuclear_system', 'performance_data', 'jsonb', null, false),
    ('crew_nuclear_system', 'last_execution', 'timestamp with time zone', null, false),
    ('crew_nuclear_system', 'created_at', 'timestamp with time zone', 'now()', false),
    ('crew_nuclear_system', 'updated_at', 'timestamp with time zone', 'now()', false),
    ('knowledge_base_entries', 'id', 'uuid', 'gen_random_uuid()', true),
    ('knowledge_base_entries', 'title', 'text', null, true),
    ('knowledge_base_entries', 'content', 'text', null, true),
    ('knowledge_base_entries', 'category', 'text', null, false),
    ('knowledge_base_entries', 'tags', 'text[]', null, false),
    ('knowledge_base_entries', 'metadata', 'jsonb', null, false),
    ('knowledge_base_entries', 'is_active', 'boolean', 'true', false),
    ('knowledge_base_entries', 'created_by', 'uuid', null, false),
    ('knowledge_base_entries', 'created_at', 'timestamp with time zone', 'now()', false),
    ('knowledge_base_entries', 'updated_at', 'timestamp with time zone', 'now()', false),
    ('deployment_packages', 'id', 'uuid', 'gen_random_uuid()', true),
    ('deployment_packages', 'name', 'text', null, true),
    ('deployment_packages', 'package_type', 'text', null, true),
    ('deployment_packages', 'version', 'text', null, true),
    ('deployment_packages', 'status', 'text', null, false),
    ('deployment_packages', 'configuration', 'jsonb', null, false),
    ('deployment_packages', 'deployment_data', 'jsonb', null, false),
    ('deployment_packages', 'created_by', 'uuid', null, false),
    ('deployment_packages', 'created_at', 'timestamp with time zone', 'now()', false),
    ('deployment_packages', 'deployed_at', 'timestamp with time zone', null, false),
    ('audit_logs', 'id', 'uuid', 'gen_random_uuid()', true),
    ('audit_logs', 'user_id', 'uuid', null, false),
    ('audit_logs', 'action', 'text', null, true),
    ('audit_logs', 'table_name', 'text', null, false),
    ('audit_logs', 'record_id', 'text', null, false),
    ('audit_logs', 'old_values', 'jsonb', null, false),
    ('audit_logs', 'new_values', 'jsonb', null, false),
    ('audit_logs', 'ip_address', 'inet', null, false),
    ('audit_logs', 'user_agent', 'text', null, false),
    ('audit_logs', 'created_at', 'timestamp with time zone', 'now()', true),
    ('audit_logs', 'actor_email', 'text', null, false),
    ('system_performance_logs', 'id', 'uuid', 'gen_random_uuid()', true),
    ('system_performance_logs', 'system_id', 'text', null, false),
    ('system_performance_logs', 'system_type', 'text', null, true),
    ('system_performance_logs', 'metrics', 'jsonb', null, true),
    ('system_performance_logs', 'timestamp', 'timestamp with time zone', 'now()', false),
    ('system_performance_logs', 'created_by', 'uuid', null, false);

  for r in
    select e.*, a.attnum is not null as present, format_type(a.atttypid, a.atttypmod) as live_type,
           pg_get_expr(d.adbin, d.adrelid) as live_default, coalesce(a.attnotnull, false) as live_not_null
    from adoption_columns e
    join pg_class c on c.relname = e.tbl and c.relnamespace = 'public'::regnamespace
    left join pg_attribute a on a.attrelid = c.oid and a.attname = e.col and not a.attisdropped
    left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
  loop
    if r.present and r.live_default is not null and r.live_default is distinct from r.dflt then
      -- first, so an old default of the old type is not cast with the column
      execute format('alter table public.%I alter column %I drop default', r.tbl, r.col);
    end if;
    if not r.present then
      execute format('alter table public.%I add column %I %s', r.tbl, r.col, r.typ);
    elsif r.live_type <> r.typ then
      -- timestamp without time zone was written as UTC by the old app
      execute format('alter table public.%I alter column %I type %s using %s', r.tbl, r.col, r.typ,
        case when r.live_type = 'timestamp without time zone' and r.typ = 'timestamp with time zone'
             then format('%I at time zone %L', r.col, 'UTC')
             else format('%I::%s', r.col, r.typ) end);
    end if;
    if r.dflt is not null and r.dflt is distinct from (case when r.present then r.live_default end) then
      execute format('alter table public.%I alter column %I set default %s', r.tbl, r.col, r.dflt);
    end if;
    if r.not_null and not r.live_not_null then
      execute format('alter table public.%I alter column %I set not null', r.tbl, r.col);
    elsif not r.not_null and r.live_not_null then
      execute format('alter table public.%I alter column %I drop not null', r.tbl, r.col);
    end if;
  end loop;

  if to_regclass('public.profiles') is not null then
    -- 3. The role check: the console's five values replace any older check on role.
    for r in select con.conname from pg_constraint con
             where con.conrelid = 'public.profiles'::regclass and con.contype = 'c'
               and pg_get_constraintdef(con.oid) like '%role%' loop
      execute format('alter table public.profiles drop constraint %I', r.conname);
    end loop;
    alter table public.profiles add constraint profiles_role_check
      check (role in ('admin', 'editor', 'auditor', 'viewer', 'user'));

    -- A profile belongs to its auth user.
    if not exists (select 1 from pg_constraint con
                   where con.conrelid = 'public.profiles'::regclass and con.contype = 'f'
                     and con.confrelid = 'auth.users'::regclass) then
      alter table public.profiles add constraint profiles_id_fkey
        foreign key (id) references auth.users (id) on delete cascade;
    end if;

    -- 4. A profile, with no role, for every auth user without one.
    insert into public.profiles (id, email, role)
    select u.id, coalesce(u.email, ''), null from auth.users u
    where not exists (select 1 from public.profiles p where p.id = u.id);

    -- 5. Admins stay admins, whatever made the old is_admin() say so (a profile role, the
    --    JWT's app_metadata, …): it is asked once per user, with the claims Supabase Auth
    --    would put in their token, and its answer is written into the profile.
    if to_regprocedure('public.is_admin()') is not null then
      for r in select u.id, u.email, u.raw_app_meta_data, u.raw_user_meta_data
               from auth.users u where u.deleted_at is null loop
        perform set_config('request.jwt.claims', jsonb_build_object(
          'sub', r.id, 'email', r.email, 'role', 'authenticated', 'aud', 'authenticated',
          'app_metadata', r.raw_app_meta_data, 'user_metadata', r.raw_user_meta_data)::text, true);
        if public.is_admin() then
          update public.profiles set role = 'admin'
          where id = r.id and role is distinct from 'admin';
        end if;
      end loop;
      perform set_config('request.jwt.claims', '', true);
    end if;
  end if;

  -- 6. audit_logs.user_id with a foreign key to auth.users: `on delete set null` (or
  --    cascade) updates audit rows, which the append-only trigger refuses, so deleting such
  --    a user would fail. Rows keep the id and the actor's email instead.
  if to_regclass('public.audit_logs') is not null then
    for r in select con.conname from pg_constraint con
             where con.conrelid = 'public.audit_logs'::regclass and con.contype = 'f' loop
      execute format('alter table public.audit_logs drop constraint %I', r.conname);
    end loop;
    -- The old rows name their actors by email too (before the append-only trigger exists).
    update public.audit_logs a set actor_email = lower(u.email)
    from auth.users u where u.id = a.user_id and a.actor_email is null;
  end if;

  -- 7. Functions whose return type the console's differ in cannot be replaced in place.
  for r in select p.oid::regprocedure as sig from pg_proc p
           join (values ('is_admin', 'boolean'), ('is_common_password', 'boolean'),
                        ('validate_password_strength', 'boolean'), ('log_audit_event', 'void'),
                        ('system_insert_audit_log', 'void'), ('promote_user_to_admin', 'void'))
             as f (name, returns) on f.name = p.proname
           where p.pronamespace = 'public'::regnamespace
             and format_type(p.prorettype, null) <> f.returns loop
    execute format('drop function %s', r.sig);
  end loop;
end
$adopt$;
