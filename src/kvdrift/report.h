/*
 * report: what kvdrift found, for people (a few lines, a few names of each
 * kind), as one JSON object (every name), or as Prometheus samples for
 * recsync's metrics file (no HELP or TYPE: recsync adds them).
 *
 * Names come from the stores and may hold any byte: a name that is not
 * plain printable text is written as a JSON string, escapes and all.
 */
#ifndef KVDRIFT_REPORT_H
#define KVDRIFT_REPORT_H

#include <stdio.h>

#include "drift.h"
#include "lock.h"

/* Where the stores are, for the report's words. */
struct where {
	const char	*prefix, *set_key, *rule_file;
};

void	report_text(FILE *fp, struct drift *d, const struct lock_state *ls,
	    const struct where *w);
void	report_json(FILE *fp, struct drift *d, const struct lock_state *ls,
	    const struct where *w);
void	report_samples(FILE *fp, const struct drift *d,
	    const struct lock_state *ls);

#endif
