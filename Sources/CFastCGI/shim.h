#ifndef TASKFCGI_CFASTCGI_SHIM_H
#define TASKFCGI_CFASTCGI_SHIM_H
/* The FastCGI 1.0 wire as libfcgi-dev's fastcgi.h defines it: record types, the header layout,
   roles, flags and protocol statuses. Only the definitions: our own Swift code reads and writes
   the records (libfcgi's fcgiapp.c is not linked; see the README's "The FastCGI wire"). */
#include <fastcgi.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

/* The connection loop's system calls that Swift's Glibc module leaves out (sys/epoll.h and
   friends, the GNU accept4), wrapped so Swift never sees the packed epoll_event.
   <sys/socket.h> is not included: this module would then own its definitions and hide them
   from `import Glibc`. */
struct sockaddr;
extern int accept4(int fd, struct sockaddr *address, unsigned int *length, int flags);
/* SOCK_NONBLOCK and SOCK_CLOEXEC are O_NONBLOCK and O_CLOEXEC on every Linux architecture
   Swift targets. */
#define TASKFCGI_SOCK_NONBLOCK 04000
#define TASKFCGI_SOCK_CLOEXEC 02000000

/* A connection from listening socket `fd`, non-blocking and close-on-exec from the start;
   -1 and errno on failure. */
static inline int taskfcgi_accept(int fd) {
    return accept4(fd, NULL, NULL, TASKFCGI_SOCK_NONBLOCK | TASKFCGI_SOCK_CLOEXEC);
}

/* A new epoll instance (close-on-exec); -1 and errno on failure. */
static inline int taskfcgi_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/* What a watch waits for. */
enum {
    TASKFCGI_WANT_READ = 1,
    TASKFCGI_WANT_WRITE = 2,
    /* Reported once, then disarmed until armed again: one thread owns the event. */
    TASKFCGI_ONCE = 4,
};

/* Adds (`add` != 0) or re-arms `fd` in `epoll_fd` for `want`, tagged `tag`; 0 or -1 and errno. */
static inline int taskfcgi_epoll_arm(int epoll_fd, int fd, int add, int want, uint64_t tag) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLRDHUP;
    if (want & TASKFCGI_WANT_READ) event.events |= EPOLLIN;
    if (want & TASKFCGI_WANT_WRITE) event.events |= EPOLLOUT;
    if (want & TASKFCGI_ONCE) event.events |= EPOLLONESHOT;
    event.data.u64 = tag;
    return epoll_ctl(epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

/* Stops watching `fd`; 0 or -1 and errno. */
static inline int taskfcgi_epoll_forget(int epoll_fd, int fd) {
    struct epoll_event unused;
    return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, &unused);
}

/* Sleeps until one watched descriptor is ready, at most `milliseconds` (-1: no limit): 1 with
   its tag in `tag`, 0 on timeout, -1 and errno on failure. One event at a time, so a thread
   never holds events another thread could be serving. */
static inline int taskfcgi_epoll_next(int epoll_fd, int milliseconds, uint64_t *tag) {
    struct epoll_event event;
    int ready = epoll_wait(epoll_fd, &event, 1, milliseconds);
    if (ready == 1) *tag = event.data.u64;
    return ready;
}

/* An event counter (eventfd), non-blocking and close-on-exec; -1 and errno on failure. */
static inline int taskfcgi_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/* A monotonic timer that fires every `milliseconds` from now (timerfd); -1 and errno. */
static inline int taskfcgi_timerfd(int milliseconds) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return -1;
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_interval.tv_sec = milliseconds / 1000;
    spec.it_interval.tv_nsec = (long)(milliseconds % 1000) * 1000000L;
    spec.it_value = spec.it_interval;
    if (timerfd_settime(fd, 0, &spec, NULL) != 0) return -1;
    return fd;
}
#endif
