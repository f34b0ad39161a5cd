-- One-time confirmation tokens (issue 9): an import, a bulk action or any confirm-then-apply
-- step runs once per token. The console claims the token in the same transaction as the work:
-- if the work fails the claim goes back with it; a second claim of a used token (a replay, a
-- double click, four tabs at once) gets false and the console says "already applied".
-- Concurrent claims wait on the primary key until the first transaction ends.

create table if not exists private.used_confirmations (
  user_id uuid not null,
  token text not null,
  used_at timestamptz not null default now(),
  primary key (user_id, token)
);
revoke all on private.used_confirmations from public, anon, authenticated, service_role;

create or replace function private.claim_confirmation(p_token text) returns boolean
language plpgsql volatile security definer set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
begin
  if caller is null then
    raise exception 'a confirmation belongs to a signed-in user' using errcode = '42501';
  end if;
  if p_token is null or length(p_token) not between 16 and 200 then
    raise exception 'not a confirmation token' using errcode = '22023';
  end if;
  -- Old claims are of no use after a day (the forms they confirm are gone).
  delete from private.used_confirmations
  where user_id = caller and used_at < now() - interval '1 day';
  insert into private.used_confirmations (user_id, token) values (caller, p_token)
  on conflict do nothing;
  return found;
end
$$;
revoke all on function private.claim_confirmation(text) from public, anon, authenticated, service_role;
grant execute on function private.claim_confirmation(text) to authenticated, service_role;
