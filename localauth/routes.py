"""The route table: (method, path under /auth/v1 as a regex, handler(app, request, **groups))."""

from localauth import (
    handlers_admin,
    handlers_email,
    handlers_meta,
    handlers_mfa,
    handlers_token,
    handlers_user,
)

_USER_ID = r"(?P<user_id>[^/]+)"
_FACTOR_ID = r"(?P<factor_id>[^/]+)"

ROUTES = [
    ("GET", r"/health", handlers_meta.health),
    ("GET", r"/settings", handlers_meta.settings),
    ("GET", r"/\.well-known/jwks\.json", handlers_meta.jwks),
    ("GET", r"/\.well-known/openid-configuration", handlers_meta.openid_configuration),
    ("POST", r"/token", handlers_token.token),
    ("GET", r"/user", handlers_user.get_user),
    ("PUT", r"/user", handlers_user.update_user),
    ("POST", r"/logout", handlers_user.logout),
    ("POST", r"/signup", handlers_email.signup),
    ("POST", r"/recover", handlers_email.recover),
    ("POST", r"/otp", handlers_email.send_otp),
    ("POST", r"/magiclink", handlers_email.send_otp),
    ("POST", r"/verify", handlers_email.verify_post),
    ("GET", r"/verify", handlers_email.verify_get),
    ("POST", r"/invite", handlers_admin.invite),
    ("POST", r"/admin/generate_link", handlers_admin.generate_link),
    ("GET", r"/admin/users", handlers_admin.list_users),
    ("POST", r"/admin/users", handlers_admin.create_user),
    ("GET", rf"/admin/users/{_USER_ID}", handlers_admin.get_user),
    ("PUT", rf"/admin/users/{_USER_ID}", handlers_admin.update_user),
    ("DELETE", rf"/admin/users/{_USER_ID}", handlers_admin.delete_user),
    ("POST", r"/factors", handlers_mfa.enroll),
    ("POST", rf"/factors/{_FACTOR_ID}/challenge", handlers_mfa.challenge),
    ("POST", rf"/factors/{_FACTOR_ID}/verify", handlers_mfa.verify),
    ("DELETE", rf"/factors/{_FACTOR_ID}", handlers_mfa.unenroll),
    ("GET", rf"/admin/users/{_USER_ID}/factors", handlers_mfa.admin_list_factors),
    (
        "DELETE",
        rf"/admin/users/{_USER_ID}/factors/{_FACTOR_ID}",
        handlers_mfa.admin_delete_factor,
    ),
]
