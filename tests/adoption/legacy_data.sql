-- The legacy project's data (run as the cluster's superuser, as GoTrue and the app wrote it):
-- an admin by profile, an admin only by app_metadata, end users with the role 'user', a
-- viewer, three auth users from before the sign-up trigger (no profile), audit rows.
insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, created_at, updated_at)
values
  ('00000000-0000-0000-0000-000000000000', '10000000-0000-0000-0000-00000000000a', 'authenticated',
   'authenticated', 'alice@legacy.example', '{"provider": "email"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '10000000-0000-0000-0000-00000000000b', 'authenticated',
   'authenticated', 'bob@legacy.example', '{"provider": "email", "role": "admin"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '10000000-0000-0000-0000-00000000000c', 'authenticated',
   'authenticated', 'carol@legacy.example', '{"provider": "email"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '10000000-0000-0000-0000-00000000000d', 'authenticated',
   'authenticated', 'dave@legacy.example', '{"provider": "email"}', now(), now());
update public.profiles set role = 'admin', display_name = 'Alice'
  where id = '10000000-0000-0000-0000-00000000000a';
update public.profiles set role = 'viewer' where id = '10000000-0000-0000-0000-00000000000d';

-- Signed up before the trigger existed: no profile.
alter table auth.users disable trigger on_auth_user_created;
insert into auth.users (instance_id, id, aud, role, email, created_at, updated_at)
values
  ('00000000-0000-0000-0000-000000000000', '10000000-0000-0000-0000-0000000000e1', 'authenticated',
   'authenticated', 'erin@legacy.example', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '10000000-0000-0000-0000-0000000000e2', 'authenticated',
   'authenticated', 'frank@legacy.example', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '10000000-0000-0000-0000-0000000000e3', 'authenticated',
   'authenticated', 'grace@legacy.example', now(), now());
alter table auth.users enable trigger on_auth_user_created;

insert into public.ai_agents (name, type, status) values ('Ingest', 'data_processor', 'active');
insert into public.crew_nuclear_system (crew_name, crew_type) values ('Night shift', 'batch');
insert into public.knowledge_base_entries (title, content, is_active)
values ('Runbook', 'Restart the ingest agent.', true), ('Draft', 'Not yet.', false);
insert into public.deployment_packages (name, package_type, version) values ('core', 'system', '1.0.0');
insert into public.system_performance_logs (system_id, system_type, metrics)
values ('ingest', 'agent', '{"cpu": 0.5}');

insert into public.audit_logs (user_id, action, table_name, record_id, new_values)
values
  ('10000000-0000-0000-0000-00000000000a', 'UPDATE', 'ai_agents', null, '{"status": "active"}'),
  ('10000000-0000-0000-0000-00000000000c', 'LOGIN', null, null, null);
