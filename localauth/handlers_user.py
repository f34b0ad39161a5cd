"""The signed-in user's endpoints: GET/PUT /user and POST /logout (internal/api/user.go,
logout.go). Every one runs GoTrue's requireAuthentication checks first."""

from localauth import factors, passwords, serialize, sessions, users
from localauth.app import empty_response, field_object, field_str, json_response
from localauth.errors import AuthError, unprocessable, validation_failed
from localauth.guards import is_admin, require_user

LOGOUT_SCOPES = {"": "global", "global": "global", "local": "local", "others": "others"}


def _user_response(conn, user):
    return json_response(
        serialize.user_json(
            user, users.identities(conn, user["id"]), factors.user_factors_json(conn, user["id"])
        )
    )


def get_user(app, request):
    with app.connect() as conn:
        caller = require_user(app, request, conn)
        return _user_response(conn, caller.user)


def update_user(app, request):
    with app.connect() as conn:
        caller = require_user(app, request, conn)
        body = request.json()
        user = caller.user
        email, phone = field_str(body, "email"), field_str(body, "phone")
        password = body.get("password")
        if password is not None and not isinstance(password, str):
            field_str(body, "password")  # raises bad_json
        data = field_object(body, "data")
        app_metadata = field_object(body, "app_metadata")
        if app_metadata is not None and not is_admin(caller.claims):
            raise AuthError(403, "not_admin", "Updating app_metadata requires admin privileges")
        if email and users.validate_email(email) != (user["email"] or ""):
            raise validation_failed(
                "Changing the email address is not supported by the local "
                "auth server; an admin can update it"
            )
        if phone and users.validate_phone(phone) != (user["phone"] or ""):
            raise validation_failed(
                "Changing the phone number is not supported by the local "
                "auth server; an admin can update it"
            )
        if password is not None:
            if app.config.password_update_requires_current:
                current = body.get("current_password")
                if not isinstance(current, str) or not current:
                    raise AuthError(
                        400,
                        "current_password_required",
                        "Current password required when setting new password.",
                    )
                if not passwords.check_password(current, user["encrypted_password"]):
                    raise AuthError(400, "current_password_invalid", "Current password is invalid.")
            passwords.check_strength(password)
            if passwords.check_password(password, user["encrypted_password"]):
                raise unprocessable(
                    "same_password", "New password should be different from the old password."
                )
            keep = caller.session["id"] if caller.session else None
            user = users.set_password(
                conn, user, passwords.hash_password(password), keep_session_id=keep
            )
        user = users.merge_metadata_column(conn, user, "raw_user_meta_data", data)
        user = users.merge_metadata_column(conn, user, "raw_app_meta_data", app_metadata)
        return _user_response(conn, user)


def logout(app, request):
    with app.connect() as conn:
        caller = require_user(app, request, conn)
        requested = request.query.get("scope", "")
        scope = LOGOUT_SCOPES.get(requested)
        if scope is None:
            raise validation_failed(f'Unsupported logout scope "{requested}"')
        session_id = caller.session["id"] if caller.session else None
        if scope == "global" or session_id is not None:
            sessions.delete(conn, caller.user["id"], scope=scope, session_id=session_id)
    return empty_response(204)
