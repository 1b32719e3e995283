/*
 * tn_raise.c -- raise a core error as a PostgreSQL ERROR.
 *
 * The only ereport of a core error in the PostgreSQL host.  The text
 * (message, detail, hint) comes from the core unchanged, so SQLite reports
 * the same words.  The SQLSTATE is the code's documented one
 * as the core decides it (tn_error_sqlstate): TN_ERR_ENGINE carries the
 * engine's own SQLSTATE; a failed migration is TN002 on both engines with
 * the body's SQLSTATE in its detail (the README's promise, and what the
 * fan-out rows show), except a cancel or timeout (class 57).
 *
 * Must not be called while the core owns memory (tn_rows, results): the
 * longjmp of ereport would leak it.  err itself is caller-owned.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "tn_raise.h"

static bool
valid_sqlstate(const char *s)
{
	int i;

	for (i = 0; i < 5; i++)
	{
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	}
	return s[5] == '\0';
}

int
tn_error_sqlerrcode(const tn_error *err)
{
	const char *state = tn_error_sqlstate(err); /* the core decides */

	if (state == NULL || !valid_sqlstate(state))
		state = "XX000";
	return MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4]);
}

void
tn_raise(const tn_error *err)
{
	char message[TN_MESSAGE_MAX];
	char detail[TN_DETAIL_MAX];
	char hint[TN_HINT_MAX];
	int	 sqlerrcode;

	/*
	 * A cancel or termination that made the core stop is reported by
	 * PostgreSQL itself (its own message and code) when one is pending.
	 */
	if (err->code == TN_ERR_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();

	/* Copy out: err may live in memory the error cleanup releases. */
	strlcpy(message, err->message[0] ? err->message : tn_strerror(err->code),
			sizeof(message));
	strlcpy(detail, err->detail, sizeof(detail));
	strlcpy(hint, err->hint, sizeof(hint));
	sqlerrcode = tn_error_sqlerrcode(err);

	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg_internal("%s", message),
			 detail[0] ? errdetail_internal("%s", detail) : 0,
			 hint[0] ? errhint("%s", hint) : 0));
	pg_unreachable();
}

void
tn_raise_failure(tn_error *err)
{
	if (err->code == TN_OK)
		err->code = TN_ERR_ENGINE;
	tn_raise(err);
}
