#ifndef TASKFCGI_CPOSTGRESQL_SHIM_H
#define TASKFCGI_CPOSTGRESQL_SHIM_H
#include <libpq-fe.h>
#endif
