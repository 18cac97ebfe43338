#ifndef TASKFCGI_CFASTCGI_SHIM_H
#define TASKFCGI_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#endif
