/*
 * tn_raise.h -- the one place the PostgreSQL host turns a tn_error into
 * ereport(ERROR).
 *
 * Must not: be called while the core owns memory; callers free every core
 * structure first.
 */
#ifndef TN_RAISE_H
#define TN_RAISE_H

#include "tenancy.h"

extern void tn_raise(const tn_error *err) pg_attribute_noreturn();

/*
 * tn_raise after a failed core or libpq call: an error the callee left
 * without a code is raised as TN_ERR_ENGINE.
 */
extern void tn_raise_failure(tn_error *err) pg_attribute_noreturn();

/* SQLSTATE (as made by MAKE_SQLSTATE) that tn_raise would use for err. */
extern int tn_error_sqlerrcode(const tn_error *err);

#endif /* TN_RAISE_H */
