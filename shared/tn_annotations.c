/*
 * tn_annotations.c -- in-file annotations of goose and sql-migrate, and
 * refusal of annotations of tools tenancy does not read.
 *
 * tn_annotations_read finds the sections of a goose file ("-- +goose Up",
 * "-- +goose Down", "-- +goose StatementBegin"/"StatementEnd",
 * "-- +goose NO TRANSACTION") or an sql-migrate file ("-- +migrate Up
 * [notransaction]", "-- +migrate Down", "StatementBegin"/"StatementEnd"),
 * as offsets into the body.  A file carrying the in-file markers of a tool
 * whose format tenancy does not read (Liquibase, MyBatis, Play evolutions,
 * tern, shmig, micrate, Atlas, any "-- +tool Up"/"Down") is refused with
 * TN_ERR_FORMAT: running such a file as one body would run its down
 * section as part of the up.
 *
 * Must not: allocate, touch the file system or a database, read past len,
 * or accept a file whose sections it cannot cut exactly.
 */
#include <stdio.h>
#include <string.h>

#include "tn_internal.h"

#define IS_BLANK(c) ((c) == ' ' || (c) == '\t' || (c) == '\r')

/* One line of the body: [start, eol) with eol at '\n' or len. */
typedef struct line_view
{
	size_t		start;
	size_t		eol;
	const char *text;		/* after leading blanks and "--" and blanks */
	size_t		n;			/* length of text, trailing blanks dropped */
	int			is_comment; /* the line is a "--" comment */
} line_view;

static void
view_line(const char *s, size_t len, size_t start, line_view *lv)
{
	size_t p = start;
	size_t e;

	lv->start = start;
	e = start;
	while (e < len && s[e] != '\n')
		e++;
	lv->eol = e;
	while (p < e && IS_BLANK(s[p]))
		p++;
	lv->is_comment = p + 1 < e && s[p] == '-' && s[p + 1] == '-';
	if (lv->is_comment)
		p += 2;
	while (p < e && IS_BLANK(s[p]))
		p++;
	while (e > p && IS_BLANK(s[e - 1]))
		e--;
	lv->text = s + p;
	lv->n = e - p;
}

/* Does text (n bytes) start with the ASCII word w, ignoring case? */
static int
starts_with(const char *text, size_t n, const char *w)
{
	size_t wl = strlen(w);

	return n >= wl && tn_ascii_ieq(text, wl, w);
}

static int
contains(const char *text, size_t n, const char *w)
{
	size_t wl = strlen(w);
	size_t i;

	for (i = 0; i + wl <= n; i++)
		if (tn_ascii_ieq(text + i, wl, w))
			return 1;
	return 0;
}

static int
refuse(tn_error *err, const char *what, int line, const char *detail,
	   const char *hint)
{
	tn_error_set(err, TN_ERR_FORMAT, "invalid %s", what);
	if (line > 0)
		tn_error_detail(err, "Line %d: %s", line, detail);
	else
		tn_error_detail(err, "%s", detail);
	if (hint != NULL)
		tn_error_hint(err, "%s", hint);
	return TN_ERR_FORMAT;
}

/*
 * A marker of a tool tenancy does not read, or NULL.  The text is a line
 * comment's text (after "--"); raw is the whole line (for "#" lines).
 */
static const char *
foreign_tool(const line_view *lv, const char *raw, size_t rawn)
{
	const char *t = lv->text;
	size_t		n = lv->n;

	if (!lv->is_comment)
	{
		/* Play evolutions also write "# --- !Ups" */
		if (rawn > 0 && raw[0] == '#' && (contains(raw, rawn, "!ups") || contains(raw, rawn, "!downs")))
			return "Play evolutions";
		return NULL;
	}
	if (starts_with(t, n, "liquibase formatted") ||
		(starts_with(t, n, "changeset ") && contains(t, n, ":")))
		return "Liquibase formatted SQL";
	if (starts_with(t, n, "//@undo") || starts_with(t, n, "// @undo"))
		return "MyBatis Migrations";
	if (starts_with(t, n, "!ups") || starts_with(t, n, "!downs") ||
		starts_with(t, n, "--- !ups") || starts_with(t, n, "--- !downs") ||
		starts_with(t, n, "- !ups") || starts_with(t, n, "- !downs"))
		return "Play evolutions";
	if (contains(t, n, "create above / drop below"))
		return "tern";
	if (starts_with(t, n, "==== up ====") || starts_with(t, n, "==== down ===="))
		return "shmig";
	if (starts_with(t, n, "atlas:"))
		return "Atlas";
	if (starts_with(t, n, "+micrate"))
		return "micrate";
	/* any other "-- +tool Up" / "-- +tool Down" */
	if (n > 1 && t[0] == '+' && !starts_with(t, n, "+goose") && !starts_with(t, n, "+migrate"))
	{
		size_t p = 1;

		while (p < n && !IS_BLANK(t[p]))
			p++;
		while (p < n && IS_BLANK(t[p]))
			p++;
		if (tn_ascii_ieq(t + p, n - p, "up") || tn_ascii_ieq(t + p, n - p, "down"))
			return "another migration tool";
	}
	return NULL;
}

/* Is [s+a, s+b) only whitespace and comments? */
static int
blank_range(const char *s, size_t a, size_t b)
{
	tn_error e;

	return a >= b || tn_body_validate(s + a, b - a, "section", &e) != TN_OK;
}

int
tn_annotations_read(const char *body, size_t len, const char *what,
					tn_sections *out, tn_error *err)
{
	tn_error	scratch;
	size_t		pos = 0;
	int			line = 0;
	int			in_statement = 0;
	int			statement_line = 0;
	int			current = 0; /* +1 in the up section, -1 in the down one */
	long		first_marker = -1;
	const char *tool_word = NULL;
	char		up_line[64];
	char		hint[160];

	if (err == NULL)
		err = &scratch;
	if (what == NULL)
		what = "migration file";
	if (body == NULL || out == NULL)
		return tn_error_null_argument(err, body == NULL ? "body" : "out");
	memset(out, 0, sizeof(*out));
	out->up_start = out->up_end = out->down_start = out->down_end = -1;
	out->up_marker = out->down_marker = -1;

	while (pos < len)
	{
		line_view	lv;
		const char *t;
		size_t		n;
		const char *foreign;
		int			is_goose;
		int			is_migrate;
		size_t		next;

		line++;
		view_line(body, len, pos, &lv);
		next = lv.eol < len ? lv.eol + 1 : len;
		t = lv.text;
		n = lv.n;
		foreign = foreign_tool(&lv, body + pos, lv.eol - pos);
		if (foreign != NULL)
		{
			char d[256];

			snprintf(d, sizeof(d), "The file carries annotations of %s, whose format tenancy does not read; running it as one body would run every section.", foreign);
			return refuse(err, what, line, d,
						  "Convert the file to one tenancy reads: an up file and a down file (\"1_x.up.sql\", \"1_x.down.sql\"), or goose or dbmate sections.");
		}
		is_goose = lv.is_comment && starts_with(t, n, "+goose") && (n == 6 || IS_BLANK(t[6]));
		is_migrate = lv.is_comment && starts_with(t, n, "+migrate") && (n == 8 || IS_BLANK(t[8]));
		if (is_goose || is_migrate)
		{
			const char *w = is_goose ? "+goose" : "+migrate";
			size_t		p = strlen(w);
			size_t		cmd;
			size_t		cmdn;

			if (tool_word != NULL && strcmp(tool_word, w) != 0)
				return refuse(err, what, line, "The file mixes goose and sql-migrate annotations.", NULL);
			tool_word = w;
			out->tool = is_goose ? TN_TOOL_GOOSE : TN_TOOL_SQL_MIGRATE;
			while (p < n && IS_BLANK(t[p]))
				p++;
			cmd = p;
			while (p < n && !IS_BLANK(t[p]))
				p++;
			cmdn = p - cmd;
			while (p < n && IS_BLANK(t[p]))
				p++;
			/* p .. n: the options after the command */
			if (tn_ascii_ieq(t + cmd, cmdn, "up") || tn_ascii_ieq(t + cmd, cmdn, "down"))
			{
				int dir = tn_ascii_ieq(t + cmd, cmdn, "up") ? 1 : -1;

				if (in_statement)
					return refuse(err, what, statement_line, "The StatementBegin annotation has no StatementEnd before the next section.", NULL);
				if (p < n && !(is_migrate && tn_ascii_ieq(t + p, n - p, "notransaction")))
					return refuse(err, what, line, "The section annotation has options tenancy does not know.",
								  is_migrate ? "sql-migrate knows only \"notransaction\" after Up or Down." : NULL);
				if (p < n)
					out->flags |= TN_MIG_NO_TRANSACTION;
				if ((dir > 0 && out->up_marker >= 0) || (dir < 0 && out->down_marker >= 0))
					return refuse(err, what, line, dir > 0 ? "The file has a second Up section." : "The file has a second Down section.", NULL);
				if (first_marker < 0)
				{
					first_marker = (long) pos;
					if (!blank_range(body, 0, pos))
						return refuse(err, what, line, "The file has statements before its first Up or Down annotation.", NULL);
				}
				/* close the section before this one */
				if (current > 0)
					out->up_end = (long) pos;
				else if (current < 0)
					out->down_end = (long) pos;
				if (dir > 0)
				{
					out->up_marker = (long) pos;
					out->up_start = (long) next;
					out->up_line = line;
				}
				else
				{
					out->down_marker = (long) pos;
					out->down_start = (long) next;
					out->down_line = line;
				}
				current = dir;
			}
			else if (tn_ascii_ieq(t + cmd, cmdn, "statementbegin") && p == n)
			{
				if (current == 0)
					return refuse(err, what, line, "StatementBegin appears outside an Up or Down section.", NULL);
				if (in_statement)
					return refuse(err, what, line, "StatementBegin appears again before StatementEnd.", NULL);
				in_statement = 1;
				statement_line = line;
			}
			else if (tn_ascii_ieq(t + cmd, cmdn, "statementend") && p == n)
			{
				if (!in_statement)
					return refuse(err, what, line, "StatementEnd has no StatementBegin before it.", NULL);
				in_statement = 0;
			}
			else if (is_goose && tn_ascii_ieq(t + cmd, n - cmd, "no transaction"))
				out->flags |= TN_MIG_NO_TRANSACTION;
			else if (is_goose && tn_ascii_ieq(t + cmd, cmdn, "envsub"))
				return refuse(err, what, line, "goose's ENVSUB substitutes environment variables into the body; tenancy runs bodies as written.",
							  "Write the values into the file, or remove the ENVSUB annotations if the body uses no ${VAR}.");
			else
				return refuse(err, what, line, is_goose ? "The goose annotation is not one tenancy reads (Up, Down, StatementBegin, StatementEnd, NO TRANSACTION)." : "The sql-migrate annotation is not one tenancy reads (Up, Down, StatementBegin, StatementEnd, notransaction).", NULL);
		}
		pos = next;
	}
	if (tool_word == NULL)
		return TN_OK; /* no annotations: a plain body */
	if (in_statement)
		return refuse(err, what, statement_line, "The StatementBegin annotation has no StatementEnd.", NULL);
	if (current > 0)
		out->up_end = (long) len;
	else if (current < 0)
		out->down_end = (long) len;
	if (out->up_marker < 0)
	{
		snprintf(up_line, sizeof(up_line), "-- %s Up", tool_word);
		snprintf(hint, sizeof(hint), "Add a \"%s\" line before the statements of the migration.", up_line);
		return refuse(err, what, 0, out->down_marker >= 0 ? "The file has a Down section but no Up section." : "The file has annotations but no Up section.", hint);
	}
	TN_ASSERT(out->up_start <= out->up_end && out->up_end <= (long) len);
	TN_ASSERT(out->down_marker < 0 || (out->down_start <= out->down_end && out->down_end <= (long) len));
	return TN_OK;
}
