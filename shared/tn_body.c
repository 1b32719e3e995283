/*
 * tn_body.c -- checks on a migration body and the flags it implies.
 *
 * tn_body_validate refuses bodies the core cannot store or run: NULL,
 * blank (only whitespace, comments and semicolons; tn_body_check_text
 * skips that check for files, whose blank bodies are no-ops), not UTF-8 (or holding a NUL byte,
 * which would cut the text short in both engines), or larger than
 * TN_MAX_BODY_BYTES.  tn_detect_flags finds statements that cannot run in
 * a transaction block, with a small SQL scanner that skips comments,
 * string literals, quoted identifiers and dollar-quoted bodies.
 *
 * Must not: try to parse SQL beyond the first words of each
 * statement, must not allocate, and must not read past len (bodies are not
 * required to be NUL-terminated for tn_body_validate).
 */
#include <string.h>

#include "tn_internal.h"

#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || \
					 (c) == '\f' || (c) == '\v')
#define IS_WORD_START(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
						  (c) == '_' || (unsigned char) (c) >= 0x80)
#define IS_WORD_CHAR(c) (IS_WORD_START(c) || ((c) >= '0' && (c) <= '9') || (c) == '$')

/* Token kinds of the scanner. */
typedef enum
{
	TOK_END,
	TOK_WORD, /* keyword or bare identifier */
	TOK_SEMI, /* ';' ends a statement */
	TOK_OTHER /* literal, quoted identifier, punctuation */
} tok_kind;

typedef struct scanner
{
	const char *s;
	size_t		len;
	size_t		pos;
	int			marker; /* saw "-- tenancy:no-transaction" line */
} scanner;

/* Is the text before pos on this line only whitespace? */
static int
at_line_start(const scanner *sc, size_t pos)
{
	while (pos > 0)
	{
		char c = sc->s[pos - 1];

		if (c == '\n' || c == '\r')
			return 1;
		if (c != ' ' && c != '\t')
			return 0;
		pos--;
	}
	return 1;
}


/* Line comment from start (at "--") to end (exclusive, before newline). */
static void
check_marker(scanner *sc, size_t start, size_t end)
{
	const char *p = sc->s + start + 2;
	size_t		n = end - start - 2;

	if (!at_line_start(sc, start))
		return;
	while (n > 0 && (*p == ' ' || *p == '\t'))
	{
		p++;
		n--;
	}
	while (n > 0 && IS_SPACE(p[n - 1]))
		n--;
	if (tn_ascii_ieq(p, n, "tenancy:no-transaction"))
		sc->marker = 1;
}

/* End of a block comment starting at p (at its opening slash-star); PostgreSQL nests them, SQLite does not need to. */
static size_t
end_of_block_comment(const char *s, size_t len, size_t p)
{
	int depth = 1;

	p += 2;
	while (p < len && depth > 0)
	{
		if (s[p] == '/' && p + 1 < len && s[p + 1] == '*')
		{
			depth++;
			p += 2;
		}
		else if (s[p] == '*' && p + 1 < len && s[p + 1] == '/')
		{
			depth--;
			p += 2;
		}
		else
			p++;
	}
	return p;
}

/* Just past a '...', "..." or `...` starting at p; a doubled quote escapes itself. */
static size_t
end_of_quoted(const char *s, size_t len, size_t p)
{
	char q = s[p];

	p++;
	while (p < len)
	{
		if (s[p] == q)
		{
			if (p + 1 < len && s[p + 1] == q)
				p += 2;
			else
				break;
		}
		else
			p++;
	}
	return p < len ? p + 1 : len;
}

/* Just past an E'...' string starting at p (backslash escapes, doubled quotes). */
static size_t
end_of_escape_string(const char *s, size_t len, size_t p)
{
	p += 2;
	while (p < len)
	{
		if (s[p] == '\\')
			p += 2;
		else if (s[p] == '\'')
		{
			if (p + 1 < len && s[p + 1] == '\'')
				p += 2;
			else
				break;
		}
		else
			p++;
	}
	return p < len ? p + 1 : len;
}

/* Just past a $tag$ ... $tag$ body starting at p (tag may be empty); "$1" is a parameter: one byte. */
static size_t
end_of_dollar(const char *s, size_t len, size_t p)
{
	size_t t = p + 1;

	if (t < len && (IS_WORD_START(s[t]) && s[t] != '$'))
		while (t < len && s[t] != '$' && (IS_WORD_START(s[t]) || (s[t] >= '0' && s[t] <= '9')))
			t++;
	if (t < len && s[t] == '$')
	{
		size_t taglen = t + 1 - p;
		size_t q = t + 1;

		while (q + taglen <= len && memcmp(s + q, s + p, taglen) != 0)
			q++;
		return (q + taglen <= len) ? q + taglen : len;
	}
	return p + 1;
}

/*
 * Next token; *tok and *toklen receive the word for TOK_WORD.  Comments
 * are skipped; literals and quoted identifiers come back as TOK_OTHER.
 * Unterminated constructs run to the end of the body.
 */
static tok_kind
next_token(scanner *sc, const char **tok, size_t *toklen)
{
	const char *s = sc->s;
	size_t		len = sc->len;

	for (;;)
	{
		size_t p = sc->pos;
		char   c;

		while (p < len && IS_SPACE(s[p]))
			p++;
		sc->pos = p;
		if (p >= len)
			return TOK_END;
		c = s[p];

		if (c == '-' && p + 1 < len && s[p + 1] == '-')
		{
			size_t e = p + 2;

			while (e < len && s[e] != '\n' && s[e] != '\r')
				e++;
			check_marker(sc, p, e);
			sc->pos = e;
			continue;
		}
		if (c == '/' && p + 1 < len && s[p + 1] == '*')
		{
			sc->pos = end_of_block_comment(s, len, p);
			continue;
		}
		if (c == ';')
		{
			sc->pos = p + 1;
			return TOK_SEMI;
		}
		if (c == '\'' || c == '"' || c == '`')
			sc->pos = end_of_quoted(s, len, p);
		else if (c == '[')
		{
			/* SQLite/MS-style quoted identifier */
			while (p < len && s[p] != ']')
				p++;
			sc->pos = p < len ? p + 1 : len;
		}
		else if ((c == 'E' || c == 'e') && p + 1 < len && s[p + 1] == '\'')
			sc->pos = end_of_escape_string(s, len, p);
		else if (c == '$')
			sc->pos = end_of_dollar(s, len, p);
		else if (IS_WORD_START(c))
		{
			size_t e = p;

			while (e < len && IS_WORD_CHAR(s[e]))
				e++;
			*tok = s + p;
			*toklen = e - p;
			sc->pos = e;
			return TOK_WORD;
		}
		else
			sc->pos = p + 1;
		TN_ASSERT(sc->pos > p || sc->pos == len);
		return TOK_OTHER;
	}
}

int
tn_body_check_text(const char *body, size_t len, const char *what,
				   tn_error *err)
{
	tn_error			 scratch;
	const unsigned char *s = (const unsigned char *) body;
	const char			*nul;
	long				 bad;

	if (err == NULL)
		err = &scratch;
	if (what == NULL)
		what = "migration body";
	if (body == NULL)
		return tn_error_null_argument(err, what);
	if (len > TN_MAX_BODY_BYTES)
	{
		tn_error_set(err, TN_ERR_TOO_LARGE, "%s is too large", what);
		tn_error_detail(err, "The body is %zu bytes; the limit is %d bytes.",
						len, TN_MAX_BODY_BYTES);
		tn_error_hint(err, "Split the migration into several smaller ones.");
		return TN_ERR_TOO_LARGE;
	}
	nul = memchr(body, '\0', len);
	if (nul != NULL)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "%s contains a NUL byte", what);
		tn_error_detail(err, "The NUL byte is at byte offset %zu.", (size_t) (nul - body));
		return TN_ERR_INVALID_ARGUMENT;
	}
	bad = tn_utf8_error_offset(body, len);
	if (bad >= 0)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "%s is not valid UTF-8", what);
		tn_error_detail(err, "Invalid byte sequence at byte offset %ld (byte 0x%02x).",
						bad, (unsigned) s[bad]);
		tn_error_hint(err, "Save the file as UTF-8.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	return TN_OK;
}

int
tn_body_is_blank(const char *body, size_t len)
{
	scanner		sc;
	const char *tok;
	size_t		toklen;

	memset(&sc, 0, sizeof(sc));
	sc.s = body;
	sc.len = len;
	/* a leading BOM is not content */
	if (len >= 3 && (unsigned char) body[0] == 0xEF && (unsigned char) body[1] == 0xBB &&
		(unsigned char) body[2] == 0xBF)
		sc.pos = 3;
	for (;;)
	{
		tok_kind k = next_token(&sc, &tok, &toklen);

		if (k == TOK_END)
			return 1;
		if (k != TOK_SEMI)
			return 0;
	}
}

int
tn_body_validate(const char *body, size_t len, const char *what,
				 tn_error *err)
{
	tn_error scratch;
	int		 rc;

	if (err == NULL)
		err = &scratch;
	if (what == NULL)
		what = "migration body";
	if ((rc = tn_body_check_text(body, len, what, err)) != TN_OK)
		return rc;
	/* Blank: no token at all once comments, whitespace and semicolons are skipped. */
	if (tn_body_is_blank(body, len))
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "%s is empty", what);
		tn_error_detail(err, "The body holds no statement: only whitespace, comments and semicolons.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	return TN_OK;
}

/*
 * Does a statement whose first words are w[0..n-1] refuse to run in a
 * transaction block?  The window is long enough for REINDEX's option list.
 */
#define WINDOW 8

static int
statement_needs_no_transaction(const char *const *w, const size_t *wl, int n)
{
	int i;

	if (n == 0)
		return 0;
	if (tn_ascii_ieq(w[0], wl[0], "vacuum"))
		return 1;
	if (n >= 2 && tn_ascii_ieq(w[0], wl[0], "alter") && tn_ascii_ieq(w[1], wl[1], "system"))
		return 1;
	if (n >= 2 && (tn_ascii_ieq(w[0], wl[0], "create") || tn_ascii_ieq(w[0], wl[0], "drop")) &&
		(tn_ascii_ieq(w[1], wl[1], "database") || tn_ascii_ieq(w[1], wl[1], "tablespace")))
		return 1;
	if (n >= 3 && tn_ascii_ieq(w[0], wl[0], "create"))
	{
		/* CREATE [UNIQUE] INDEX CONCURRENTLY */
		i = 1;
		if (tn_ascii_ieq(w[i], wl[i], "unique"))
			i++;
		if (i + 1 < n && tn_ascii_ieq(w[i], wl[i], "index") &&
			tn_ascii_ieq(w[i + 1], wl[i + 1], "concurrently"))
			return 1;
	}
	if (n >= 3 && tn_ascii_ieq(w[0], wl[0], "drop") && tn_ascii_ieq(w[1], wl[1], "index") &&
		tn_ascii_ieq(w[2], wl[2], "concurrently"))
		return 1;
	if (tn_ascii_ieq(w[0], wl[0], "reindex"))
	{
		/* REINDEX [(opts)] {INDEX|TABLE|SCHEMA} CONCURRENTLY, DATABASE, SYSTEM */
		for (i = 1; i < n; i++)
		{
			if (tn_ascii_ieq(w[i], wl[i], "concurrently"))
				return 1;
			if (tn_ascii_ieq(w[i], wl[i], "database") || tn_ascii_ieq(w[i], wl[i], "system"))
				return 1;
			if (tn_ascii_ieq(w[i], wl[i], "index") || tn_ascii_ieq(w[i], wl[i], "table") ||
				tn_ascii_ieq(w[i], wl[i], "schema"))
			{
				return i + 1 < n && tn_ascii_ieq(w[i + 1], wl[i + 1], "concurrently");
			}
		}
	}
	return 0;
}

unsigned
tn_detect_flags(const char *body)
{
	scanner		sc;
	const char *w[WINDOW];
	size_t		wl[WINDOW];
	int			n = 0;
	int			found = 0;
	int			in_parens = 0;

	if (body == NULL)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.s = body;
	sc.len = strlen(body);

	for (;;)
	{
		const char *tok = NULL;
		size_t		toklen = 0;
		tok_kind	k = next_token(&sc, &tok, &toklen);

		if (k == TOK_WORD)
		{
			/* words inside REINDEX ( VERBOSE ) options are skipped */
			if (n < WINDOW && !in_parens)
			{
				w[n] = tok;
				wl[n] = toklen;
				n++;
			}
			continue;
		}
		if (k == TOK_OTHER)
		{
			char c = sc.s[sc.pos - 1];

			if (c == '(' && n == 1)
				in_parens = 1;
			else if (c == ')' && in_parens)
				in_parens = 0;
			else if (!in_parens && n < WINDOW)
			{
				/* a literal or symbol occupies a slot so patterns stay anchored */
				w[n] = "";
				wl[n] = 0;
				n++;
			}
			continue;
		}
		/* TOK_SEMI or TOK_END: the statement is complete */
		if (!found && statement_needs_no_transaction(w, wl, n))
			found = 1;
		n = 0;
		in_parens = 0;
		if (k == TOK_END)
			break;
	}
	return (found || sc.marker) ? TN_MIG_NO_TRANSACTION : 0;
}

/*
 * Is the statement whose first words are w[0..n-1] one that controls the
 * transaction (BEGIN, START TRANSACTION, COMMIT, ROLLBACK, END TRANSACTION)?
 * A bare "END" is not: it closes SQLite trigger bodies and BEGIN ATOMIC.
 */
static int
statement_controls_transaction(const char *const *w, const size_t *wl, int n)
{
	if (n == 0)
		return 0;
	if (tn_ascii_ieq(w[0], wl[0], "begin"))
		return n == 1 || tn_ascii_ieq(w[1], wl[1], "transaction") || tn_ascii_ieq(w[1], wl[1], "work") ||
			   tn_ascii_ieq(w[1], wl[1], "deferred") || tn_ascii_ieq(w[1], wl[1], "immediate") ||
			   tn_ascii_ieq(w[1], wl[1], "exclusive") || tn_ascii_ieq(w[1], wl[1], "isolation") ||
			   tn_ascii_ieq(w[1], wl[1], "read");
	if (tn_ascii_ieq(w[0], wl[0], "start"))
		return n >= 2 && tn_ascii_ieq(w[1], wl[1], "transaction");
	if (tn_ascii_ieq(w[0], wl[0], "commit"))
		return 1;
	if (tn_ascii_ieq(w[0], wl[0], "rollback"))
		return !(n >= 2 && tn_ascii_ieq(w[1], wl[1], "to")) &&
			   !(n >= 3 && tn_ascii_ieq(w[2], wl[2], "to"));
	if (tn_ascii_ieq(w[0], wl[0], "end"))
		return n >= 2 && (tn_ascii_ieq(w[1], wl[1], "transaction") || tn_ascii_ieq(w[1], wl[1], "work"));
	return 0;
}

/*
 * The next statement of body at or after *pos that controls the
 * transaction: its kind (1 BEGIN or START TRANSACTION, 2 COMMIT or END
 * TRANSACTION, 3 ROLLBACK) and [*start, *end) (end just past its ';', or
 * the end of the body).  0 when there is none.
 */
static int
next_transaction_control(const char *body, size_t len, size_t *pos, size_t *start,
						 size_t *end)
{
	scanner		sc;
	const char *w[WINDOW];
	size_t		wl[WINDOW];
	int			n = 0;
	size_t		first = 0;

	memset(&sc, 0, sizeof(sc));
	sc.s = body;
	sc.len = len;
	sc.pos = *pos;
	for (;;)
	{
		const char *tok = NULL;
		size_t		toklen = 0;
		tok_kind	k = next_token(&sc, &tok, &toklen);

		if (k == TOK_WORD || k == TOK_OTHER)
		{
			if (n == 0)
				first = k == TOK_WORD ? (size_t) (tok - body) : sc.pos - 1;
			if (n < WINDOW)
			{
				w[n] = k == TOK_WORD ? tok : "";
				wl[n] = k == TOK_WORD ? toklen : 0;
				n++;
			}
			continue;
		}
		if (statement_controls_transaction(w, wl, n))
		{
			*start = first;
			*end = sc.pos;
			*pos = sc.pos;
			if (tn_ascii_ieq(w[0], wl[0], "begin") || tn_ascii_ieq(w[0], wl[0], "start"))
				return 1;
			return tn_ascii_ieq(w[0], wl[0], "rollback") ? 3 : 2;
		}
		n = 0;
		if (k == TOK_END)
			return 0;
	}
}

/*
 * Blank out (newlines kept) every BEGIN ... <closing> pair of the body when
 * its transaction control is only such pairs, each closed: 1; 0 when there is
 * none; -1 (body unchanged) for anything else.  closing is 2 (COMMIT) or 3
 * (ROLLBACK), the kinds next_transaction_control returns.
 */
static int
strip_transaction_pairs(char *body, int closing)
{
	size_t len;
	size_t pos = 0;
	size_t start;
	size_t end;
	int	   open = 0;
	int	   kind;
	int	   found = 0;

	if (body == NULL)
		return 0;
	len = strlen(body);
	/* first pass: only BEGIN ... closing pairs, none left open */
	while ((kind = next_transaction_control(body, len, &pos, &start, &end)) != 0)
	{
		if ((kind != 1 && kind != closing) || (kind == 1) == open)
			return -1;
		open = kind == 1;
		found = 1;
	}
	if (open)
		return -1;
	if (!found)
		return 0;
	pos = 0;
	while (next_transaction_control(body, len, &pos, &start, &end) != 0)
		for (size_t i = start; i < end; i++)
			if (body[i] != '\n' && body[i] != '\r')
				body[i] = ' ';
	return 1;
}

int
tn_body_strip_transaction(char *body)
{
	return strip_transaction_pairs(body, 2);
}

long
tn_body_transaction_control(const char *body)
{
	scanner		sc;
	const char *w[WINDOW];
	size_t		wl[WINDOW];
	int			n = 0;
	long		start = -1;

	if (body == NULL)
		return -1;
	memset(&sc, 0, sizeof(sc));
	sc.s = body;
	sc.len = strlen(body);
	for (;;)
	{
		const char *tok = NULL;
		size_t		toklen = 0;
		tok_kind	k = next_token(&sc, &tok, &toklen);

		if (k == TOK_WORD || k == TOK_OTHER)
		{
			if (n == 0)
				start = k == TOK_WORD ? (long) (tok - body) : (long) sc.pos - 1;
			if (n < WINDOW)
			{
				w[n] = k == TOK_WORD ? tok : "";
				wl[n] = k == TOK_WORD ? toklen : 0;
				n++;
			}
			continue;
		}
		if (statement_controls_transaction(w, wl, n))
			return start;
		n = 0;
		if (k == TOK_END)
			return -1;
	}
}


/*
 * tn_body_statements: the statement splitter of tn_detect_flags, for other
 * core rules.  For each statement of body (comments, literals, quoted
 * identifiers and dollar quotes skipped) calls fn with its first words (up to
 * max_words; a literal or symbol is an empty word) and the offset where it
 * starts.  A non-zero return from fn stops the walk and is returned.
 */
int
tn_body_statements(const char *body, tn_statement_fn fn, void *arg)
{
	scanner		sc;
	const char *w[WINDOW];
	size_t		wl[WINDOW];
	int			n = 0;
	long		start = -1;

	if (body == NULL)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.s = body;
	sc.len = strlen(body);
	for (;;)
	{
		const char *tok = NULL;
		size_t		toklen = 0;
		tok_kind	k = next_token(&sc, &tok, &toklen);
		int			rc;

		if (k == TOK_WORD || k == TOK_OTHER)
		{
			if (start < 0)
				start = (long) (sc.pos - (k == TOK_WORD ? toklen : 1));
			if (n < WINDOW)
			{
				w[n] = k == TOK_WORD ? tok : "";
				wl[n] = k == TOK_WORD ? toklen : 0;
				n++;
			}
			continue;
		}
		if (n > 0 && (rc = fn(arg, w, wl, n, start)) != 0)
			return rc;
		n = 0;
		start = -1;
		if (k == TOK_END)
			break;
	}
	return 0;
}

/*
 * Sqitch's verify template wraps its checks in BEGIN; ... ROLLBACK;.  When
 * the body's transaction control is only such pairs, each closed, the
 * statements are overwritten with spaces (newlines kept) and 1 is
 * returned; 0 when there is none; -1 (body unchanged) for anything else.
 */
int
tn_body_strip_verify_transaction(char *body)
{
	return strip_transaction_pairs(body, 3);
}
