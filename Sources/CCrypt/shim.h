#ifndef TASKFCGI_CCRYPT_SHIM_H
#define TASKFCGI_CCRYPT_SHIM_H
/* libxcrypt (Debian's libcrypt): crypt_r verifies htpasswd -B (bcrypt) lines. We never hash
   passwords ourselves; the library does, with the salt and cost the stored hash names. */
#include <crypt.h>
#endif
