-- updated_at is the moment of the write, not the start of its transaction.
--
-- now() is the time the transaction began. The console runs each request in one transaction,
-- and an invitation makes the profile in another one, Supabase Auth's (its insert into
-- auth.users fires handle_new_user), which begins later; setting the role afterwards in the
-- request's transaction stamped the profile with the request's earlier start, and the audit
-- row showed updated_at going back in time. clock_timestamp() is read after the row is
-- locked, so after any write that committed before it: a row's updated_at only moves forward.
create or replace function private.touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := clock_timestamp();
  return new;
end
$$;
