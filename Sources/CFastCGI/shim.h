#ifndef TASKFCGI_CFASTCGI_SHIM_H
#define TASKFCGI_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>

/* The accept loop's system calls that Swift's Glibc module leaves out (sys/epoll.h, and the
   GNU accept4), wrapped so Swift never sees the packed epoll_event. <sys/socket.h> is not
   included: this module would then own its definitions and hide them from `import Glibc`. */
struct sockaddr;
extern int accept4(int fd, struct sockaddr *address, unsigned int *length, int flags);
/* SOCK_CLOEXEC is O_CLOEXEC, 02000000, on every Linux architecture Swift targets. */
#define TASKFCGI_SOCK_CLOEXEC 02000000

/* A connection from listening socket `fd`, close-on-exec from the start; -1 and errno on failure. */
static inline int taskfcgi_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, TASKFCGI_SOCK_CLOEXEC);
}

/* A new epoll instance (close-on-exec); -1 and errno on failure. */
static inline int taskfcgi_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/* Watches `fd` for readability, level-triggered; `exclusive`: this instance is one of several
   waiting on `fd`, and the kernel wakes one of them per event, not all. 0 or -1 and errno. */
static inline int taskfcgi_epoll_watch(int epoll_fd, int fd, int exclusive) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0);
    event.data.fd = fd;
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

/* Sleeps until one of the watched descriptors is readable: how many are, or -1 and errno. */
static inline int taskfcgi_epoll_wait(int epoll_fd) {
    struct epoll_event events[2];
    return epoll_wait(epoll_fd, events, 2, -1);
}
#endif
