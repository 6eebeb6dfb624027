/* The RSP server: accepts clients on one listen address and serves each
 * its own session from a single-threaded poll loop. */
#ifndef LKSTUB_SERVER_H
#define LKSTUB_SERVER_H

#include "stub/rsp/target.h"

/* Clients served at once; more are refused. */
#define SERVER_MAX_CLIENTS 64
/* Replies queued for a client that does not read them; past this the
 * client is dropped so it cannot hold memory or stall the others. */
#define SERVER_OUT_MAX (4u << 20)

struct server;

/* listen: "HOST:PORT", "[V6ADDR]:PORT", ":PORT" (127.0.0.1), "unix:PATH"
 * or "-" (stdin/stdout). Binds and listens; NULL + err on failure. */
struct server *server_open(const char *listen, struct target *t, char *err);
/* "127.0.0.1:1234", "[::1]:1234", "unix:/path" or "stdio". */
const char *server_address(const struct server *s);
/* Serves until SIGINT/SIGTERM, or until stdin ends for "-"; returns 0. */
int server_run(struct server *s);
void server_close(struct server *s);

#endif
