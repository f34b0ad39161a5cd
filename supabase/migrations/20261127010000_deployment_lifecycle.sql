-- Deployment packages (issue 13): semantic versions, the lifecycle
-- draft -> staging -> deployed -> retired (plus rollback: retired -> deployed for a version
-- that was deployed before), one deployed version per package name and environment, and
-- deployed_at kept by the database. Enforced here, whoever writes: the console, PostgREST,
-- the SQL editor. Errors carry our own SQLSTATEs, which the console maps to messages:
--   BG001  not a semantic version
--   BG002  a status change the lifecycle does not allow (or an unknown status)
--   BG003  a deployed or retired version is read-only (only its status may change)
--   BG004  a rollback target that was never deployed, or a rollback without a reason
--   BG005  only drafts and retired versions may be deleted
-- Re-runnable: every step checks what is already there.

-- ---------- Semantic versions (SemVer 2.0.0) ----------

-- The pattern of semver.org (pre-release and build allowed, no leading zeros, no "v").
create or replace function private.is_semver(p_version text) returns boolean
language sql immutable parallel safe set search_path = '' as $$
  select p_version is not null and char_length(p_version) <= 128 and p_version ~
    '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$'
$$;

-- One numeric identifier as bytes that sort like the number: a 3-digit length, then the
-- digits (no leading zeros, at most 128 characters in all, so the length fits).
create or replace function private.semver_number_key(p_digits text) returns text
language sql immutable parallel safe set search_path = '' as $$
  select lpad(char_length(p_digits)::text, 3, '0') || p_digits
$$;

-- A key whose byte order is SemVer precedence: "1.10.0" after "1.9.0", "1.0.0-rc.1" before
-- "1.0.0", numeric pre-release identifiers before alphanumeric ones, fewer identifiers
-- first; build metadata ignored. A string that is not a semantic version (a legacy row) gets
-- '!' and itself: below every semantic version, and never NULL, so one index serves both
-- directions of the list's sort.
--   core       each of major, minor, patch as private.semver_number_key
--   release    '~' (above every pre-release marker)
--   pre        '-', then each identifier: '1' + number key, or '2' + the identifier, joined
--              by '!' (below every identifier character, so "rc" < "rc.1" < "rc-x")
create or replace function private.semver_key(p_version text) returns bytea
language sql immutable parallel safe set search_path = '' as $$
  select case when not private.is_semver(p_version) then textsend('!' || coalesce(p_version, ''))
  else textsend(
    (select string_agg(private.semver_number_key(part), '' order by n)
       from unnest(string_to_array(split_part(split_part(p_version, '+', 1), '-', 1), '.'))
            with ordinality as core(part, n))
    || case
         when position('-' in split_part(p_version, '+', 1)) = 0 then '~'
         else '-' || (
           select string_agg(
                    case when ident ~ '^[0-9]+$' then '1' || private.semver_number_key(ident)
                         else '2' || ident end,
                    '!' order by n)
           from unnest(string_to_array(
                  substr(split_part(p_version, '+', 1),
                         position('-' in split_part(p_version, '+', 1)) + 1), '.'))
                with ordinality as pre(ident, n))
       end)
  end
$$;

revoke all on function private.is_semver(text) from public, anon;
revoke all on function private.semver_number_key(text) from public, anon;
revoke all on function private.semver_key(text) from public, anon;
grant execute on function private.is_semver(text) to authenticated, service_role;
grant execute on function private.semver_number_key(text) to authenticated, service_role;
grant execute on function private.semver_key(text) to authenticated, service_role;

-- ---------- Columns the lifecycle needs ----------

-- updated_at: when a row was last changed (the edit form's version, and "drafts untouched
-- for N days"); status_reason: why the latest status change happened (it lands in that
-- change's audit row); was_deployed: the row has been deployed at least once, so it may be
-- rolled back to.
alter table public.deployment_packages add column if not exists updated_at timestamptz;
alter table public.deployment_packages add column if not exists status_reason text;
alter table public.deployment_packages add column if not exists was_deployed boolean;

-- The data fixes below run without the lifecycle trigger (recreated at the end).
drop trigger if exists deployment_lifecycle on public.deployment_packages;
drop trigger if exists deployment_delete_rule on public.deployment_packages;

-- ---------- Legacy values ----------

-- Statuses the seed's flow names (testing, approval) and other common words map onto the four.
update public.deployment_packages set status = case
    when lower(btrim(status)) in ('draft', 'new', 'created', 'pending', 'building', 'build',
                                  'testing', 'test', 'validation') then 'draft'
    when lower(btrim(status)) in ('staging', 'staged', 'approval', 'approved', 'review',
                                  'ready', 'candidate') then 'staging'
    when lower(btrim(status)) in ('deployed', 'active', 'live', 'released', 'production')
      then 'deployed'
    when lower(btrim(status)) in ('retired', 'deprecated', 'archived', 'inactive', 'superseded',
                                  'rolled_back', 'rolledback', 'failed') then 'retired'
    else 'draft'
  end
where status is null or status not in ('draft', 'staging', 'deployed', 'retired');

-- Versions: "v1.2.3" -> "1.2.3", "2026.11" -> "2026.11.0", "3" -> "3.0.0", when the result is a
-- semantic version not already taken by the same name. Anything else stays as it was (it
-- sorts last and must become a semantic version before it is changed).
update public.deployment_packages d set version = fixed.version
from (
  select id, name, candidate as version from (
    select id, name, case
        when v ~ '^[0-9]+$' then v || '.0.0'
        when v ~ '^[0-9]+\.[0-9]+$' then v || '.0'
        else v
      end as candidate
    from (select id, name, regexp_replace(btrim(version), '^[vV]', '') as v
          from public.deployment_packages
          where not private.is_semver(version)) raw
  ) c
  where private.is_semver(candidate)
) fixed
where d.id = fixed.id
  and not exists (select 1 from public.deployment_packages o
                  where o.name = fixed.name and o.version = fixed.version);

-- (name, version) must be unique: a later duplicate gets build metadata ("+legacy.2"), which
-- SemVer ignores for precedence, so nothing is lost.
update public.deployment_packages d
set version = d.version || case when d.version like '%+%' then '.' else '+' end
              || 'legacy.' || dup.n
from (
  select id, row_number() over (partition by name, version order by created_at, id) as n
  from public.deployment_packages
) dup
where d.id = dup.id and dup.n > 1;

alter table public.deployment_packages
  drop constraint if exists deployment_packages_status_check;
alter table public.deployment_packages add constraint deployment_packages_status_check
  check (status in ('draft', 'staging', 'deployed', 'retired'));

-- The environment a package is deployed to, '' when deployment_data names none.
create or replace function private.deployment_environment(p_data jsonb) returns text
language sql immutable parallel safe set search_path = '' as $$
  select coalesce(nullif(btrim(p_data ->> 'environment'), ''), '')
$$;
revoke all on function private.deployment_environment(jsonb) from public, anon;
grant execute on function private.deployment_environment(jsonb) to authenticated, service_role;

-- At most one deployed version per name and environment: the newest deployment stays, the
-- others become retired.
update public.deployment_packages d set status = 'retired'
from (
  select id, row_number() over (
           partition by name, private.deployment_environment(deployment_data)
           order by deployed_at desc nulls last, private.semver_key(version) desc,
                    created_at desc, id desc) as n
  from public.deployment_packages where status = 'deployed'
) extra
where d.id = extra.id and extra.n > 1;

update public.deployment_packages
set deployed_at = coalesce(created_at, now())
where status = 'deployed' and deployed_at is null;
update public.deployment_packages set was_deployed = true
where was_deployed is distinct from true and (status = 'deployed' or deployed_at is not null);
update public.deployment_packages set was_deployed = false where was_deployed is null;
update public.deployment_packages
set updated_at = coalesce(deployed_at, created_at, now())
where updated_at is null;

alter table public.deployment_packages alter column updated_at set default now();
alter table public.deployment_packages alter column was_deployed set default false;
alter table public.deployment_packages alter column was_deployed set not null;

-- ---------- Indexes ----------

create unique index if not exists deployment_packages_name_version_key
  on public.deployment_packages (name, version);
-- The guarantee under races: a second deployed row of a name and environment cannot commit.
create unique index if not exists deployment_packages_one_deployed
  on public.deployment_packages (name, private.deployment_environment(deployment_data))
  where status = 'deployed';
-- The list sorted by version, and a name's versions in order (the timeline, rollback targets).
create index if not exists deployment_packages_semver
  on public.deployment_packages (private.semver_key(version), id);
create index if not exists deployment_packages_name_semver
  on public.deployment_packages (name, private.semver_key(version), id);
-- Filters: status and type (each ending in the default order), deployed between.
create index if not exists deployment_packages_status_created
  on public.deployment_packages (status, created_at desc, id desc);
create index if not exists deployment_packages_type_created
  on public.deployment_packages (package_type, created_at desc, id desc);
create index if not exists deployment_packages_created
  on public.deployment_packages (created_at desc, id desc);
create index if not exists deployment_packages_deployed_at
  on public.deployment_packages (deployed_at desc, id desc);
-- Cleanup: drafts by last change.
create index if not exists deployment_packages_status_updated
  on public.deployment_packages (status, updated_at);

-- ---------- The lifecycle ----------

-- Deployments of one name and environment take turns: this transaction-level lock is taken
-- by the trigger below and by the console before it reads what is deployed now.
create or replace function private.lock_deployment_slot(p_name text, p_environment text)
returns void
language sql volatile set search_path = '' as $$
  select pg_advisory_xact_lock(
    hashtextextended('deployment_packages:' || p_name || ':' || coalesce(p_environment, ''), 0))
$$;
revoke all on function private.lock_deployment_slot(text, text) from public, anon;
grant execute on function private.lock_deployment_slot(text, text) to authenticated, service_role;

-- Whether the lifecycle allows a status change (rollback: retired -> deployed, when the
-- version was deployed before).
create or replace function private.deployment_transition_allowed(
  p_from text, p_to text, p_was_deployed boolean
) returns boolean
language sql immutable parallel safe set search_path = '' as $$
  select (p_from, p_to) in (('draft', 'staging'), ('staging', 'deployed'),
                            ('deployed', 'retired'))
      or (p_from = 'retired' and p_to = 'deployed' and coalesce(p_was_deployed, false))
$$;
revoke all on function private.deployment_transition_allowed(text, text, boolean)
  from public, anon;
grant execute on function private.deployment_transition_allowed(text, text, boolean)
  to authenticated, service_role;

-- Security invoker: it runs as the writer, so RLS decides who may write (admins), the
-- retirement of the previous version included.
create or replace function private.deployment_lifecycle() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.version is distinct from (case when tg_op = 'UPDATE' then old.version end)
     and not private.is_semver(new.version) then
    raise exception '“%” is not a semantic version', new.version
      using errcode = 'BG001',
            hint = 'Use MAJOR.MINOR.PATCH, e.g. 1.2.0, 1.2.0-rc.1 or 1.2.0+build.5 (semver.org).';
  end if;

  if tg_op = 'INSERT' then
    new.status := coalesce(nullif(btrim(new.status), ''), 'draft');
    if new.status <> 'draft' then
      raise exception 'a new package starts as a draft, not as %', new.status
        using errcode = 'BG002';
    end if;
    new.deployed_at := null;
    new.was_deployed := false;
    new.status_reason := nullif(btrim(new.status_reason), '');
    new.created_by := coalesce(new.created_by, (select auth.uid()));
    new.created_at := coalesce(new.created_at, now());
    new.updated_at := now();
    return new;
  end if;

  -- Deployed and retired versions are what ran: only their status (and its reason) changes.
  if old.status in ('deployed', 'retired')
     and (new.name, new.package_type, new.version, new.configuration, new.deployment_data,
          new.created_by, new.created_at)
         is distinct from
         (old.name, old.package_type, old.version, old.configuration, old.deployment_data,
          old.created_by, old.created_at) then
    raise exception '% % is %: only its status may change', old.name, old.version, old.status
      using errcode = 'BG003';
  end if;

  if new.status is distinct from old.status then
    if new.status is null or new.status not in ('draft', 'staging', 'deployed', 'retired') then
      raise exception '“%” is not a status (draft, staging, deployed, retired)', new.status
        using errcode = 'BG002';
    end if;
    if old.status = 'retired' and new.status = 'deployed' then
      if not coalesce(old.was_deployed, false) then
        raise exception '% % was never deployed, so it cannot be rolled back to',
          old.name, old.version using errcode = 'BG004';
      end if;
      if coalesce(btrim(new.status_reason), '') = '' then
        raise exception 'a rollback needs a reason' using errcode = 'BG004';
      end if;
    elsif not private.deployment_transition_allowed(old.status, new.status, old.was_deployed) then
      raise exception '% % cannot go from % to %', old.name, old.version, old.status, new.status
        using errcode = 'BG002',
              hint = 'The lifecycle is draft → staging → deployed → retired; a retired version '
                     'that was deployed before may be deployed again (rollback).';
    end if;
  end if;

  if new.status = 'deployed' and old.status is distinct from 'deployed' then
    new.deployed_at := now();
    -- Retire the version deployed before, in this transaction, after waiting for any other
    -- deployment of this name and environment to finish (it may be the one we retire).
    perform private.lock_deployment_slot(
      new.name, private.deployment_environment(new.deployment_data));
    update public.deployment_packages p
    set status = 'retired', status_reason = 'replaced by ' || new.version
    where p.name = new.name
      and private.deployment_environment(p.deployment_data)
          = private.deployment_environment(new.deployment_data)
      and p.status = 'deployed' and p.id <> new.id;
  else
    new.deployed_at := old.deployed_at;  -- the database's, not the writer's
  end if;
  new.was_deployed := coalesce(old.was_deployed, false) or new.status = 'deployed';
  -- The edit form's version: clock_timestamp(), so two saves in one transaction differ too.
  new.updated_at := clock_timestamp();
  return new;
end
$$;
revoke all on function private.deployment_lifecycle() from public, anon;

create or replace function private.deployment_delete_rule() returns trigger
language plpgsql set search_path = '' as $$
begin
  if old.status not in ('draft', 'retired') then
    raise exception '% % is %: only drafts and retired versions may be deleted',
      old.name, old.version, old.status using errcode = 'BG005';
  end if;
  return old;
end
$$;
revoke all on function private.deployment_delete_rule() from public, anon;

create trigger deployment_lifecycle before insert or update on public.deployment_packages
  for each row execute function private.deployment_lifecycle();
create trigger deployment_delete_rule before delete on public.deployment_packages
  for each row execute function private.deployment_delete_rule();

analyze public.deployment_packages;
