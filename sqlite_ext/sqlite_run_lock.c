/*
 * sqlite_run_lock.c -- one recorded fan-out at a time per SQLite registry.
 *
 * A tenant_*_all() call runs inside the caller's SELECT, which holds the
 * registry's read lock for the whole call.  Two such calls on one registry
 * would each wait for the other's read lock to go before they can write
 * their results (DELETE journal), or write from a stale snapshot (WAL): one
 * of them fails after doing its work.  So the second is refused at once
 * (55P03, the core's text) and the first runs undisturbed.  The lock is an
 * flock() on <registry>.run-lock: the kernel drops it when the process
 * dies, so it never goes stale.  Under it, a run still marked 'running' is
 * one whose caller died: it is closed as 'aborted'.
 *
 * Must not: wait for the lock, or decide what a run's status is (the core).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock() */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

int
tnsq_run_lock(const registry_paths *rp, const char *function, int *fd, tn_error *err)
{
	char path[4400];

	snprintf(path, sizeof(path), "%s.run-lock", rp->file);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
	{
		tn_storage_fault fault = tn_storage_fault_of_errno(errno);
		char			 message[TN_MESSAGE_MAX];

		snprintf(message, sizeof(message), "could not open the registry's run lock: %s", strerror(errno));
		return tn_error_storage(err, fault == TN_FAULT_NONE ? TN_FAULT_IO : fault, message, path);
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
	{
		close(*fd);
		*fd = -1;
		return tn_error_fanout_busy(err, function);
	}
	return TN_OK;
}

void
tnsq_run_unlock(int fd)
{
	if (fd >= 0)
	{
		flock(fd, LOCK_UN);
		close(fd);
	}
}

int
tnsq_close_abandoned_runs(tn_sqlite_conn *conn, tn_error *err)
{
	return tn_exec(&conn->adapter,
				   "UPDATE {T}runs SET status = '" TN_RUN_ABORTED "',"
				   " finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE status = '" TN_RUN_RUNNING "'",
				   0, NULL, err);
}
