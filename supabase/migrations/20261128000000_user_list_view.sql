-- The users list reads private.user_list, which replaces private.user_accounts: the same
-- rows, with the auth state joined so that the list's count and the ids of its page do not
-- probe it for every match (issue 15). The users search for "user12" matched 1,111 users,
-- and 2.5 ms of its 4 ms went to 1,111 index probes of private.user_auth_state for rows whose
-- auth state nothing read.
--
-- The auth state is joined with a LEFT JOIN. PostgreSQL drops a left join to a table joined
-- on its primary key when the query reads none of its columns, as the count and the page's
-- ids do; a page's rows, which show the state, still read it. The rows are the same as with
-- the inner join: a profile belongs to an auth user (its foreign key), and every auth user
-- has its state row (the copy trigger and the backfill of 20261122010100_user_accounts.sql).
--
-- auth_state_id is the state row's key: a list ordered by a state column asks for it to be
-- set, which makes the join an inner one again, so that the planner may read the state's
-- index in that order (the nullable side of a left join cannot lead).
--
-- A new view rather than the old one replaced: a view cannot lose a column, so with one more
-- column the old migration could not run again. Same owner, same caller check, same
-- privileges as private.user_accounts (20261122010300_user_accounts_view.sql: why a view
-- that runs as its owner), which goes.
create or replace view private.user_list as
select p.id, p.email, p.display_name, p.role, p.created_at, p.updated_at,
       s.email_confirmed_at, s.last_sign_in_at, s.banned_until, s.invited_at, s.recovery_sent_at,
       s.id as auth_state_id
from public.profiles p
left join private.user_auth_state s on s.id = p.id
where (select private.app_role()) in ('admin', 'auditor');

revoke all on private.user_list from public, anon, authenticated;
grant select on private.user_list to authenticated, service_role;

drop view if exists private.user_accounts;
