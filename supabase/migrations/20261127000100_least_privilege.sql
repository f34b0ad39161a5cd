-- Least privilege for the API roles (issue 9).
--
-- Supabase's default privileges give anon, authenticated and service_role ALL on every new
-- table in `public`: with TRUNCATE a signed-in user could empty a table without an audit row,
-- with TRIGGER put a trigger on audit_logs that drops every audit row, with MAINTAIN lock or
-- vacuum it. The API roles keep SELECT, INSERT, UPDATE and DELETE (Row Level Security decides
-- which rows), and new tables no longer bring the rest back.

do $$
declare
  extra text := 'truncate, trigger, references'
                || case when current_setting('server_version_num')::int >= 170000
                        then ', maintain' else '' end;
begin
  execute format(
    'revoke %s on public.profiles, public.ai_agents, public.crew_nuclear_system,'
    ' public.knowledge_base_entries, public.deployment_packages, public.audit_logs,'
    ' public.system_performance_logs from anon, authenticated, service_role', extra);
  execute format(
    'alter default privileges in schema public revoke %s on tables'
    ' from anon, authenticated, service_role', extra);
end
$$;

-- service_role reads the trail like an auditor; it writes audit rows only through
-- system_insert_audit_log.
revoke insert, update, delete on public.audit_logs from anon, authenticated, service_role;

-- Functions in `private` are internals: nobody executes them unless granted below. Trigger
-- functions need no EXECUTE at all (a trigger fires whoever writes).
alter default privileges in schema private revoke execute on functions from public;
revoke execute on all functions in schema private from public, anon, authenticated, service_role;

-- Called by the console as the signed-in user (and by RLS policies and views).
grant execute on function private.app_role() to authenticated, service_role;
grant execute on function private.record_history(text, text, timestamptz, uuid, int)
  to authenticated, service_role;
grant execute on function private.authorize_user_admin(text, uuid) to authenticated, service_role;
grant execute on function private.kb_entry_ids(text, text, text, text[], boolean)
  to authenticated, service_role;
grant execute on function private.kb_search_pool(text, text, text, jsonb, int, int, int)
  to authenticated, service_role;
grant execute on function private.kb_search_rest(text, text, text, jsonb, uuid[], int, int)
  to authenticated, service_role;
grant execute on function private.audit_actor_ids(text) to authenticated, service_role;
grant execute on function private.audit_actor_suggestions(text, int) to authenticated, service_role;
