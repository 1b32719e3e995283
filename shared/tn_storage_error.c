/*
 * tn_storage_error.c -- storage faults as error classes: a full disk,
 * read-only storage, an I/O error and a folder where a database file
 * belongs each get their own code, SQLSTATE and a hint naming the real
 * cause, the same on both engines.  Also which engine SQLSTATEs are a
 * cause outside the migration (its body is not at fault) and their hints.
 *
 * Must not: know an engine's own codes (hosts translate SQLite's result
 * codes or errno into tn_storage_fault), allocate, or print.
 */
#include <errno.h>
#include <string.h>

#include "tenancy.h"

tn_storage_fault
tn_storage_fault_of_errno(int sys_errno)
{
	switch (sys_errno)
	{
		case ENOSPC:
#ifdef EDQUOT
		case EDQUOT:
#endif
			return TN_FAULT_DISK_FULL;
		case EROFS:
			return TN_FAULT_READ_ONLY;
		case EISDIR:
			return TN_FAULT_IS_DIRECTORY;
		case EIO:
			return TN_FAULT_IO;
		default:
			return TN_FAULT_NONE;
	}
}

#define HINT_DISK_FULL \
	"The disk that holds the database is full: free space on it (or give it more), then run again. Work that failed was rolled back."
#define HINT_READ_ONLY \
	"The database cannot be written (file or folder permissions, a read-only mount, or a read-only server or transaction): make it writable, then run again."
#define HINT_IO \
	"The operating system reported an I/O error on the database's storage: check the disk and the system log before running again."
#define HINT_IS_DIRECTORY \
	"A database file was expected where there is a folder: point the location at a database file."
#define HINT_LOCK_SLOTS \
	"PostgreSQL ran out of lock slots (one per object a transaction touches): raise max_locks_per_transaction (it needs a server restart), or apply the batch in smaller chunks with the batch_size argument."

int
tn_error_storage(tn_error *err, tn_storage_fault fault, const char *message, const char *file)
{
	tn_code		code;
	const char *hint;

	TN_ASSERT(fault != TN_FAULT_NONE);
	switch (fault)
	{
		case TN_FAULT_DISK_FULL:
			code = TN_ERR_DISK_FULL;
			hint = HINT_DISK_FULL;
			break;
		case TN_FAULT_READ_ONLY:
			code = TN_ERR_READ_ONLY;
			hint = HINT_READ_ONLY;
			break;
		case TN_FAULT_IS_DIRECTORY:
			code = TN_ERR_WRONG_OBJECT;
			hint = HINT_IS_DIRECTORY;
			break;
		default:
			code = TN_ERR_IO;
			hint = HINT_IO;
			break;
	}
	tn_error_set(err, code, "%s", message);
	if (err == NULL)
		return code;
	memcpy(err->sqlstate, tn_code_sqlstate(code), sizeof(err->sqlstate));
	if (file != NULL && file[0] != '\0')
		tn_error_detail(err, "The file is \"%s\".", file);
	tn_error_hint(err, "%s", hint);
	return code;
}

int
tn_sqlstate_is_environment(const char *sqlstate)
{
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return 0;
	return strncmp(sqlstate, "53", 2) == 0 || strncmp(sqlstate, "57", 2) == 0 ||
		   strncmp(sqlstate, "58", 2) == 0 || strcmp(sqlstate, "25006") == 0;
}

void
tn_error_engine_cause(tn_error *err)
{
	const char *hint;

	if (err != NULL && (hint = tn_environment_hint(err)) != NULL)
		tn_error_hint(err, "%s", hint);
}

const char *
tn_environment_hint(const tn_error *engine)
{
	const char *s = engine->sqlstate[0] ? engine->sqlstate : tn_code_sqlstate(engine->code);

	if (strcmp(s, "53100") == 0)
		return HINT_DISK_FULL;
	if (strcmp(s, "25006") == 0)
		return HINT_READ_ONLY;
	if (strcmp(s, "58030") == 0)
		return HINT_IO;
	/* 53200 is also a plain "out of memory": only the lock table names max_locks_per_transaction */
	if (strcmp(s, "53200") == 0 &&
		(strstr(engine->message, "shared memory") != NULL || strstr(engine->hint, "max_locks_per_transaction") != NULL))
		return HINT_LOCK_SLOTS;
	return NULL;
}
