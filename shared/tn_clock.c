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

void
tn_utc_stamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm		tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%04d%02d%02dT%02d%02d%02d.%06ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}
