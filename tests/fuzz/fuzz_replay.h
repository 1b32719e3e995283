/*
 * fuzz_replay.h -- a main() for libFuzzer harnesses built without libFuzzer.
 *
 * With -DREPLAY, each harness gets a main that feeds every file named on
 * the command line (folders are read one level deep) to
 * LLVMFuzzerTestOneInput, printing "ok - <file>" per input and the final
 * "N passed, N failed" line.  A crash or sanitizer report aborts the
 * process, which the suite counts as a failure.
 *
 * This file must not be included without REPLAY, and must not depend on
 * anything but libc.
 */
#ifndef FUZZ_REPLAY_H
#define FUZZ_REPLAY_H
#ifdef REPLAY

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int replay_pass;
static int replay_fail;

static void
replay_file(const char *path)
{
	FILE		  *f = fopen(path, "rb");
	unsigned char *buf;
	long		   n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		if (f)
			fclose(f);
		printf("FAIL - cannot read %s\n", path);
		replay_fail++;
		return;
	}
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		fclose(f);
		printf("FAIL - cannot read %s\n", path);
		replay_fail++;
		return;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t) n);
	free(buf);
	printf("ok - replay %s\n", path);
	replay_pass++;
}

static int
replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
	{
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
		{
			DIR			  *d = opendir(argv[i]);
			struct dirent *de;
			char		 **names = NULL;
			size_t		   n = 0;
			size_t		   k;

			while (d && (de = readdir(d)) != NULL)
			{
				char **nn;
				char  *p;

				if (de->d_name[0] == '.')
					continue;
				nn = realloc(names, (n + 1) * sizeof(*nn));
				p = malloc(strlen(argv[i]) + strlen(de->d_name) + 2);
				if (nn == NULL || p == NULL)
				{
					free(p);
					names = nn ? nn : names;
					break;
				}
				names = nn;
				sprintf(p, "%s/%s", argv[i], de->d_name);
				names[n++] = p;
			}
			if (d)
				closedir(d);
			if (n > 1)
				qsort(names, n, sizeof(*names), replay_cmp);
			for (k = 0; k < n; k++)
			{
				replay_file(names[k]);
				free(names[k]);
			}
			free(names);
		}
		else
			replay_file(argv[i]);
	}
	printf("%d passed, %d failed\n", replay_pass, replay_fail);
	return replay_fail == 0 ? 0 : 1;
}

#endif /* REPLAY */
#endif /* FUZZ_REPLAY_H */
