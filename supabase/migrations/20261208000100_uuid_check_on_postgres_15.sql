-- PostgreSQL 15 has no pg_input_is_valid (16+). The same contract on every version: the uuid
-- a system id spells (any case, with or without braces or hyphens), else null. The pattern
-- turns most names away without the cost of an exception block; the cast decides.
create or replace function private.performance_uuid_or_null(p_text text) returns uuid
language plpgsql stable parallel safe set search_path = '' as $$
begin
  if p_text !~* '^\{?[0-9a-f]{4}(-?[0-9a-f]{4}){7}\}?$' then
    return null;
  end if;
  return p_text::uuid;
exception when invalid_text_representation then
  return null;
end
$$;
revoke all on function private.performance_uuid_or_null(text)
  from public, anon, authenticated, service_role;
