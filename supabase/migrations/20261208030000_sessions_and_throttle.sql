-- Sessions and the sign-in throttle against someone holding the console's DATABASE_URL, and
-- against a stranger on the sign-in page.
--
-- 1. The sign-in throttle's memory of addresses that signed in (the "known pairs") moves from
--    Django's database cache, which unpickles what it reads from console.console_cache, to a
--    plain typed table. The console no longer reads that cache table: it is dropped where this
--    role may (else it stays, unread, and the console's role loses its grants on it).
-- 2. Sessions are stored under a hash of their key, with their data encrypted
--    (console/auth/session_backend.py): rows written before this hold the cookie's own value
--    and readable tokens, so they are deleted (everyone signs in again once).
-- 3. One attempt is checked and counted against all its keys at once
--    (`private.sign_in_attempt`, replacing `private.login_attempt`): an attempt one key
--    refuses is counted by none, and an account's block refuses only addresses that have been
--    failing for that account.

create table if not exists private.login_known_pair (
  key text primary key,  -- a hash of email and IP (console/auth/throttle.py)
  expires_at timestamptz not null
);
create index if not exists login_known_pair_expires_at on private.login_known_pair (expires_at);
revoke all on private.login_known_pair from public, anon, authenticated, service_role;
grant select, insert, update, delete on private.login_known_pair to billygoat_console;

-- Keys: the email and IP pair, the IP (null: not counted) and the account (null: not
-- counted), each with its limit. The attempt is refused, and counted nowhere, while a key is
-- blocked; the account's block counts only for a pair that has failed within the window, so a
-- correct password from an address with no failures is never refused for someone else's
-- guesses. Otherwise it is counted on every key (private.login_attempt's rules: a key left
-- alone for p_window seconds starts over; the attempt that reaches a limit passes and blocks
-- the key for p_backoff seconds, doubling with each attempt after, at most p_window). An
-- account blocked but passed by a fresh address is left as it is.
create or replace function private.sign_in_attempt(
  p_pair text, p_pair_limit int,
  p_ip text, p_ip_limit int,
  p_account text, p_account_limit int,
  p_window int, p_backoff int
) returns table (allowed boolean, retry_after int)
language plpgsql volatile set search_path = '' as $$
declare
  now_ timestamptz := clock_timestamp();
  stale timestamptz := clock_timestamp() - make_interval(secs => p_window);
  keys text[] := array_remove(array[p_pair, p_ip, p_account], null);
  pair_failing boolean;
  wait int;
begin
  -- Created and locked in key order: two attempts sharing keys never wait in a cycle.
  insert into private.login_throttle (key, attempts, last_at)
  select k, 0, now_ from unnest(keys) k order by k
  on conflict (key) do nothing;
  perform 1 from private.login_throttle t where t.key = any(keys) order by t.key for update;

  select t.attempts > 0 and t.last_at >= stale into pair_failing
  from private.login_throttle t where t.key = p_pair;

  select max(ceil(extract(epoch from t.blocked_until - now_)))::int into wait
  from private.login_throttle t
  where t.key = any(keys) and t.blocked_until > now_
    and (t.key is distinct from p_account or pair_failing);
  if wait is not null then
    return query select false, greatest(wait, 1);
    return;
  end if;

  update private.login_throttle t
  set attempts = n.attempts,
      blocked_until = case
        when n.attempts >= n.lim then now_ + make_interval(secs => least(
          p_window::float8, p_backoff * power(2, least(n.attempts - n.lim, 20))))
      end,
      last_at = now_
  from (
    select t2.key, k.lim,
           case when t2.last_at < stale then 0 else t2.attempts end + 1 as attempts
    from unnest(array[p_pair, p_ip, p_account], array[p_pair_limit, p_ip_limit, p_account_limit])
      as k(key, lim)
    join private.login_throttle t2 on t2.key = k.key
  ) n
  where t.key = n.key and (t.blocked_until is null or t.blocked_until <= now_);
  return query select true, 0;
end
$$;
revoke all on function private.sign_in_attempt(text, int, text, int, text, int, int, int)
  from public, anon, authenticated, service_role;
grant execute on function private.sign_in_attempt(text, int, text, int, text, int, int, int)
  to billygoat_console;
-- Its one-key predecessor counted an attempt on each key apart; nothing calls it now.
drop function if exists private.login_attempt(text, int, int, int);

do $$
declare
  owner_ name;
begin
  select tableowner into owner_ from pg_tables
  where schemaname = 'console' and tablename = 'console_cache';
  if owner_ is not null then
    if pg_has_role(current_user, owner_, 'USAGE') then
      drop table console.console_cache;
    elsif exists (select 1 from pg_roles where rolname = 'billygoat_console') then
      revoke all on console.console_cache from billygoat_console;
    end if;
  end if;

  -- Sessions written before this migration: the key is the cookie, the data readable.
  if to_regclass('console.django_session') is not null then
    begin
      delete from console.django_session where length(session_key) <> 40;
    exception when insufficient_privilege then
      raise warning 'could not delete the old sessions in console.django_session: run'
        ' `delete from console.django_session` as its owner';
    end;
  end if;
end
$$;
