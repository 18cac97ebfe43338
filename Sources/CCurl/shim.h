#ifndef TASKFCGI_CCURL_SHIM_H
#define TASKFCGI_CCURL_SHIM_H
/* libcurl (Debian's libcurl4-openssl-dev), for webhook deliveries. curl_easy_setopt and
   curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper per argument type. */
#include <curl/curl.h>

static inline CURLcode taskfcgi_curl_global_init(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}

static inline CURLcode taskfcgi_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode taskfcgi_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/* Strings, data pointers and curl_slist lists alike. */
static inline CURLcode taskfcgi_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode taskfcgi_curl_setopt_write(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode taskfcgi_curl_setopt_opensocket(CURL *handle, curl_opensocket_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, callback);
}

static inline CURLcode taskfcgi_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode taskfcgi_curl_getinfo_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode taskfcgi_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

/* The address curl is about to connect to. `addr` is declared as a struct sockaddr but holds
   `addrlen` bytes (a sockaddr_in6 for IPv6): a pointer to it, never a copy. */
static inline const struct sockaddr *taskfcgi_curl_sockaddr_address(const struct curl_sockaddr *address) {
    return &address->addr;
}

static inline curl_socket_t taskfcgi_curl_socket_bad(void) {
    return CURL_SOCKET_BAD;
}
#endif
