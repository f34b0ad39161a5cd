-- Users and roles: the rows of the users list, a profile with its auth state
-- (private.user_accounts), for admins and auditors.
--
-- Not a security-invoker view, on purpose. Read through the Row Level Security of profiles
-- and user_auth_state, a list of 100,000 users is slow: the planner cannot estimate the
-- policies' "own row or admin" condition (it guesses 1,000 rows, sorts everything and counts
-- exactly), and RLS keeps it from using an index for anything that is not leakproof, such as
-- the email search (LIKE) and the name search (@@). So the view reads the two tables as its
-- owner and lets the caller through only if they are an admin or an auditor: a condition on
-- the caller alone, which the planner checks once, before reading any row (a one-time
-- filter), and which leaves every index usable. Everyone else gets no rows; their own row
-- they read from profiles and user_auth_state, whose policies allow it.
--
-- In `private`, so the Data API (PostgREST) does not serve it.

drop view if exists public.user_accounts;

create or replace view private.user_accounts as
select p.id, p.email, p.display_name, p.role, p.created_at, p.updated_at,
       s.email_confirmed_at, s.last_sign_in_at, s.banned_until, s.invited_at, s.recovery_sent_at
from public.profiles p
join private.user_auth_state s on s.id = p.id
where (select private.app_role()) in ('admin', 'auditor');

revoke all on private.user_accounts from public, anon, authenticated;
grant select on private.user_accounts to authenticated, service_role;
