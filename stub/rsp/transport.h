/* Ways clients reach the server: one ops table per kind of connection
 * (TCP, Unix socket, stdin/stdout). */
#ifndef LKSTUB_TRANSPORT_H
#define LKSTUB_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TRANSPORT_ADDR_LEN 128

struct listener {
	const struct transport_ops *ops;
	int fd;                          /* listening socket, -1 for stdio */
	char address[TRANSPORT_ADDR_LEN]; /* as server_address() shows it */
	char path[108];                  /* Unix socket file to remove */
	bool taken;                      /* stdio: its one client exists */
};

/* One accepted client's descriptors (the same fd twice for sockets). */
struct transport_conn {
	int in_fd, out_fd;
	char peer[TRANSPORT_ADDR_LEN];
};

struct transport_ops {
	const char *kind;
	/* spec is the listen string (prefix included); fills l. */
	int (*open)(struct listener *l, const char *spec, char *err);
	/* One pending client: 0, or -1 when none is ready (or on error). */
	int (*accept)(struct listener *l, struct transport_conn *c);
	ssize_t (*recv)(int fd, void *buf, size_t len);
	ssize_t (*send)(int fd, const void *buf, size_t len);
	void (*close_conn)(struct transport_conn *c);
	void (*close)(struct listener *l);
};

extern const struct transport_ops transport_tcp, transport_unix,
	transport_stdio;

/* Shared by the socket kinds (transport_socket.c). */
ssize_t transport_socket_recv(int fd, void *buf, size_t len);
ssize_t transport_socket_send(int fd, const void *buf, size_t len);
void transport_socket_close_conn(struct transport_conn *c);
void transport_socket_close(struct listener *l);
/* accept4 non-blocking; -1 when nothing is pending. */
int transport_socket_accept(struct listener *l, struct transport_conn *c);
/* Socket tuning for a connection: big send buffer, fewer syscalls. */
void transport_socket_tune(int fd);

#endif
