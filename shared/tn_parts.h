/*
 * tn_parts.h -- the parts a migration folder is read into (internal to the
 * folder reader: tn_folder.c reads files into parts, tn_parts.c pairs them
 * into a migration set).
 *
 * Must not: be included by a host; it is not part of the public contract.
 */
#ifndef TN_PARTS_H
#define TN_PARTS_H

#include "tn_internal.h"

/* One up or down body found in a file (a dbmate file gives two). */
typedef struct file_part
{
	char	  *path; /* as shown to the user and stored as source */
	char	  *version;
	char	  *name;
	char	  *body; /* NULL for an empty down file */
	tn_dialect dialect;
	int		   direction;	 /* +1 up, -1 down */
	unsigned   extra_flags;	 /* from pop's ".autocommit", dbmate "transaction:false", goose/sql-migrate */
	int		   tagged;		 /* the name carries a dialect tag (".sqlite3", ".pg", ...) */
	long	   lines_before; /* lines of the file before the body (a dbmate section's), 0 for a whole file */
} file_part;

typedef struct part_list
{
	file_part *items;
	size_t	   count;
	size_t	   cap;
	size_t	   seen;			/* migration files and folders recognised, skipped ones too */
	size_t	   liquibase_files; /* Liquibase formatted SQL files read (tn_liquibase.c) */
} part_list;

/* Free every part and the list. */
void tn_parts_free(part_list *l);

/* Add *fp; takes ownership of every string in *fp, also on failure. */
int tn_parts_add(part_list *l, file_part *fp, tn_error *err);

/* "out of memory" as a core error. */
int tn_parts_no_memory(tn_error *err);

/*
 * Sort the parts, pair ups with downs (refusing duplicates and bodies that
 * control their own transaction), compute checksums and flags, and hand the
 * set to *out (left empty on failure).
 */
int tn_parts_finish_set(part_list *parts, tn_migration_set *out, tn_error *err);

/*
 * How a project reader (tn_sqitch.c) gets one script by its path relative
 * to the project ("deploy/users.sql"): *path receives the path to show and
 * store as source (malloc'd), *body the bytes (malloc'd, NUL-terminated,
 * *len bytes).  A script that does not exist is TN_OK with *missing = 1
 * and nothing allocated.  Folders read from disk (tn_folder.c), sent files
 * from the names a client sent.
 */
typedef int (*tn_script_reader)(void *ctx, const char *rel, char **path,
								char **body, size_t *len, int *missing,
								tn_error *err);

/* Where a Sqitch project keeps its plan and scripts, relative to the project folder. */
#define TN_SQITCH_PATH_MAX	  256
#define TN_SQITCH_MAX_ENGINES 8
typedef struct tn_sqitch_layout
{
	char plan_file[TN_SQITCH_PATH_MAX];	 /* "sqitch.plan" */
	char deploy_dir[TN_SQITCH_PATH_MAX]; /* "deploy" ("" = the project folder itself) */
	char revert_dir[TN_SQITCH_PATH_MAX];
	char verify_dir[TN_SQITCH_PATH_MAX];
	char extension[32]; /* "sql" */
} tn_sqitch_layout;

/* Sqitch's defaults: sqitch.plan, deploy/, revert/, verify/, ".sql" (tn_sqitch_conf.c). */
void tn_sqitch_layout_default(tn_sqitch_layout *lay);

/*
 * Read sqitch.conf (conf_path names it in errors) into *lay
 * (tn_sqitch_conf.c): core.top_dir, plan_file, deploy_dir, revert_dir,
 * verify_dir, extension, [engine "<core.engine>"] winning over [core].  A
 * path that leaves the project (absolute, "..") or a malformed line is
 * TN_ERR_FORMAT naming the line.
 */
int tn_sqitch_read_conf(const char *conf_path, const char *conf, size_t len,
						tn_sqitch_layout *lay, tn_error *err);

/*
 * A Sqitch project (tn_sqitch.c): plan is the text of sqitch.plan
 * (plan_path names it in errors).  Each change of the plan becomes one
 * migration, versioned by its place in the plan (1, 2, ...) and named by
 * the change: deploy/<change>.sql as up with verify/<change>.sql run after
 * it, revert/<change>.sql as down (the folders and the ending as lay says).  A reworked change's earlier entries
 * read <change>@<tag>.sql, as Sqitch writes them.
 */
int tn_sqitch_read(const char *plan_path, const char *plan, size_t len,
				   const tn_sqitch_layout *lay, tn_script_reader rd, void *ctx,
				   part_list *parts, tn_error *err);

/*
 * A Sqitch project in a folder (dir/sqitch.plan, scripts read inside root)
 * or among the files a client sent ("sqitch.plan", "deploy/x.sql", ...;
 * nothing added when neither "sqitch.plan" nor "sqitch.conf" was sent).
 * A sqitch.conf beside the plan says where the plan and scripts are
 * (tn_sqitch_read_conf).
 */
int tn_sqitch_load_folder(const char *dir, const char *root, part_list *parts,
						  tn_error *err);
int tn_sqitch_load_sent(size_t n, const char *const *names,
						const char *const *bodies, const size_t *lens,
						part_list *parts, tn_error *err);

/*
 * Is body a Liquibase formatted SQL file (its first line is
 * "--liquibase formatted sql")?
 */
int tn_liquibase_is(const char *body, size_t len);

/*
 * The changesets of one Liquibase formatted SQL file (tn_liquibase.c), the
 * file_no-th such file of the folder in name order: changeset k becomes
 * version "<file_no>.<k>", named "author:id", with its --rollback lines as
 * down.  Changesets whose dbms excludes want are skipped.  Attributes
 * tenancy cannot honour are TN_ERR_FORMAT naming the line.
 */
int tn_liquibase_read(const char *path, const char *body, size_t len,
					  unsigned file_no, tn_dialect want, part_list *parts,
					  tn_error *err);

/*
 * The folder walk's hooks: a top-level file of a folder (read here; a file
 * that cannot be read is left to the ordinary reader, which reports it) or
 * the i-th file a client sent is read as Liquibase formatted SQL when it
 * is one (*taken = 1; numbered by its place among such files in name
 * order).  check_alone refuses a load that mixes them with other files
 * (path: the folder, NULL for files a client sent).
 */
int tn_liquibase_try_file(const char *path, const char *root, tn_dialect want,
						  part_list *parts, int *taken, tn_error *err);
int tn_liquibase_try_sent(size_t n, const char *const *names,
						  const char *const *bodies, const size_t *lens,
						  size_t i, tn_dialect want, part_list *parts,
						  int *taken, tn_error *err);
int tn_liquibase_check_alone(const part_list *parts, const char *path,
							 tn_error *err);

/* tn_file_parts.c: dir "/" name, malloc'd (NULL when out of memory). */
char *tn_join_path(const char *dir, const char *name);

/*
 * tn_file_parts.c: read one migration file into its up and down parts and
 * add them to *parts (files for another dialect than want are skipped).
 */
int tn_parts_load_file(const char *dirpath, const char *fname, const char *as_name,
					   const char *root, const char *given, size_t given_len,
					   tn_dialect folder_dialect, tn_dialect want, part_list *parts,
					   tn_error *err);

#endif /* TN_PARTS_H */
