-- The audit trail's filters, each served by an index that ends in the list's keyset order
-- (created_at desc, id desc): the database seeks to the filter's rows in page order and stops
-- after one page, however many rows match and however deep the page is.
--
--   no filter, date range, jump to a date     idx_audit_logs_created_id (20261122000100)
--   table + record id                         idx_audit_logs_record_created (20261122000600)
--   actor                                     idx_audit_logs_user_keyset
--   actor "system" (user_id is null)         idx_audit_logs_system_keyset (partial: IS NULL
--                                             is no equality, so the user index gives no order)
--   actor + action                            idx_audit_logs_user_action_keyset
--   action                                    idx_audit_logs_action_keyset
--   action + table                            idx_audit_logs_action_table_keyset
--   table                                     idx_audit_logs_table_keyset
--   record id                                 idx_audit_logs_record_keyset
--   one IP address                            idx_audit_logs_ip_keyset
--   an IP network (10.0.0.0/8: ip <<= net)    idx_audit_logs_ip_gist (GiST inet_ops)
--
-- Other combinations use the most selective of these and check the rest on the way.

create index if not exists idx_audit_logs_user_keyset
  on public.audit_logs (user_id, created_at desc, id desc);
create index if not exists idx_audit_logs_system_keyset
  on public.audit_logs (created_at desc, id desc) where user_id is null;
create index if not exists idx_audit_logs_user_action_keyset
  on public.audit_logs (user_id, action, created_at desc, id desc);
create index if not exists idx_audit_logs_action_keyset
  on public.audit_logs (action, created_at desc, id desc);
create index if not exists idx_audit_logs_action_table_keyset
  on public.audit_logs (action, table_name, created_at desc, id desc);
create index if not exists idx_audit_logs_table_keyset
  on public.audit_logs (table_name, created_at desc, id desc);
create index if not exists idx_audit_logs_record_keyset
  on public.audit_logs (record_id, created_at desc, id desc);
create index if not exists idx_audit_logs_ip_keyset
  on public.audit_logs (ip_address, created_at desc, id desc);
create index if not exists idx_audit_logs_ip_gist
  on public.audit_logs using gist (ip_address inet_ops);

