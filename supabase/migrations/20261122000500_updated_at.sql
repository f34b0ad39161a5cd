-- updated_at is kept by the database, whoever writes the row (console, SQL editor, PostgREST).
create or replace function private.touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;

do $$
declare
  t text;
begin
  foreach t in array array['profiles', 'ai_agents', 'crew_nuclear_system', 'knowledge_base_entries'] loop
    execute format('drop trigger if exists touch_updated_at on public.%I', t);
    execute format('create trigger touch_updated_at before update on public.%I'
                   ' for each row execute function private.touch_updated_at()', t);
  end loop;
end
$$;
