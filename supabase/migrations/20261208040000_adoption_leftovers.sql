-- Overloads of the audit functions the console does not define, which an adopted project may
-- hold beside the console's log_audit_event(text, text, text, jsonb, jsonb) and
-- system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text) (the adoption
-- migration dropped only those returning another type). Executable by anon or authenticated,
-- a security-definer one would let a client write audit rows in any name. Each is made
-- executable by no API client; it stays, for its owner and service_role (the old app's server
-- may still call it, and nothing is lost). `db_migrate --check` lists each beforehand.
--
-- REVOKE by a role that does not own the function only warns: an overload the migrating
-- role cannot revoke stops the migration here (the check blocks on it before).

do $$
declare
  r record;
  grantee regrole;
  console_versions constant oid[] := array_remove(array[
    to_regprocedure('public.log_audit_event(text, text, text, jsonb, jsonb)')::oid,
    to_regprocedure(
      'public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text)')::oid],
    null);
  api_roles constant text[] := array['anon', 'authenticated'];
begin
  for r in select p.oid, p.oid::regprocedure as sig, p.proowner::regrole as owner
           from pg_proc p
           where p.pronamespace = 'public'::regnamespace
             and p.proname in ('log_audit_event', 'system_insert_audit_log')
             and not (p.oid = any (console_versions)) loop
    execute format('revoke all on function %s from public', r.sig);
    -- anon and authenticated themselves, and any role whose rights they inherit
    for grantee in select distinct a.grantee::regrole
                   from pg_proc p, aclexplode(p.proacl) a
                   where p.oid = r.oid and a.grantee <> 0
                     and exists (select 1 from pg_roles api
                                 where api.rolname = any (api_roles)
                                   and pg_has_role(api.oid, a.grantee, 'USAGE')) loop
      execute format('revoke all on function %s from %s', r.sig, grantee);
    end loop;
    if exists (select 1 from pg_roles api
               where api.rolname = any (api_roles)
                 and has_function_privilege(api.oid, r.oid, 'execute')) then
      raise exception '% stays executable by anon or authenticated', r.sig
        using errcode = '42501',
              hint = format('As %s, run: revoke all on function %s from public, anon, authenticated;',
                            r.owner, r.sig);
    end if;
    raise notice 'revoked % from public, anon and authenticated', r.sig;
  end loop;
end
$$;
