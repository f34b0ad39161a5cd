-- Editors write knowledge entries, but only admins delete them (issue 4). The console checks
-- the same; this makes the database refuse an editor's DELETE whatever the client.
alter policy kb_delete on public.knowledge_base_entries
  using ((select private.app_role()) = 'admin');
