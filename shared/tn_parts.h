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
	int		   direction;	/* +1 up, -1 down */
	unsigned   extra_flags; /* from pop's ".autocommit", dbmate "transaction:false", goose/sql-migrate */
	int		   tagged;		/* the name carries a dialect tag (".sqlite3", ".pg", ...) */
} file_part;

typedef struct part_list
{
	file_part *items;
	size_t	   count;
	size_t	   cap;
	size_t	   seen; /* migration files and folders recognised, skipped ones too */
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

/* tn_file_parts.c: dir "/" name, malloc'd (NULL when out of memory). */
char *join_path(const char *dir, const char *name);

/*
 * tn_file_parts.c: read one migration file into its up and down parts and
 * add them to *parts (files for another dialect than want are skipped).
 */
int load_file(const char *dirpath, const char *fname, const char *as_name,
			  const char *root, const char *given, size_t given_len,
			  tn_dialect folder_dialect, tn_dialect want, part_list *parts,
			  tn_error *err);

#endif /* TN_PARTS_H */
