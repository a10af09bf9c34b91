"""Run the test OpenID Connect provider on a free loopback port; print the port, then serve.

    python -m tests.oidc_provider.serve   (environment: PROVIDER_DATABASE, PROVIDER_CONTROL,
        PROVIDER_REDIRECT_URI, PROVIDER_CLIENT_ID, PROVIDER_CLIENT_SECRET, PROVIDER_PASSWORD)

It signs with an RSA key generated now; a second one ("rogue") signs forged tokens on demand.
The users alice, bob and carol share PROVIDER_PASSWORD; one confidential client is registered
with the app's redirect URI.
"""

import os

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

USERS = {
    "alice": ("alice@example.org", "Alice", "Example"),
    "bob": ("bob@example.org", "Bob", "Builder"),
    "carol": ("carol@example.org", "Carol", "Nogroup"),
}


def new_rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def seed() -> None:
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import Application

    for username, (email, first, last) in USERS.items():
        get_user_model().objects.create_user(
            username,
            email=email,
            password=os.environ["PROVIDER_PASSWORD"],
            first_name=first,
            last_name=last,
        )
    Application.objects.create(
        name="Autonomy Assessor",
        client_id=os.environ["PROVIDER_CLIENT_ID"],
        client_secret=os.environ["PROVIDER_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["PROVIDER_REDIRECT_URI"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def main() -> None:
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    port = server.server_port
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
        PROVIDER_ISSUER=f"http://127.0.0.1:{port}/o",
        PROVIDER_RSA_KEY=new_rsa_pem(),
        PROVIDER_ROGUE_KEY=new_rsa_pem(),
    )
    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    seed()
    server.set_app(get_wsgi_application())
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
