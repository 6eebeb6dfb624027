/* QMP's transport: a unix stream socket behind struct qmp_io. */
#ifndef LKSTUB_QMP_SOCKET_H
#define LKSTUB_QMP_SOCKET_H

#include "translate/qmp_client.h"

/* Connect to the unix socket at path (close-on-exec) and fill io: sends
 * never raise SIGPIPE, receives wait with poll for their timeout, a
 * signal does not cut either short. io->close closes the socket. */
int qmp_socket_open(const char *path, struct qmp_io *io, char *err);

#endif
