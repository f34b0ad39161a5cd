-- A BillyGoat backend as a generated Supabase app leaves it, before the console existed:
-- the seven tables made with `create table if not exists` and older columns and defaults,
-- permissive policies ("Enable read access for all users"), a narrower role check
-- (admin|user|viewer), an is_admin() that trusts the JWT's app_metadata, a sign-up trigger
-- giving every new user the role 'user', and audit_logs.user_id → auth.users on delete set
-- null. Run as the project's developer role (hosted_postgres).

create table if not exists public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  display_name text,
  role text default 'user' check (role in ('admin', 'user', 'viewer')),
  created_at timestamptz default now() not null,
  updated_at timestamptz default now() not null
);

create table if not exists public.ai_agents (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  type text not null,
  status text default 'inactive',
  is_active boolean default false,
  configuration json default '{}',
  last_activity timestamptz,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);

create table if not exists public.crew_nuclear_system (
  id uuid primary key default gen_random_uuid(),
  crew_name text not null,
  crew_type text not null,
  status text default 'pending',
  is_active boolean default true,
  configuration jsonb,
  performance_data jsonb,
  last_execution timestamp,
  created_at timestamp default now(),
  updated_at timestamp default now()
);

create table if not exists public.knowledge_base_entries (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  content text not null,
  category text,
  tags text[] default '{}',
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
  status text default 'draft',
  configuration jsonb,
  deployment_data jsonb,
  created_by uuid,
  created_at timestamptz default now(),
  deployed_at timestamptz
);

create table if not exists public.audit_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete set null,
  action text not null,
  table_name text,
  record_id text,
  old_values jsonb,
  new_values jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamptz default now() not null
);

create table if not exists public.system_performance_logs (
  id uuid primary key default gen_random_uuid(),
  system_id text,
  system_type text not null,
  metrics jsonb not null,
  "timestamp" timestamptz default now(),
  created_by uuid
);

-- Row Level Security as the dashboard's templates write it.
alter table public.profiles enable row level security;
alter table public.ai_agents enable row level security;
alter table public.crew_nuclear_system enable row level security;
alter table public.knowledge_base_entries enable row level security;
alter table public.deployment_packages enable row level security;
alter table public.audit_logs enable row level security;
alter table public.system_performance_logs enable row level security;

create or replace function public.is_admin() returns boolean
language sql stable security definer set search_path = public as $$
  select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false)
      or exists (select 1 from public.profiles where id = auth.uid() and role = 'admin')
$$;

create policy "Public profiles are viewable by everyone." on public.profiles
  for select using (true);
create policy "Users can update own profile." on public.profiles
  for update using (auth.uid() = id);
create policy "Enable read access for all users" on public.ai_agents
  for select using (true);
create policy "Enable insert for authenticated users only" on public.ai_agents
  for insert to authenticated with check (true);
create policy "Enable read access for all users" on public.crew_nuclear_system
  for select using (true);
create policy "Enable read access for all users" on public.knowledge_base_entries
  for select using (true);
create policy "Admins can do everything" on public.knowledge_base_entries
  for all using (public.is_admin());
create policy "Enable read access for all users" on public.deployment_packages
  for select using (true);
create policy "Admins can read audit logs" on public.audit_logs
  for select using (public.is_admin());
create policy "Enable insert for authenticated users only" on public.audit_logs
  for insert to authenticated with check (true);
create policy "Enable read access for all users" on public.system_performance_logs
  for select using (true);

-- The generated app's functions (seed Part 1.2), older bodies and one older return type.
create or replace function public.log_audit_event(
  p_action text, p_table_name text default null, p_record_id text default null,
  p_old_values jsonb default null, p_new_values jsonb default null
) returns uuid
language plpgsql security definer set search_path = public as $$
declare
  new_id uuid;
begin
  insert into public.audit_logs (user_id, action, table_name, record_id, old_values, new_values)
  values (auth.uid(), p_action, p_table_name, p_record_id, p_old_values, p_new_values)
  returning id into new_id;
  return new_id;
end
$$;

create or replace function public.promote_user_to_admin(user_email text) returns void
language plpgsql security definer set search_path = public as $$
begin
  update public.profiles set role = 'admin' where email = user_email;
end
$$;

create or replace function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = public as $$
begin
  insert into public.profiles (id, email, role) values (new.id, new.email, 'user');
  return new;
end
$$;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
