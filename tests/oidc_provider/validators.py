"""What the test provider puts in its tokens, steered by the control file the tests write.

The control file (JSON, path in PROVIDER_CONTROL) holds each user's `groups` and optional
`emails`, and `tamper`: claims to overwrite in the next ID tokens (a wrong audience, issuer,
nonce...) and `rogue_key` to sign them with a key that the JWKS does not publish. The token is
otherwise the real one, so every other check of the app under test still sees a real provider.
"""

import base64
import json
import os
from pathlib import Path

from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator


def control() -> dict:
    return json.loads(Path(os.environ["PROVIDER_CONTROL"]).read_text())


def decoded(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever the scopes (groups has no scope)

    def get_additional_claims(self, request):
        user, settings = request.user, control()
        return {
            "email": settings.get("emails", {}).get(user.username, user.email),
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "groups": settings.get("groups", {}).get(user.username, []),
        }

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        tamper = control().get("tamper")
        if not tamper:
            return signed
        header, claims = (decoded(part) for part in signed.split(".")[:2])
        claims.update(tamper.get("claims", {}))
        key = request.client.jwk_key
        if tamper.get("rogue_key"):
            key = jwk.JWK.from_pem(os.environ["PROVIDER_ROGUE_KEY"].encode())
        forged = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
        forged.make_signed_token(key)
        return forged.serialize()
