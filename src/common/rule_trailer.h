/*
 * rule_trailer: the comment line yamlemit ends a rule file with, so that
 * a reader that needs the record names only (kvdrift) can trust a quick
 * line scan of a file yamlemit wrote and nobody changed since:
 *
 *	# yamlemit: rules=N sha256=HEX of the bytes above
 *
 * N is the number of rules in the file, HEX the SHA-256 of every byte
 * before the line.  Both depend on the rules alone, so a file written
 * twice from the same records is the same bytes.  YAML parsers, and so
 * Prometheus and promtool, skip the comment.
 *
 * A rule_digest is streamed the file's bytes; the caller calls
 * rule_digest_free() once done with it, whatever happened.
 */
#ifndef RECSYNC_RULE_TRAILER_H
#define RECSYNC_RULE_TRAILER_H

#include <stddef.h>

/* The longest trailer line, its newline included. */
#define RULE_TRAILER_MAX	128
#define RULE_DIGEST_LEN		32

struct rule_digest {
	void	*ctx;		/* OpenSSL's EVP_MD_CTX */
};

void	rule_digest_init(struct rule_digest *dg);
void	rule_digest_add(struct rule_digest *dg, const void *data, size_t len);
/* The SHA-256 of the bytes added; the digest is then done with. */
void	rule_digest_final(struct rule_digest *dg,
	    unsigned char md[RULE_DIGEST_LEN]);
void	rule_digest_free(struct rule_digest *dg);

/*
 * The trailer for nrules rules whose bytes went into dg (finished here),
 * written into line (RULE_TRAILER_MAX bytes), newline included and not
 * NUL-terminated.  Returns its length.
 */
size_t	rule_trailer_make(struct rule_digest *dg, size_t nrules, char *line);
/*
 * Reads a trailer line (len bytes, its newline included).  Returns 0 with
 * *nrules and md set, or -1 when the line is not a trailer, exactly as
 * rule_trailer_make() writes them.
 */
int	rule_trailer_parse(const char *line, size_t len, size_t *nrules,
	    unsigned char md[RULE_DIGEST_LEN]);

#endif
