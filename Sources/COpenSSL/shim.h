#ifndef TASKFCGI_COPENSSL_SHIM_H
#define TASKFCGI_COPENSSL_SHIM_H
/* OpenSSL's libcrypto (Debian's libssl-dev): HMAC-SHA256 for Standard Webhooks signatures.
   The one-shot HMAC() is all we call; no cryptography of our own. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif
