"""Cloud CDN signed URLs (HMAC-SHA1 over the URL, Google's documented scheme)."""

import base64
import hashlib
import hmac
from datetime import datetime


def cdn_url_sign(url: str, *, key_name: str, key_b64: str, expires_at: datetime) -> str:
    """Appends Expires, KeyName and Signature to `url`.

    `key_b64` is the 128-bit key in URL-safe base64, as `gcloud compute
    backend-buckets add-signed-url-key` takes it.
    """
    separator = "&" if "?" in url else "?"
    to_sign = f"{url}{separator}Expires={int(expires_at.timestamp())}&KeyName={key_name}"
    key = base64.urlsafe_b64decode(key_b64)
    digest = hmac.new(key, to_sign.encode(), hashlib.sha1).digest()
    signature = base64.urlsafe_b64encode(digest).decode()
    return f"{to_sign}&Signature={signature}"
