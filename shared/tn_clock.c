/*
 * tn_clock.c -- the two clocks of the core: a monotonic one for durations
 * and the UTC stamp in generated checkpoint names.
 *
 * Must not: allocate, or be used for anything stored as a time (column
 * defaults fill those, see "Tracking tables" in tenancy.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <time.h>

#include "tn_internal.h"

double
tn_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

/*
 * The calendar fields of a POSIX time in UTC, by arithmetic (days to a
 * proleptic Gregorian date, H. Hinnant's civil_from_days): gmtime_r would
 * first read and parse /etc/localtime (glibc's tzset, about 35 us once per
 * process, paid by every backend that migrates).
 */
static void
utc_fields(long long t, int *year, int *month, int *day, int *hour, int *min, int *sec)
{
	long long days = t / 86400;
	long long rem = t % 86400;
	long long era, y;
	unsigned  doe, yoe, doy, mp;

	if (rem < 0)
	{
		rem += 86400;
		days--;
	}
	*hour = (int) (rem / 3600);
	*min = (int) (rem % 3600 / 60);
	*sec = (int) (rem % 60);
	days += 719468; /* from 1970-01-01 to 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = (unsigned) (days - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (long long) yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = (int) (y + (*month <= 2));
}

void
tn_utc_stamp_at(long long sec, long nsec, char *buf, size_t size)
{
	int y, mo, d, h, mi, s;

	utc_fields(sec, &y, &mo, &d, &h, &mi, &s);
	snprintf(buf, size, "%04d%02d%02dT%02d%02d%02d.%06ldZ", y, mo, d, h, mi, s, nsec / 1000);
}

void
tn_utc_stamp(char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	tn_utc_stamp_at((long long) ts.tv_sec, ts.tv_nsec, buf, size);
}
