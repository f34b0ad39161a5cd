"""Admin endpoints: /admin/users[/{id}], /invite and /admin/generate_link
(internal/api/admin.go, invite.go, mail.go). The bearer must be a service_role-class JWT."""

import math
import uuid
from urllib.parse import urlencode

from localauth import factors, mailer, otp, passwords, serialize, users
from localauth.app import (
    field_bool,
    field_object,
    field_str,
    json_response,
)
from localauth.durations import DurationError, parse_go_duration
from localauth.errors import AuthError, not_found, unprocessable, validation_failed
from localauth.guards import require_admin

DUPLICATE_EMAIL = "A user with this email address has already been registered"
LINK_TYPES = (
    "signup",
    "invite",
    "magiclink",
    "recovery",
    "email_change_current",
    "email_change_new",
)


def _user_response(conn, user):
    return json_response(
        serialize.user_json(
            user, users.identities(conn, user["id"]), factors.user_factors_json(conn, user["id"])
        )
    )


def _load_user(conn, user_id: str, *, for_update: bool = False) -> dict:
    try:
        uid = uuid.UUID(user_id)
    except ValueError:
        raise not_found("validation_failed", "user_id must be an UUID") from None
    user = users.find_by_id(conn, uid, for_update=for_update)
    if user is None:
        raise not_found("user_not_found", "User not found")
    return user


def _ban_duration(text: str):
    if not text:
        return None
    if text == "none":
        return parse_go_duration("0")
    try:
        return parse_go_duration(text)
    except DurationError as exc:
        raise validation_failed(f"invalid format for ban duration: {exc}") from None


def _password_field(body: dict) -> str | None:
    value = body.get("password")
    if value is not None and not isinstance(value, str):
        field_str(body, "password")  # raises bad_json
    return value


def _uint(value: str, default: int) -> int:
    if value == "":
        return default
    if not value.isdigit():
        raise validation_failed(
            f'Bad Pagination Parameters: strconv.ParseUint: parsing "{value}": invalid syntax'
        )
    return int(value) or default


# --- /admin/users ---------------------------------------------------------------------------


def list_users(app, request):
    page = _uint(request.query.get("page", ""), 1)
    per_page = _uint(request.query.get("per_page", ""), 50)
    sort = request.query.get("sort", "").split()
    if sort and (
        sort[0] != "created_at"
        or len(sort) > 2
        or (len(sort) == 2 and sort[1].lower() not in ("asc", "desc"))
    ):
        raise validation_failed(f"Bad Sort Parameters: {' '.join(sort)} is not a valid sort")
    descending = len(sort) < 2 or sort[1].lower() == "desc"
    with app.connect() as conn:
        require_admin(app, request, conn)
        rows, total = users.list_page(
            conn,
            page=page,
            per_page=per_page,
            filter_text=request.query.get("filter", ""),
            descending=descending,
        )
    pages = math.ceil(total / per_page)
    params = dict(request.query)
    links = []
    if pages > page:
        links.append(
            f'<{app.api_url}/admin/users?{urlencode({**params, "page": page + 1})}>; rel="next"'
        )
    links.append(f'<{app.api_url}/admin/users?{urlencode({**params, "page": pages})}>; rel="last"')
    body = {"users": [serialize.user_json(row, None) for row in rows], "aud": users.AUDIENCE}
    return json_response(body, headers={"X-Total-Count": str(total), "Link": ", ".join(links)})


def create_user(app, request):
    with app.connect() as conn:
        require_admin(app, request, conn)
        body = request.json()
        email, phone = field_str(body, "email"), field_str(body, "phone")
        password, password_hash = _password_field(body), field_str(body, "password_hash")
        email_confirm, phone_confirm = (
            field_bool(body, "email_confirm"),
            field_bool(body, "phone_confirm"),
        )
        user_metadata, app_metadata = (
            field_object(body, "user_metadata"),
            field_object(body, "app_metadata"),
        )
        role, requested_id = field_str(body, "role").strip(), field_str(body, "id")
        if not email and not phone:
            raise validation_failed("Cannot create a user without either an email or phone")
        if email:
            email = users.validate_email(email)
            if users.find_by_email(conn, email) is not None:
                raise unprocessable("email_exists", DUPLICATE_EMAIL)
        if phone:
            phone = users.validate_phone(phone)
            if users.find_by_phone(conn, phone) is not None:
                raise unprocessable(
                    "phone_exists", "Phone number already registered by another user"
                )
        if password is not None and password_hash:
            raise validation_failed("Only a password or a password hash should be provided")
        if password_hash:
            if not passwords.is_bcrypt_hash(password_hash):
                raise validation_failed("The local auth server only accepts bcrypt password hashes")
            encrypted = password_hash
        else:
            password = password or passwords.random_password()
            passwords.check_max_length(password)  # no strength check on admin create
            encrypted = passwords.hash_password(password)
        if requested_id:
            try:
                parsed = uuid.UUID(requested_id)
            except ValueError:
                raise validation_failed("ID must conform to the uuid v4 format") from None
            if parsed.int == 0:
                raise validation_failed("ID cannot be a nil uuid")
            if users.find_by_id(conn, parsed) is not None:
                raise unprocessable("user_already_exists", "User already registered")
            requested_id = str(parsed)
        ban = _ban_duration(field_str(body, "ban_duration"))
        user = users.create(
            conn,
            email=email or None,
            phone=phone or None,
            encrypted_password=encrypted,
            user_metadata=user_metadata,
            app_metadata=app_metadata,
            role=role or users.DEFAULT_ROLE,
            user_id=requested_id or None,
        )
        if email_confirm:
            user = users.confirm_email(conn, user)
        if phone_confirm:
            user = users.confirm_phone(conn, user)
        if ban is not None:
            user = users.ban(conn, user, ban)
        return _user_response(conn, user)


def get_user(app, request, user_id):
    with app.connect() as conn:
        require_admin(app, request, conn)
        return _user_response(conn, _load_user(conn, user_id))


def update_user(app, request, user_id):
    with app.connect() as conn:
        require_admin(app, request, conn)
        user = _load_user(conn, user_id, for_update=True)
        body = request.json()
        email, phone = field_str(body, "email"), field_str(body, "phone")
        password = _password_field(body)
        user_metadata, app_metadata = (
            field_object(body, "user_metadata"),
            field_object(body, "app_metadata"),
        )
        email_confirm = field_bool(body, "email_confirm")
        phone_confirm = field_bool(body, "phone_confirm")
        role = field_str(body, "role")
        if email:
            email = users.validate_email(email)
            other = users.find_by_email(conn, email)
            if other is not None and other["id"] != user["id"]:
                raise unprocessable("email_exists", DUPLICATE_EMAIL)
        if phone:
            phone = users.validate_phone(phone)
        ban = _ban_duration(field_str(body, "ban_duration"))
        if password is not None:
            passwords.check_strength(password)
        if role:
            user = users.update(conn, user["id"], role=role.strip())
        if email_confirm:
            user = users.confirm_email(conn, user)
        if phone_confirm:
            user = users.confirm_phone(conn, user)
        if password is not None:  # ends every session of the user
            user = users.set_password(conn, user, passwords.hash_password(password))
        if email:
            _set_contact(conn, user, "email", email, verified=email_confirm)
            user = users.update(conn, user["id"], email=email)
        if phone:
            _set_contact(conn, user, "phone", phone, verified=phone_confirm)
            user = users.update(conn, user["id"], phone=phone)
        user = users.merge_metadata_column(conn, user, "raw_app_meta_data", app_metadata)
        user = users.merge_metadata_column(conn, user, "raw_user_meta_data", user_metadata)
        if ban is not None:
            user = users.ban(conn, user, ban)
        return _user_response(conn, user)


def _set_contact(conn, user: dict, provider: str, value: str, *, verified: bool) -> None:
    has_identity = any(i["provider"] == provider for i in users.identities(conn, user["id"]))
    data = {provider: value, f"{provider}_verified": verified}
    if has_identity:
        users.update_identity_data(conn, user["id"], provider, data)
    else:
        users.add_identity(conn, user["id"], provider, data)


def delete_user(app, request, user_id):
    with app.connect() as conn:
        require_admin(app, request, conn)
        user = _load_user(conn, user_id, for_update=True)
        body = request.optional_json()
        if field_bool(body, "should_soft_delete"):
            if user["deleted_at"] is None:
                users.soft_delete(conn, user)
                factors.delete_all(conn, user["id"])  # admin.go adminUserDelete
        else:
            users.hard_delete(conn, user["id"])
    return json_response({})


# --- invitations and links ------------------------------------------------------------------


def invite(app, request):
    with app.connect() as conn:
        require_admin(app, request, conn)
        body = request.json()
        email = users.validate_email(field_str(body, "email"))
        data = field_object(body, "data")
        user = users.find_by_email(conn, email)
        if user is not None and user["email_confirmed_at"] is not None:
            raise unprocessable("email_exists", DUPLICATE_EMAIL)
        if user is None:
            user = users.create(conn, email=email, user_metadata=data)
        user = users.update(conn, user["id"], invited_at=users.now())
        user, code, hashed = otp.issue(conn, user, otp.CONFIRMATION)
        response = _user_response(conn, user)
    redirect_url = mailer.redirect_for(app.config, request.query.get("redirect_to"))
    mailer.send(
        app.config.outbox_dir,
        to=email,
        verification_type="invite",
        hashed=hashed,
        otp=code,
        redirect_url=redirect_url,
        link_style=app.config.email_links,
        api_url=app.api_url,
    )
    return response


def generate_link(app, request):
    with app.connect() as conn:
        require_admin(app, request, conn)
        body = request.json()
        link_type = field_str(body, "type")
        password = _password_field(body)
        data = field_object(body, "data")
        redirect_url = mailer.redirect_for(
            app.config, request.query.get("redirect_to") or field_str(body, "redirect_to")
        )
        if link_type not in LINK_TYPES:
            raise validation_failed("Invalid email action link type requested")
        email = users.validate_email(field_str(body, "email"))
        if link_type.startswith("email_change"):
            raise validation_failed("Email change links are not supported by the local auth server")
        user = users.find_by_email(conn, email)
        if link_type == "magiclink" and user is None:
            link_type, password = "signup", passwords.random_password()
        if (
            link_type in ("signup", "invite")
            and user is not None
            and user["email_confirmed_at"] is not None
        ):
            raise unprocessable("email_exists", DUPLICATE_EMAIL)
        if link_type == "signup":
            kind = otp.CONFIRMATION
            if user is None:
                if password is None:
                    raise AuthError(422, "validation_failed", "Signup requires a valid password")
                passwords.check_strength(password)
                user = users.create(
                    conn,
                    email=email,
                    user_metadata=data,
                    encrypted_password=passwords.hash_password(password),
                )
        elif link_type == "invite":
            kind = otp.CONFIRMATION
            if user is None:
                user = users.create(conn, email=email, user_metadata=data)
            user = users.update(conn, user["id"], invited_at=users.now())
        else:
            kind = otp.RECOVERY
            if user is None:
                raise not_found("user_not_found", "User with this email not found")
        user, code, hashed = otp.issue(conn, user, kind)
        out = serialize.user_json(user, users.identities(conn, user["id"]))
    out.update(
        {
            "action_link": mailer.action_link(app.api_url, hashed, link_type, redirect_url),
            "email_otp": code,
            "hashed_token": hashed,
            "verification_type": link_type,
            "redirect_to": redirect_url,
        }
    )
    return json_response(out)
