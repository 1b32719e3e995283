/*
 * tn_parts.c -- pairing the parts read from a migration folder into a
 * sorted tn_migration_set: order, up/down pairs, duplicate versions, bodies
 * that carry their own transaction control, checksums and flags; and the
 * part list the readers fill (tn_parts_add, tn_parts_free).
 *
 * Must not: read files or touch a database (tn_folder.c and
 * tn_file_parts.c read; the set is all this file sees).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_parts.h"

int
tn_parts_no_memory(tn_error *err)
{
	return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
}

void
tn_parts_free(part_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
	{
		free(l->items[i].path);
		free(l->items[i].version);
		free(l->items[i].name);
		free(l->items[i].body);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Takes ownership of every string in *fp, also on failure. */
int
tn_parts_add(part_list *l, file_part *fp, tn_error *err)
{
	if (l->count == l->cap)
	{
		size_t	   ncap = l->cap ? l->cap * 2 : 16;
		file_part *n = realloc(l->items, ncap * sizeof(*n));

		if (n == NULL)
		{
			free(fp->path);
			free(fp->version);
			free(fp->name);
			free(fp->body);
			return tn_parts_no_memory(err);
		}
		l->items = n;
		l->cap = ncap;
	}
	l->items[l->count++] = *fp;
	return TN_OK;
}

static int
cmp_parts(const void *a, const void *b)
{
	const file_part *x = a;
	const file_part *y = b;
	int				 c = tn_version_compare(x->version, y->version);

	if (c != 0)
		return c;
	if (x->direction != y->direction)
		return x->direction > y->direction ? -1 : 1; /* up first */
	return strcmp(x->path, y->path);
}

static int
duplicate(tn_error *err, const file_part *a, const file_part *b)
{
	char sa[TN_SHOWN_BUF];
	char sb[TN_SHOWN_BUF];

	const char *ba = strrchr(a->path, '/');
	const char *bb = strrchr(b->path, '/');
	char		na[TN_SHOWN_BUF];
	char		nb[TN_SHOWN_BUF];

	/* file names in the message (it is short), full paths in the detail */
	tn_shown(ba ? ba + 1 : a->path, na, sizeof(na));
	tn_shown(bb ? bb + 1 : b->path, nb, sizeof(nb));
	tn_shown(a->path, sa, sizeof(sa));
	tn_shown(b->path, sb, sizeof(sb));
	tn_error_set(err, TN_ERR_DUPLICATE,
				 "duplicate %s migration version \"%s\" in \"%s\" and \"%s\"",
				 a->direction < 0 ? "down" : "up", b->version, na, nb);
	if (strcmp(a->version, b->version) == 0)
		tn_error_detail(err, "Files \"%s\" and \"%s\" both give version %s.",
						sa, sb, a->version);
	else
		tn_error_detail(err, "Files \"%s\" and \"%s\" give versions \"%s\" and \"%s\", which are equal: versions compare numerically by component.",
						sa, sb, a->version, b->version);
	if (strcmp(a->name, b->name) != 0)
		tn_error_hint(err, "Give each migration its own version.  tenancy orders migrations by version, never by "
						   "file name: if the folder was written for a tool that runs files sharing a number in name order "
						   "(maragudk/migrate), rename them in that order, for example \"%s_1-%s\" and \"%s_2-%s\".",
					  a->version, a->name, b->version, b->name);
	else
		tn_error_hint(err, "Give each migration its own version.");
	return TN_ERR_DUPLICATE;
}

/*
 * A body that still runs BEGIN/COMMIT itself once its BEGIN ... COMMIT
 * pairs are taken out (a ROLLBACK, an unclosed BEGIN, a COMMIT first)
 * would end tenancy's batch transaction half way: refused, unless the
 * migration runs outside a transaction anyway.
 */
static int
own_transaction(const char *path, const char *body, long lines_before, tn_error *err)
{
	long at = tn_body_transaction_control(body);
	char s[TN_SHOWN_BUF];

	if (at < 0)
		return TN_OK;
	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "migration file \"%s\" controls its own transaction", s);
	tn_error_detail(err, "Line %d runs BEGIN, COMMIT or ROLLBACK outside a BEGIN ... COMMIT pair; tenancy runs each batch in one transaction, which it would end half way.",
					tn_line_of_offset(body, at) + (int) lines_before);
	tn_error_hint(err, "Remove the file's own transaction control: tenancy wraps every migration in a transaction (BEGIN ... COMMIT pairs are taken out by themselves).  "
					   "A migration that must manage its own transaction carries the line \"-- tenancy:no-transaction\".");
	return TN_ERR_FORMAT;
}

/* Pair ups with downs and build the set (parts are sorted). */
static int
build_set(part_list *parts, tn_migration_set *set, tn_error *err)
{
	size_t i = 0;

	if (parts->count > 0)
	{
		set->items = calloc(parts->count, sizeof(tn_migration));
		if (set->items == NULL)
			return tn_parts_no_memory(err);
		set->cap = parts->count;
	}
	while (i < parts->count)
	{
		size_t		  j = i + 1;
		file_part	 *up = NULL;
		file_part	 *down = NULL;
		size_t		  k;
		tn_migration *m;
		int			  rc;

		while (j < parts->count &&
			   tn_version_compare(parts->items[i].version, parts->items[j].version) == 0)
			j++;
		for (k = i; k < j; k++)
		{
			file_part *fp = &parts->items[k];

			file_part **slot = fp->direction > 0 ? &up : &down;

			/* pop's rule: this engine's file wins over the generic one of its version */
			if (*slot && ((*slot)->dialect == TN_DIALECT_ALL) == (fp->dialect == TN_DIALECT_ALL))
				return duplicate(err, *slot, fp);
			if (*slot == NULL || (*slot)->dialect == TN_DIALECT_ALL)
				*slot = fp;
		}
		if (up == NULL && down->tagged)
		{
			i = j; /* pop: this engine's down of a version that has no up here runs nothing */
			continue;
		}
		if (up == NULL)
		{
			char s[TN_SHOWN_BUF];

			tn_shown(down->path, s, sizeof(s));
			tn_error_set(err, TN_ERR_FORMAT,
						 "down migration \"%s\" has no up migration", s);
			tn_error_detail(err, "Version %s has a down file but no up file.", down->version);
			tn_error_hint(err, "Add the up migration or remove the down file.");
			return TN_ERR_FORMAT;
		}

		/* move the strings into the migration */
		m = &set->items[set->count++];
		m->version = up->version;
		up->version = NULL;
		m->name = up->name;
		up->name = NULL;
		m->up_sql = up->body;
		up->body = NULL;
		m->source = up->path;
		up->path = NULL;
		if (down)
		{
			m->down_sql = down->body;
			down->body = NULL;
		}
		m->dialect = up->dialect;
		m->flags = tn_flags_with_lines(tn_detect_flags(m->up_sql) | up->extra_flags, up->lines_before,
									   down ? down->lines_before : 0);
		if (!(m->flags & TN_MIG_NO_TRANSACTION))
		{
			(void) tn_body_strip_transaction(m->up_sql);
			if (m->down_sql)
				(void) tn_body_strip_transaction(m->down_sql);
		}
		if (!(m->flags & TN_MIG_NO_TRANSACTION) &&
			((rc = own_transaction(m->source, m->up_sql, up->lines_before, err)) != TN_OK ||
			 (m->down_sql && (rc = own_transaction(down->path ? down->path : m->source, m->down_sql,
												   down->lines_before, err)) != TN_OK)))
			return rc;
		rc = tn_checksum(m->up_sql, strlen(m->up_sql), m->checksum, err);
		if (rc != TN_OK)
			return rc;
		i = j;
	}
	return TN_OK;
}

/* Sort the parts, pair ups with downs, and hand the set to *out (left empty on failure). */
int
tn_parts_finish_set(part_list *parts, tn_migration_set *out, tn_error *err)
{
	tn_migration_set set;
	int				 rc;

	memset(&set, 0, sizeof(set));
	if (parts->count > 1)
		qsort(parts->items, parts->count, sizeof(file_part), cmp_parts);
	rc = build_set(parts, &set, err);
	if (rc == TN_OK)
	{
		*out = set;
		memset(&set, 0, sizeof(set));
	}
	tn_migration_set_free(&set);
	return rc;
}
