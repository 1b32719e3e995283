/*
 * tn_sqitch.c -- reading a Sqitch project (sqitch.plan with deploy/,
 * revert/ and verify/ scripts) into migration parts.
 *
 * The plan decides the order, never the file names: the k-th change of the
 * plan is version k, named by the change.  deploy/<change>.sql is the up,
 * verify/<change>.sql runs right after it in the same transaction (a
 * failing verify fails the migration; its BEGIN ... ROLLBACK wrapper is
 * taken out), revert/<change>.sql is the down.  A reworked change (its name
 * planned again after a tag) reads <change>@<tag>.sql for its earlier
 * entries, the tag being the first one planned after that entry, as Sqitch
 * names the copies "sqitch rework" makes.  A sqitch.conf beside the plan
 * may move the plan and the script folders (tn_sqitch_conf.c reads it).
 *
 * Must not: read files itself (a tn_script_reader does), touch a database,
 * or leave parts half added for a change when it fails (the caller frees
 * the list).
 */
#define _XOPEN_SOURCE 700 /* lstat */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tn_parts.h"

#define MAX_CHANGE_NAME 200

/* One change or tag line of the plan. */
typedef struct plan_entry
{
	char name[MAX_CHANGE_NAME + 1];
	int	 is_tag;
	int	 line;
} plan_entry;

static int
bad_plan(tn_error *err, const char *plan_path, int line, const char *what)
{
	char s[TN_SHOWN_BUF];

	tn_shown(plan_path, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "invalid Sqitch plan \"%s\"", s);
	tn_error_detail(err, "Line %d: %s", line, what);
	return TN_ERR_FORMAT;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* "2013-12-30T23:19:35Z": Sqitch's planned_at, which every change and tag line carries. */
static int
is_timestamp(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (n != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return 0;
	return 1;
}

/*
 * A change name as a script path may use it: Sqitch refuses blanks, ':',
 * '@', '#' and '\'; tenancy also refuses a "." or ".." component and a
 * leading '/', so a name never leads out of deploy/.
 */
static int
change_name_ok(const char *s, size_t n)
{
	size_t comp = 0;

	if (n == 0 || n > MAX_CHANGE_NAME || s[0] == '/' || s[n - 1] == '/')
		return 0;
	for (size_t i = 0; i <= n; i++)
	{
		if (i == n || s[i] == '/')
		{
			size_t cl = i - comp;

			if (cl == 0 || (cl == 1 && s[comp] == '.') || (cl == 2 && s[comp] == '.' && s[comp + 1] == '.'))
				return 0;
			comp = i + 1;
			continue;
		}
		if (s[i] == ':' || s[i] == '@' || s[i] == '#' || s[i] == '\\' || (unsigned char) s[i] < 0x20)
			return 0;
	}
	return 1;
}

/*
 * One line of the plan: blank, comment or pragma (nothing), a tag
 * ("@name ..."), or a change ("[+]name [deps] timestamp planner <email>
 * [# note]").  *kind: 0 nothing, 1 change, 2 tag.
 */
static int
read_plan_line(const char *plan_path, const char *s, size_t n, int line,
			   plan_entry *e, int *kind, tn_error *err)
{
	size_t p = 0;
	size_t start;

	*kind = 0;
	while (p < n && is_blank(s[p]))
		p++;
	if (p == n || s[p] == '#' || s[p] == '%')
		return TN_OK;
	if (s[p] == '-')
		return bad_plan(err, plan_path, line, "a change planned for revert (\"-name\") is not supported; tenancy deploys the plan in order and reverts with tenant_rollback().");
	if (s[p] == '+')
		p++;
	e->is_tag = s[p] == '@';
	if (e->is_tag)
		p++;
	start = p;
	while (p < n && !is_blank(s[p]) && s[p] != '[')
		p++;
	if (!change_name_ok(s + start, p - start))
		return bad_plan(err, plan_path, line, "the change or tag name is empty, too long, or holds a character Sqitch refuses (blank, \":\", \"@\", \"#\", \"\\\") or a \".\" or \"..\" path component.");
	memcpy(e->name, s + start, p - start);
	e->name[p - start] = '\0';
	e->line = line;
	while (p < n && is_blank(s[p]))
		p++;
	if (!e->is_tag && p < n && s[p] == '[')
	{
		/* dependencies: Sqitch checks them; the plan order already satisfies them */
		while (p < n && s[p] != ']')
			p++;
		if (p == n)
			return bad_plan(err, plan_path, line, "the dependency list \"[...\" is not closed.");
		p++;
		while (p < n && is_blank(s[p]))
			p++;
	}
	start = p;
	while (p < n && !is_blank(s[p]))
		p++;
	if (!is_timestamp(s + start, p - start))
		return bad_plan(err, plan_path, line, "a change or tag line is \"name [dependencies] 2013-12-30T23:19:35Z planner <email> # note\"; the timestamp is missing.");
	*kind = e->is_tag ? 2 : 1;
	return TN_OK;
}

/* Read the plan's change and tag lines into *out (malloc'd, *count entries). */
static int
read_plan(const char *plan_path, const char *plan, size_t len,
		  plan_entry **out, size_t *count, tn_error *err)
{
	size_t		line_start = 0;
	int			line = 1;
	size_t		n = 0;
	size_t		cap = 0;
	plan_entry *list = NULL;

	*out = NULL;
	*count = 0;
	while (line_start < len)
	{
		size_t	   eol = line_start;
		plan_entry e;
		int		   kind;
		int		   rc;

		while (eol < len && plan[eol] != '\n')
			eol++;
		rc = read_plan_line(plan_path, plan + line_start, eol - line_start, line, &e, &kind, err);
		if (rc != TN_OK)
		{
			free(list);
			return rc;
		}
		if (kind != 0)
		{
			if (n == cap)
			{
				size_t		ncap = cap ? cap * 2 : 16;
				plan_entry *nl = realloc(list, ncap * sizeof(*nl));

				if (nl == NULL)
				{
					free(list);
					return tn_parts_no_memory(err);
				}
				list = nl;
				cap = ncap;
			}
			list[n++] = e;
		}
		line_start = eol + 1;
		line++;
	}
	*out = list;
	*count = n;
	return TN_OK;
}

/*
 * The script name of change i: the change itself, or for an entry that is
 * planned again later (reworked), "<change>@<tag>" with the first tag
 * after it.  A rework without a tag in between is refused, as Sqitch does.
 */
static int
script_name(const char *plan_path, const plan_entry *list, size_t count,
			size_t i, char *out, size_t outsize, tn_error *err)
{
	const char *tag = NULL;

	for (size_t k = i + 1; k < count; k++)
	{
		if (list[k].is_tag && tag == NULL)
			tag = list[k].name;
		if (!list[k].is_tag && strcmp(list[k].name, list[i].name) == 0)
		{
			if (tag == NULL)
				return bad_plan(err, plan_path, list[k].line, "the change is planned twice without a tag in between; Sqitch reworks a change only after a tag.");
			snprintf(out, outsize, "%s@%s", list[i].name, tag);
			return TN_OK;
		}
	}
	snprintf(out, outsize, "%s", list[i].name);
	return TN_OK;
}

/* Read folder/<script>.<ext> through rd; checks the text. */
static int
read_script(tn_script_reader rd, void *ctx, const char *folder, const char *ext,
			const char *script, char **path, char **body, int *missing,
			tn_error *err)
{
	char   rel[TN_SQITCH_PATH_MAX + MAX_CHANGE_NAME * 2 + 64];
	char   s[TN_SHOWN_BUF];
	char   what[TN_SHOWN_BUF + 64];
	size_t len = 0;
	int	   rc;

	*path = NULL;
	*body = NULL;
	snprintf(rel, sizeof(rel), "%s%s%s.%s", folder, folder[0] ? "/" : "", script, ext);
	rc = rd(ctx, rel, path, body, &len, missing, err);
	if (rc != TN_OK || *missing)
		return rc;
	tn_shown(*path, s, sizeof(s));
	snprintf(what, sizeof(what), "migration file \"%s\"", s);
	rc = tn_body_check_text(*body, len, what, err);
	if (rc != TN_OK)
	{
		free(*path);
		free(*body);
		*path = NULL;
		*body = NULL;
	}
	return rc;
}

/* deploy followed by verify (its BEGIN ... ROLLBACK taken out), with a comment line between. */
static char *
deploy_and_verify(const char *deploy, char *verify, const char *verify_path,
				  const char *plan_path, tn_error *err)
{
	size_t dl = strlen(deploy);
	size_t vl;
	char   head[TN_SHOWN_BUF + 32];
	char  *out;
	int	   hl;

	if (tn_body_strip_verify_transaction(verify) < 0)
	{
		char s[TN_SHOWN_BUF];

		tn_shown(verify_path, s, sizeof(s));
		tn_error_set(err, TN_ERR_FORMAT, "migration file \"%s\" controls its own transaction", s);
		tn_error_detail(err, "Line %d runs BEGIN, COMMIT or ROLLBACK outside a BEGIN ... ROLLBACK pair; tenancy runs a verify script inside the deploy's transaction.",
						tn_line_of_offset(verify, tn_body_transaction_control(verify)));
		tn_error_hint(err, "Keep the verify script's checks between one BEGIN; and one ROLLBACK;, as Sqitch's template writes them.");
		(void) plan_path;
		return NULL;
	}
	vl = strlen(verify);
	hl = snprintf(head, sizeof(head), "%s-- tenancy: Sqitch verify script follows\n",
				  dl > 0 && deploy[dl - 1] != '\n' ? "\n" : "");
	out = malloc(dl + (size_t) hl + vl + 1);
	if (out == NULL)
	{
		tn_parts_no_memory(err);
		return NULL;
	}
	memcpy(out, deploy, dl);
	memcpy(out + dl, head, (size_t) hl);
	memcpy(out + dl + hl, verify, vl + 1);
	return out;
}

/* The up and down parts of change i (version = its place among the changes). */
static int
add_change(const char *plan_path, const plan_entry *list, size_t count,
		   size_t i, long version, const tn_sqitch_layout *lay, tn_script_reader rd,
		   void *ctx, part_list *parts, tn_error *err)
{
	char	  script[MAX_CHANGE_NAME * 2 + 2];
	char	  vbuf[32];
	file_part up;
	file_part down;
	char	 *verify_path = NULL;
	char	 *verify = NULL;
	char	 *revert_path = NULL;
	char	 *revert = NULL;
	int		  missing = 0;
	int		  rc;

	memset(&up, 0, sizeof(up));
	memset(&down, 0, sizeof(down));
	snprintf(vbuf, sizeof(vbuf), "%ld", version);
	if ((rc = script_name(plan_path, list, count, i, script, sizeof(script), err)) != TN_OK)
		return rc;
	rc = read_script(rd, ctx, lay->deploy_dir, lay->extension, script, &up.path, &up.body, &missing, err);
	if (rc == TN_OK && missing)
	{
		char s[TN_SHOWN_BUF];

		tn_shown(plan_path, s, sizeof(s));
		tn_error_set(err, TN_ERR_FORMAT, "Sqitch change \"%s\" has no deploy script", list[i].name);
		tn_error_detail(err, "Line %d of \"%s\" plans it, and \"%s%s%s.%s\" does not exist.", list[i].line, s,
						lay->deploy_dir, lay->deploy_dir[0] ? "/" : "", script, lay->extension);
		return TN_ERR_FORMAT;
	}
	if (rc == TN_OK)
		rc = read_script(rd, ctx, lay->verify_dir, lay->extension, script, &verify_path, &verify, &missing, err);
	if (rc == TN_OK && verify != NULL)
	{
		char *both = deploy_and_verify(up.body, verify, verify_path, plan_path, err);

		if (both == NULL)
			rc = err->code;
		else
		{
			free(up.body);
			up.body = both;
		}
	}
	if (rc == TN_OK)
		rc = read_script(rd, ctx, lay->revert_dir, lay->extension, script, &revert_path, &revert, &missing, err);
	free(verify_path);
	free(verify);
	if (rc == TN_OK)
	{
		up.version = tn_memdup(vbuf, strlen(vbuf));
		up.name = tn_memdup(list[i].name, strlen(list[i].name));
		up.direction = 1;
		if (up.version == NULL || up.name == NULL)
			rc = tn_parts_no_memory(err);
	}
	if (rc == TN_OK && revert != NULL)
	{
		down.path = revert_path;
		down.body = revert;
		revert_path = revert = NULL;
		down.version = tn_memdup(vbuf, strlen(vbuf));
		down.name = tn_memdup(list[i].name, strlen(list[i].name));
		down.direction = -1;
		if (down.version == NULL || down.name == NULL)
			rc = tn_parts_no_memory(err);
	}
	free(revert_path);
	free(revert);
	if (rc != TN_OK)
	{
		free(up.path);
		free(up.body);
		free(up.version);
		free(up.name);
		free(down.path);
		free(down.body);
		free(down.version);
		free(down.name);
		return rc;
	}
	parts->seen++;
	if ((rc = tn_parts_add(parts, &up, err)) != TN_OK)
	{
		free(down.path);
		free(down.body);
		free(down.version);
		free(down.name);
		return rc;
	}
	return down.body != NULL ? tn_parts_add(parts, &down, err) : TN_OK;
}

int
tn_sqitch_read(const char *plan_path, const char *plan, size_t len,
			   const tn_sqitch_layout *lay, tn_script_reader rd, void *ctx,
			   part_list *parts, tn_error *err)
{
	plan_entry *list;
	size_t		count;
	long		version = 0;
	char		what[TN_SHOWN_BUF + 32];
	char		s[TN_SHOWN_BUF];
	int			rc;

	tn_shown(plan_path, s, sizeof(s));
	snprintf(what, sizeof(what), "Sqitch plan \"%s\"", s);
	if ((rc = tn_body_check_text(plan, len, what, err)) != TN_OK)
		return rc;
	if ((rc = read_plan(plan_path, plan, len, &list, &count, err)) != TN_OK)
		return rc;
	for (size_t i = 0; i < count && rc == TN_OK; i++)
		if (!list[i].is_tag)
			rc = add_change(plan_path, list, count, i, ++version, lay, rd, ctx, parts, err);
	if (rc == TN_OK && version == 0)
		rc = bad_plan(err, plan_path, 1, "the plan holds no change.");
	free(list);
	return rc;
}

/* ---- the two script readers: a folder on this machine, files a client sent ---- */

typedef struct folder_reader
{
	const char *dir;
	const char *root;
} folder_reader;

static char *
join2(const char *dir, const char *rel)
{
	size_t dl = strlen(dir);
	size_t rl = strlen(rel);
	char  *p = malloc(dl + rl + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	if (dl > 0 && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, rel, rl + 1);
	return p;
}

/* Does a directory entry exist at path (a link counts, even a dangling one, so reading it reports it)? */
static int
entry_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
read_from_folder(void *ctx, const char *rel, char **path, char **body,
				 size_t *len, int *missing, tn_error *err)
{
	folder_reader *f = ctx;
	int			   rc;

	*missing = 0;
	*body = NULL;
	*path = join2(f->dir, rel);
	if (*path == NULL)
		return tn_parts_no_memory(err);
	if (!entry_exists(*path))
	{
		free(*path);
		*path = NULL;
		*missing = 1;
		return TN_OK;
	}
	rc = tn_read_regular_file(*path, f->root, body, len, err);
	if (rc != TN_OK)
	{
		free(*path);
		*path = NULL;
	}
	return rc;
}

int
tn_sqitch_load_folder(const char *dir, const char *root, part_list *parts,
					  tn_error *err)
{
	folder_reader	 f = { dir, root };
	tn_sqitch_layout lay;
	char			*conf_path = join2(dir, "sqitch.conf");
	char			*plan_path = NULL;
	char			*text = NULL;
	size_t			 len = 0;
	int				 rc = TN_OK;

	tn_sqitch_layout_default(&lay);
	if (conf_path == NULL)
		return tn_parts_no_memory(err);
	if (entry_exists(conf_path))
	{
		/* sqitch.conf says where the plan and the scripts are */
		rc = tn_read_regular_file(conf_path, root, &text, &len, err);
		if (rc == TN_OK)
			rc = tn_sqitch_read_conf(conf_path, text, len, &lay, err);
		free(text);
		text = NULL;
	}
	free(conf_path);
	if (rc != TN_OK)
		return rc;
	if ((plan_path = join2(dir, lay.plan_file)) == NULL)
		return tn_parts_no_memory(err);
	rc = tn_read_regular_file(plan_path, root, &text, &len, err);
	if (rc == TN_OK)
		rc = tn_sqitch_read(plan_path, text, len, &lay, read_from_folder, &f, parts, err);
	free(text);
	free(plan_path);
	return rc;
}

typedef struct sent_reader
{
	size_t			   n;
	const char *const *names;
	const char *const *bodies;
	const size_t	  *lens;
} sent_reader;

static int
read_from_sent(void *ctx, const char *rel, char **path, char **body,
			   size_t *len, int *missing, tn_error *err)
{
	sent_reader *f = ctx;

	*missing = 1;
	*path = NULL;
	*body = NULL;
	for (size_t i = 0; i < f->n; i++)
		if (f->names[i] != NULL && f->bodies[i] != NULL && strcmp(f->names[i], rel) == 0)
		{
			*missing = 0;
			*path = tn_memdup(rel, strlen(rel));
			*body = tn_memdup(f->bodies[i], f->lens[i]);
			*len = f->lens[i];
			if (*path == NULL || *body == NULL)
			{
				free(*path);
				free(*body);
				*path = *body = NULL;
				return tn_parts_no_memory(err);
			}
			return TN_OK;
		}
	return TN_OK;
}

int
tn_sqitch_load_sent(size_t n, const char *const *names,
					const char *const *bodies, const size_t *lens,
					part_list *parts, tn_error *err)
{
	sent_reader		 f = { n, names, bodies, lens };
	tn_sqitch_layout lay;
	int				 found = 0;

	tn_sqitch_layout_default(&lay);
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], "sqitch.conf") == 0)
		{
			int rc;

			if (bodies[i] == NULL)
				return tn_error_null_argument(err, "bodies");
			if ((rc = tn_sqitch_read_conf("sqitch.conf", bodies[i], lens[i], &lay, err)) != TN_OK)
				return rc;
			found = 1;
		}
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], lay.plan_file) == 0)
		{
			if (bodies[i] == NULL)
				return tn_error_null_argument(err, "bodies");
			return tn_sqitch_read(names[i], bodies[i], lens[i], &lay, read_from_sent, &f, parts, err);
		}
	if (found)
	{
		tn_error_set(err, TN_ERR_FORMAT, "Sqitch plan \"%s\" was not sent", lay.plan_file);
		tn_error_detail(err, "The files sent hold a sqitch.conf, and the plan it names is not among them.");
		tn_error_hint(err, "Send every file of the Sqitch project: the plan and the deploy, revert and verify scripts.");
		return TN_ERR_FORMAT;
	}
	return TN_OK;
}
