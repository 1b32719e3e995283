/*
 * tn_sqitch_conf.c -- where a Sqitch project keeps its plan and scripts,
 * read from its sqitch.conf (Git's config format, as Sqitch writes it).
 *
 * Read: core.top_dir, core.plan_file, core.deploy_dir, core.revert_dir,
 * core.verify_dir, core.extension, each also under [engine "<core.engine>"]
 * (which wins, as in Sqitch).  Defaults as Sqitch's: top_dir ".", the plan
 * <top_dir>/sqitch.plan, the scripts in <top_dir>/deploy, revert, verify,
 * extension "sql".  Paths are relative to the project folder; an absolute
 * path or a ".." component is refused (tenancy reads inside the folder
 * only).  Other sections ([target "x"], [user], [engine "other"]) and other
 * keys are passed over.
 *
 * Must not: read files, touch a database, or allocate (the result is a
 * caller-owned struct of fixed buffers).
 */
#include <stdio.h>
#include <string.h>

#include "tn_parts.h"

/* The keys read, in the order of the fields of a layer. */
static const char *const conf_keys[] = { "top_dir", "plan_file", "deploy_dir", "revert_dir",
										 "verify_dir", "extension", "engine" };
#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* The values of one section ([core] or one [engine "x"]); "" = not set. */
typedef struct conf_layer
{
	char value[NKEYS][TN_SQITCH_PATH_MAX];
} conf_layer;

static int
bad_conf(tn_error *err, const char *conf_path, int line, const char *what)
{
	char s[TN_SHOWN_BUF];

	tn_shown(conf_path, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "invalid Sqitch configuration \"%s\"", s);
	tn_error_detail(err, "Line %d: %s", line, what);
	return TN_ERR_FORMAT;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* s[0..n) equals word, ignoring ASCII case (Git's section and key names) */
static int
same_word(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n && word[i] && lower((unsigned char) s[i]) == word[i]; i++)
		;
	return i == n && word[i] == '\0';
}

/*
 * A value: blanks around it dropped, a comment ("#" or ";" outside quotes)
 * cut, double quotes taken off.  Too long is an error.
 */
static int
read_value(const char *s, size_t n, char *out, size_t outsize)
{
	size_t o = 0;
	int	   quoted = 0;
	size_t end;

	while (n > 0 && blank(s[0]))
		s++, n--;
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '"')
		{
			quoted = !quoted;
			continue;
		}
		if (!quoted && (s[i] == '#' || s[i] == ';'))
			break;
		if (s[i] == '\\' && i + 1 < n)
			i++;
		if (o + 1 >= outsize)
			return -1;
		out[o++] = s[i];
	}
	end = o;
	while (end > 0 && blank(out[end - 1]))
		end--;
	out[end] = '\0';
	return 0;
}

/* A path that must stay inside the project: relative, no "..", no empty value. */
static int
path_ok(const char *p)
{
	const char *c = p;

	if (p[0] == '\0' || p[0] == '/' || p[0] == '\\' || strchr(p, ':') != NULL)
		return 0;
	while (*c)
	{
		size_t n = strcspn(c, "/");

		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += n;
		while (*c == '/')
			c++;
	}
	return 1;
}

/* "a/./b/" -> "a/b", "." -> "" (the project folder itself). */
static void
tidy_path(char *p)
{
	char   out[TN_SQITCH_PATH_MAX];
	size_t o = 0;
	char  *c = p;

	while (*c)
	{
		size_t n = strcspn(c, "/");

		if (!(n == 1 && c[0] == '.') && n > 0)
		{
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, c, n);
			o += n;
		}
		c += n;
		while (*c == '/')
			c++;
	}
	out[o] = '\0';
	memcpy(p, out, o + 1);
}

/* dir "/" name into out ("" dir: name alone); 0 when it does not fit. */
static int
join_rel(char *out, size_t outsize, const char *dir, const char *name)
{
	int w = snprintf(out, outsize, "%s%s%s", dir, dir[0] ? "/" : "", name);

	return w >= 0 && (size_t) w < outsize;
}

/*
 * One line "[section]", "[section \"sub\"]" or "key = value".  *layer is
 * the section the following keys go to: 0 core, 1 an engine section (its
 * name in engine_of), -1 one that is passed over.
 */
static int
read_conf_line(const char *conf_path, const char *s, size_t n, int line, int *layer,
			   char *engine_of, size_t engine_size, conf_layer *core, conf_layer *engines,
			   size_t *nengines, tn_error *err)
{
	size_t p = 0;
	size_t k;

	while (p < n && blank(s[p]))
		p++;
	if (p == n || s[p] == '#' || s[p] == ';')
		return TN_OK;
	if (s[p] == '[')
	{
		size_t close = p;
		size_t name_end;

		while (close < n && s[close] != ']')
			close++;
		if (close == n)
			return bad_conf(err, conf_path, line, "a section header \"[...\" is not closed.");
		name_end = p + 1;
		while (name_end < close && !blank(s[name_end]) && s[name_end] != '"')
			name_end++;
		*layer = -1;
		if (same_word(s + p + 1, name_end - p - 1, "core"))
			*layer = 0;
		else if (same_word(s + p + 1, name_end - p - 1, "engine"))
		{
			const char *q1 = memchr(s + name_end, '"', close - name_end);
			const char *q2 = q1 ? memchr(q1 + 1, '"', (size_t) (s + close - q1 - 1)) : NULL;

			if (q1 && q2 && (size_t) (q2 - q1 - 1) < engine_size && *nengines < TN_SQITCH_MAX_ENGINES)
			{
				memcpy(engine_of + (*nengines) * engine_size, q1 + 1, (size_t) (q2 - q1 - 1));
				engine_of[(*nengines) * engine_size + (size_t) (q2 - q1 - 1)] = '\0';
				memset(&engines[*nengines], 0, sizeof(engines[0]));
				*layer = 1 + (int) (*nengines)++;
			}
		}
		return TN_OK;
	}
	if (*layer < 0)
		return TN_OK;
	{
		size_t key_start = p;
		size_t key_end;
		size_t eq;

		while (p < n && !blank(s[p]) && s[p] != '=')
			p++;
		key_end = p;
		eq = p;
		while (eq < n && blank(s[eq]))
			eq++;
		for (k = 0; k < NKEYS; k++)
			if (same_word(s + key_start, key_end - key_start, conf_keys[k]))
				break;
		if (k == NKEYS)
			return TN_OK; /* a key tenancy has no use for */
		if (eq == n || s[eq] != '=')
			return bad_conf(err, conf_path, line, "a key line is \"key = value\".");
		{
			conf_layer *l = *layer == 0 ? core : &engines[*layer - 1];

			if (read_value(s + eq + 1, n - eq - 1, l->value[k], sizeof(l->value[k])) != 0)
				return bad_conf(err, conf_path, line, "the value is too long.");
			if (k < 5 && !path_ok(l->value[k]))
				return bad_conf(err, conf_path, line,
								"the path must be relative to the project folder, without \"..\": tenancy reads the plan and scripts inside the folder it loads.");
		}
	}
	return TN_OK;
}

void
tn_sqitch_layout_default(tn_sqitch_layout *lay)
{
	snprintf(lay->plan_file, sizeof(lay->plan_file), "sqitch.plan");
	snprintf(lay->deploy_dir, sizeof(lay->deploy_dir), "deploy");
	snprintf(lay->revert_dir, sizeof(lay->revert_dir), "revert");
	snprintf(lay->verify_dir, sizeof(lay->verify_dir), "verify");
	snprintf(lay->extension, sizeof(lay->extension), "sql");
}

int
tn_sqitch_read_conf(const char *conf_path, const char *conf, size_t len,
					tn_sqitch_layout *lay, tn_error *err)
{
	conf_layer		  core;
	conf_layer		  engines[TN_SQITCH_MAX_ENGINES];
	char			  engine_of[TN_SQITCH_MAX_ENGINES][64];
	size_t			  nengines = 0;
	const conf_layer *eng = NULL;
	size_t			  line_start = 0;
	int				  line = 1;
	int				  layer = -1;
	char			  what[TN_SHOWN_BUF + 40];
	char			  s[TN_SHOWN_BUF];
	char			  top[TN_SQITCH_PATH_MAX];
	int				  fits;
	int				  rc;

	tn_sqitch_layout_default(lay);
	tn_shown(conf_path, s, sizeof(s));
	snprintf(what, sizeof(what), "Sqitch configuration \"%s\"", s);
	if ((rc = tn_body_check_text(conf, len, what, err)) != TN_OK)
		return rc;
	memset(&core, 0, sizeof(core));
	while (line_start < len)
	{
		size_t eol = line_start;

		while (eol < len && conf[eol] != '\n')
			eol++;
		rc = read_conf_line(conf_path, conf + line_start, eol - line_start, line, &layer, &engine_of[0][0],
							sizeof(engine_of[0]), &core, engines, &nengines, err);
		if (rc != TN_OK)
			return rc;
		line_start = eol + 1;
		line++;
	}
	/* [engine "<core.engine>"] wins over [core], key by key */
	for (size_t e = 0; core.value[6][0] && e < nengines; e++)
		if (strcmp(engine_of[e], core.value[6]) == 0)
			eng = &engines[e];
#define PICK(k) (eng && eng->value[k][0] ? eng->value[k] : core.value[k])
	snprintf(top, sizeof(top), "%s", PICK(0)[0] ? PICK(0) : ".");
	tidy_path(top);
	fits = join_rel(lay->plan_file, sizeof(lay->plan_file), PICK(1)[0] ? "" : top,
					PICK(1)[0] ? PICK(1) : "sqitch.plan") &&
		   join_rel(lay->deploy_dir, sizeof(lay->deploy_dir), PICK(2)[0] ? "" : top, PICK(2)[0] ? PICK(2) : "deploy") &&
		   join_rel(lay->revert_dir, sizeof(lay->revert_dir), PICK(3)[0] ? "" : top, PICK(3)[0] ? PICK(3) : "revert") &&
		   join_rel(lay->verify_dir, sizeof(lay->verify_dir), PICK(4)[0] ? "" : top, PICK(4)[0] ? PICK(4) : "verify");
	if (PICK(5)[0] && strlen(PICK(5)) < sizeof(lay->extension))
		memcpy(lay->extension, PICK(5), strlen(PICK(5)) + 1);
	else if (PICK(5)[0])
		lay->extension[0] = '\0'; /* too long: refused below */
#undef PICK
	tidy_path(lay->plan_file);
	tidy_path(lay->deploy_dir);
	tidy_path(lay->revert_dir);
	tidy_path(lay->verify_dir);
	if (!fits || lay->plan_file[0] == '\0' || strchr(lay->extension, '/') != NULL || lay->extension[0] == '\0')
	{
		tn_error_set(err, TN_ERR_FORMAT, "invalid Sqitch configuration \"%s\"", s);
		tn_error_detail(err, "plan_file must name a file, the paths must be shorter than %d bytes, and extension a file name ending without \"/\".",
						TN_SQITCH_PATH_MAX);
		return TN_ERR_FORMAT;
	}
	return TN_OK;
}
