/*
 * tn_location.c -- tenancy.location_ok(text), the CHECK on
 * tenancy.tenants.location.
 *
 * 1.2's CHECK looked for the word "password", which a URI's user:secret@
 * never contains (issue 7, finding 2).  This parses the string the way
 * libpq will and refuses a password in any form.
 *
 * Must not: echo the string or libpq's message about it (both may carry
 * the password).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "libpq-fe.h"

PG_FUNCTION_INFO_V1(tenancy_location_ok);

/* true: parses as a libpq connection string or URI and has no password */
Datum
tenancy_location_ok(PG_FUNCTION_ARGS)
{
	char			 *location = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char			 *parse_err = NULL;
	PQconninfoOption *opts = PQconninfoParse(location, &parse_err);
	bool			  ok = true;

	if (opts == NULL)
	{
		if (parse_err)
			PQfreemem(parse_err);
		PG_RETURN_BOOL(false);
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
			ok = false;
	PQconninfoFree(opts);
	PG_RETURN_BOOL(ok);
}
