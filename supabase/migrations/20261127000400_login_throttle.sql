-- Sign-in throttling counters (issue 9), for the console's own connection role only.
--
-- One row per key (an email and IP pair, an IP, an account: hashed by the console). An
-- attempt is counted before the password is tried, in one locked row, so parallel tries
-- cannot slip past the limit: the attempt that reaches the limit passes and blocks the key
-- for `p_backoff` seconds, doubling with every attempt after that (at most `p_window`). While
-- blocked, attempts are refused and not counted. A key left alone for `p_window` seconds
-- starts over; a successful sign-in deletes its pair's row.

create table if not exists private.login_throttle (
  key text primary key,
  attempts int not null,
  blocked_until timestamptz,
  last_at timestamptz not null
);
revoke all on private.login_throttle from public, anon, authenticated, service_role;

create or replace function private.login_attempt(
  p_key text, p_limit int, p_window int, p_backoff int
) returns table (allowed boolean, retry_after int)
language plpgsql volatile set search_path = '' as $$
declare
  row private.login_throttle%rowtype;
  now_ timestamptz := clock_timestamp();
begin
  insert into private.login_throttle (key, attempts, last_at)
  values (p_key, 0, now_)
  on conflict (key) do nothing;
  select * into row from private.login_throttle t where t.key = p_key for update;
  if row.blocked_until > now_ then
    return query select false, ceil(extract(epoch from row.blocked_until - now_))::int;
    return;
  end if;
  if row.last_at < now_ - make_interval(secs => p_window) then
    row.attempts := 0;
  end if;
  row.attempts := row.attempts + 1;
  row.blocked_until := case
    when row.attempts >= p_limit
      then now_ + make_interval(secs => least(p_window::float8,
                                              p_backoff * power(2, least(row.attempts - p_limit, 20))))
  end;
  update private.login_throttle t
  set attempts = row.attempts, blocked_until = row.blocked_until, last_at = now_
  where t.key = p_key;
  return query select true, 0;
end
$$;
revoke all on function private.login_attempt(text, int, int, int)
  from public, anon, authenticated, service_role;
