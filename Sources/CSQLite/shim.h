#ifndef TASKFCGI_CSQLITE_SHIM_H
#define TASKFCGI_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro Swift cannot import: SQLite copies the bound value. */
static inline sqlite3_destructor_type taskfcgi_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
#endif
