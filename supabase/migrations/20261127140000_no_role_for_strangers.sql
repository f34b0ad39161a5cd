-- No console role for strangers (issue 10). A hosted project allows sign-ups by default and
-- its anon key is public, so anyone may create an auth user: a new user's profile has no
-- role, and only an admin gives one (invite, create, role change, promote_user_to_admin).
-- The legacy role 'user' (the old app's end users) gives no console access either.

create or replace function private.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, email, display_name, role)
  values (new.id, coalesce(new.email, ''), nullif(new.raw_user_meta_data ->> 'display_name', ''), null)
  on conflict (id) do nothing;
  return new;
end
$$;

alter table public.profiles alter column role drop default;

-- The caller's console role: admin, editor, auditor or viewer; NULL for the legacy 'user',
-- no role or no profile. Every policy asks this, so RLS says what the console says.
create or replace function private.app_role() returns text
language sql stable security definer set search_path = '' as $$
  select p.role
  from public.profiles p
  where p.id = (select auth.uid()) and p.role in ('admin', 'editor', 'auditor', 'viewer')
$$;

-- Makes the user with this email an admin. A signed-in caller must be an admin; with no user
-- in the JWT claims (the SQL editor, the service role) it makes the first admin. The audit
-- trigger on profiles (20261127000200_audit_every_write.sql) records the update.
create or replace function public.promote_user_to_admin(user_email text) returns void
language plpgsql security definer set search_path = '' as $$
declare
  target public.profiles%rowtype;
begin
  if (select auth.uid()) is not null and not public.is_admin() then
    raise exception 'only an admin may promote a user to admin' using errcode = '42501';
  end if;
  if (select auth.uid()) is null and coalesce((select auth.role()), '') in ('anon', 'authenticated') then
    raise exception 'only an admin may promote a user to admin' using errcode = '42501';
  end if;
  select * into target from public.profiles where lower(email) = lower(trim(user_email));
  if not found then
    raise exception 'no user with email %', user_email using errcode = 'P0002';
  end if;
  update public.profiles set role = 'admin', updated_at = now() where id = target.id;
end
$$;
