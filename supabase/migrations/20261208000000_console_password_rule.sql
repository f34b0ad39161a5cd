-- The password rule is checked before anyone is signed in: the invitation and password-reset
-- confirmation pages run on the console's own login role, not as `authenticated`. Both
-- functions are pure (they read only their argument and the common-passwords list).
grant execute on function public.validate_password_strength(text) to billygoat_console;
grant execute on function public.is_common_password(text) to billygoat_console;
