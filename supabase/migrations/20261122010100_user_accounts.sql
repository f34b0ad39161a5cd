-- Users and roles: the auth state the users list shows, filters and sorts on, for 100,000
-- users, and the indexes behind every filter and sort.
--
-- The auth state (email confirmed, last sign-in, banned until) belongs to Supabase Auth, in
-- auth.users. On a hosted project the `postgres` role may put triggers on auth.users but not
-- indexes (the table is owned by supabase_auth_admin), and every filter the console offers
-- needs an index. So the few auth columns the console reads are copied, by trigger, into a
-- table we own and can index: private.user_auth_state. The copy is written by Supabase Auth's
-- own statement, in its transaction, so it is never behind auth.users.

create table if not exists private.user_auth_state (
  id uuid primary key references auth.users (id) on delete cascade,
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  banned_until timestamptz,
  invited_at timestamptz,
  recovery_sent_at timestamptz
);

create or replace function private.copy_user_auth_state() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.user_auth_state as s
    (id, email_confirmed_at, last_sign_in_at, banned_until, invited_at, recovery_sent_at)
  values
    (new.id, new.email_confirmed_at, new.last_sign_in_at, new.banned_until, new.invited_at,
     new.recovery_sent_at)
  on conflict (id) do update set
    email_confirmed_at = excluded.email_confirmed_at,
    last_sign_in_at = excluded.last_sign_in_at,
    banned_until = excluded.banned_until,
    invited_at = excluded.invited_at,
    recovery_sent_at = excluded.recovery_sent_at;
  return null;
end
$$;
revoke all on function private.copy_user_auth_state() from public;

create or replace trigger on_auth_user_state_created after insert on auth.users
  for each row execute function private.copy_user_auth_state();

create or replace trigger on_auth_user_state_changed
  after update of email_confirmed_at, last_sign_in_at, banned_until, invited_at, recovery_sent_at
  on auth.users
  for each row
  when ((old.email_confirmed_at, old.last_sign_in_at, old.banned_until, old.invited_at,
         old.recovery_sent_at)
        is distinct from
        (new.email_confirmed_at, new.last_sign_in_at, new.banned_until, new.invited_at,
         new.recovery_sent_at))
  execute function private.copy_user_auth_state();

-- The users that existed before this migration.
insert into private.user_auth_state
  (id, email_confirmed_at, last_sign_in_at, banned_until, invited_at, recovery_sent_at)
select id, email_confirmed_at, last_sign_in_at, banned_until, invited_at, recovery_sent_at
from auth.users
on conflict (id) do update set
  email_confirmed_at = excluded.email_confirmed_at,
  last_sign_in_at = excluded.last_sign_in_at,
  banned_until = excluded.banned_until,
  invited_at = excluded.invited_at,
  recovery_sent_at = excluded.recovery_sent_at;

-- Read as profiles are read: admins and auditors every row, everyone else their own.
alter table private.user_auth_state enable row level security;
revoke all on private.user_auth_state from public, anon, authenticated;
grant select on private.user_auth_state to authenticated, service_role;
drop policy if exists user_auth_state_select on private.user_auth_state;
create policy user_auth_state_select on private.user_auth_state for select to authenticated
  using (id = (select auth.uid()) or (select private.app_role()) in ('admin', 'auditor'));

-- An index behind every filter and sort of the users list. Already there: profiles
-- (created_at desc, id desc) for the default order and lower(email) text_pattern_ops for the
-- email search.
-- Role filter, newest first.
create index if not exists idx_profiles_role_created
  on public.profiles (role, created_at desc, id desc);
-- Sort by email, by name.
create index if not exists idx_profiles_email_id on public.profiles (email, id);
create index if not exists idx_profiles_display_name_id on public.profiles (display_name, id);
-- Search: any word of the name starting with what was typed.
create index if not exists idx_profiles_display_name_words
  on public.profiles using gin (to_tsvector('simple', coalesce(display_name, '')));
-- Sorts on the auth columns (newest first, never last), the "unconfirmed" filter
-- (email_confirmed_at is null) and the "banned" filter (banned_until > now()).
create index if not exists idx_user_auth_state_confirmed
  on private.user_auth_state (email_confirmed_at desc nulls last, id desc);
create index if not exists idx_user_auth_state_last_sign_in
  on private.user_auth_state (last_sign_in_at desc nulls last, id desc);
create index if not exists idx_user_auth_state_banned
  on private.user_auth_state (banned_until desc nulls last, id desc);
