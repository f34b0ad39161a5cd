-- The seven tables of the BillyGoat backend (seed Part 1.1) and the indexes of Part 6.1.

create table if not exists public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  display_name text,
  role text default 'viewer'
    check (role in ('admin', 'editor', 'auditor', 'viewer', 'user')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.ai_agents (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  type text not null,
  status text,
  is_active boolean default true,
  configuration jsonb,
  performance_metrics jsonb,
  last_activity timestamptz,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);

create table if not exists public.crew_nuclear_system (
  id uuid primary key default gen_random_uuid(),
  crew_name text not null,
  crew_type text not null,
  status text,
  is_active boolean default true,
  configuration jsonb,
  performance_data jsonb,
  last_execution timestamptz,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);

create table if not exists public.knowledge_base_entries (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  content text not null,
  category text,
  tags text[],
  metadata jsonb,
  is_active boolean default true,
  created_by uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);

create table if not exists public.deployment_packages (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  package_type text not null,
  version text not null,
  status text,
  configuration jsonb,
  deployment_data jsonb,
  created_by uuid,
  created_at timestamptz default now(),
  deployed_at timestamptz
);

create table if not exists public.audit_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  action text not null,
  table_name text,
  record_id text,
  old_values jsonb,
  new_values jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamptz not null default now()
);

create table if not exists public.system_performance_logs (
  id uuid primary key default gen_random_uuid(),
  system_id text,
  system_type text not null,
  metrics jsonb not null,
  "timestamp" timestamptz default now(),
  created_by uuid
);

-- Part 6.1
create index if not exists idx_audit_logs_user_id_created on public.audit_logs (user_id, created_at desc);
create index if not exists idx_audit_logs_table_record on public.audit_logs (table_name, record_id);
create index if not exists idx_kb_entries_category_active on public.knowledge_base_entries (category, is_active);
create index if not exists idx_kb_entries_tags on public.knowledge_base_entries using gin (tags);
create index if not exists idx_perf_logs_system_timestamp on public.system_performance_logs (system_id, "timestamp" desc);
create index if not exists idx_ai_agents_status_active on public.ai_agents (status, is_active);
create index if not exists idx_crew_crew_name_active on public.crew_nuclear_system (crew_name, is_active);

-- What the console's lists sort and page on.
create index if not exists idx_audit_logs_created_id on public.audit_logs (created_at desc, id desc);
create index if not exists idx_profiles_created_id on public.profiles (created_at desc, id desc);
create index if not exists idx_profiles_role on public.profiles (role);
create index if not exists idx_profiles_email_lower on public.profiles (lower(email) text_pattern_ops);

-- A profile for every new auth user, as a viewer until an admin says otherwise.
create schema if not exists private;
revoke all on schema private from public;

create or replace function private.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, email, display_name, role)
  values (new.id, coalesce(new.email, ''), nullif(new.raw_user_meta_data ->> 'display_name', ''), 'viewer')
  on conflict (id) do nothing;
  return new;
end
$$;

-- `create or replace trigger` on auth.users: it needs only the TRIGGER privilege, while dropping
-- an existing trigger needs ownership of auth.users, which a hosted project's postgres lacks.
create or replace trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();

-- Keep profiles.email in step when the auth email changes.
create or replace function private.handle_user_email_change() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.profiles set email = coalesce(new.email, ''), updated_at = now() where id = new.id;
  return new;
end
$$;

create or replace trigger on_auth_user_email_changed after update of email on auth.users
  for each row when (old.email is distinct from new.email)
  execute function private.handle_user_email_change();
