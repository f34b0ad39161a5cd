"""Discovery: /health, /settings, /.well-known/jwks.json, /.well-known/openid-configuration."""

from localauth import tokens
from localauth.app import json_response

VERSION = "local"
EXTERNAL_PROVIDERS = (
    "anonymous_users",
    "apple",
    "azure",
    "bitbucket",
    "discord",
    "facebook",
    "figma",
    "fly",
    "github",
    "gitlab",
    "google",
    "keycloak",
    "kakao",
    "linkedin",
    "linkedin_oidc",
    "notion",
    "spotify",
    "slack",
    "slack_oidc",
    "workos",
    "twitch",
    "twitter",
    "x",
    "zoom",
    "phone",
)


def health(app, request):
    return json_response(
        {
            "version": VERSION,
            "name": "GoTrue",
            "description": "GoTrue is a user registration and authentication API",
        }
    )


def settings(app, request):
    external = {name: False for name in EXTERNAL_PROVIDERS}
    external["email"] = True
    return json_response(
        {
            "external": external,
            "disable_signup": True,
            "mailer_autoconfirm": False,
            "phone_autoconfirm": False,
            "sms_provider": "",
            "saml_enabled": False,
        }
    )


def jwks(app, request):
    return json_response(
        tokens.jwks(app.config.signing_jwk), headers={"Cache-Control": "public, max-age=600"}
    )


def openid_configuration(app, request):
    algorithms = ["ES256"] if app.config.signing_jwk else ["HS256"]
    return json_response(
        {
            "issuer": app.issuer,
            "jwks_uri": f"{app.api_url}/.well-known/jwks.json",
            "authorization_endpoint": f"{app.api_url}/authorize",
            "token_endpoint": f"{app.api_url}/token",
            "userinfo_endpoint": f"{app.api_url}/user",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algorithms,
        }
    )
