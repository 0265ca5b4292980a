/*
 * The rule file, written with libyaml's emitter: every scalar goes through
 * its analysis, which picks a style (plain, single- or double-quoted) that
 * reads back as exactly the same bytes.  We only add what libyaml leaves to
 * its caller: text that a plain scalar would turn into a null, a boolean or
 * a number ("yes", "1", "~") is quoted, so it stays a string.  The file
 * ends with rule_trailer.h's comment: the rule count and the SHA-256 of
 * the bytes above it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "rule_trailer.h"
#include "xalloc.h"
#include "yamlemit.h"

/* Whether a YAML 1.1 or 1.2 parser would read this plain scalar as anything but a string. */
static int
resolves_as_nonstring(const char *s, size_t len)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} words[] = {
		{ "~", 1 }, { "null", 4 }, { "true", 4 }, { "false", 5 },
		{ "yes", 3 }, { "no", 2 }, { "on", 2 }, { "off", 3 }, { "y", 1 },
		{ "n", 1 }, { "<<", 2 }, { "=", 1 },
	};
	size_t i;

	if (len == 0)
		return 1;
	/* Numbers, .inf/.nan and timestamps all begin like this. */
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '.')
		return 1;
	if (len > 1 && (s[0] == '-' || s[0] == '+') &&
	    ((s[1] >= '0' && s[1] <= '9') || s[1] == '.'))
		return 1;
	if (len > 5)		/* longer than "false": no word */
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].len == len && strncasecmp(s, words[i].s, len) == 0)
			return 1;
	return 0;
}

/*
 * Whether s holds NEL, LS or PS: line breaks to YAML 1.1 and libyaml, plain
 * characters to YAML 1.2.  Escaped in double quotes they read the same to both.
 */
static int
has_unicode_break(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while ((p = memchr(p, 0xe2, (size_t)(end - p))) != NULL && end - p >= 3) {
		if ((unsigned char)p[1] == 0x80 &&
		    ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9))
			return 1;
		p++;
	}
	/* memchr, not memmem: glibc's memmem is slow for a two-byte needle. */
	for (p = s; (p = memchr(p, 0xc2, (size_t)(end - p))) != NULL &&
	    end - p >= 2; p++)
		if ((unsigned char)p[1] == 0x85)
			return 1;
	return 0;
}

/*
 * Emits a scalar made by hand, not by yaml_scalar_event_initialize(), whose
 * check that the text is UTF-8 took 4% of a run: every string here already
 * is (record.h's reader checks each string of a line that is not ASCII,
 * opt_text() each option's text).  The emitter takes the copy and frees it
 * (yaml_event_delete() with free(), as libyaml allocates with malloc()).
 */
static int
put_scalar(yaml_emitter_t *em, const char *s, size_t len,
    yaml_scalar_style_t style)
{
	yaml_event_t ev;
	yaml_char_t *copy;

	if (len > INT_MAX || (copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, s, len);
	copy[len] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.type = YAML_SCALAR_EVENT;
	ev.data.scalar.value = copy;
	ev.data.scalar.length = len;
	ev.data.scalar.plain_implicit = 1;
	ev.data.scalar.quoted_implicit = 1;
	ev.data.scalar.style = style;
	return yaml_emitter_emit(em, &ev);
}

/* Emits one string scalar; libyaml upgrades single to double quotes when needed. */
static int
scalar(yaml_emitter_t *em, const char *s, size_t len)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (has_unicode_break(s, len))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (resolves_as_nonstring(s, len))
		style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	return put_scalar(em, s, len, style);
}

static int
str(yaml_emitter_t *em, const char *s)
{
	return scalar(em, s, strlen(s));
}

/* One of our own keys ("record", "expr", ...): plain, nothing to look at. */
#define KEY(em, k)	put_scalar((em), (k), sizeof(k) - 1, YAML_ANY_SCALAR_STYLE)

/* A record name: [a-zA-Z_:][a-zA-Z0-9_:]*, no line break, but maybe 'yes'. */
static int
name_scalar(yaml_emitter_t *em, const char *s)
{
	size_t len = strlen(s);

	return put_scalar(em, s, len, resolves_as_nonstring(s, len) ?
	    YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

static int
map_start(yaml_emitter_t *em)
{
	yaml_event_t ev;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

static int
seq_start(yaml_emitter_t *em)
{
	yaml_event_t ev;

	if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_SEQUENCE_STYLE))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

static int
map_end(yaml_emitter_t *em)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	return yaml_emitter_emit(em, &ev);
}

static int
seq_end(yaml_emitter_t *em)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	return yaml_emitter_emit(em, &ev);
}

/* One rule: {record: ..., expr: ..., labels: {...}}. */
static int
rule(yaml_emitter_t *em, const struct layout *lo, const struct item *it)
{
	static char *buf;	/* an escaped expr decoded; kept for the next */
	static size_t cap;
	size_t i;
	int ok;

	ok = map_start(em) && KEY(em, "record") && name_scalar(em, it->name) &&
	    KEY(em, "expr") && scalar(em, item_expr(it, &buf, &cap),
	    it->expr_len);
	if (ok && lo->nlabels > 0) {
		ok = KEY(em, "labels") && map_start(em);
		for (i = 0; ok && i < lo->nlabels; i++)
			ok = str(em, lo->label_names[i]) &&
			    str(em, lo->label_values[i]);
		ok = ok && map_end(em);
	}
	return ok && map_end(em);
}

/* One group: {name: ..., interval: ..., rules: [...]}. */
static int
group(yaml_emitter_t *em, const struct layout *lo, const char *name,
    const struct item *items, const size_t *idx, size_t n)
{
	size_t i;

	if (!map_start(em) || !KEY(em, "name") || !str(em, name))
		return 0;
	/* A duration always has a unit, so it never reads as a number. */
	if (lo->interval != NULL && (!KEY(em, "interval") ||
	    !put_scalar(em, lo->interval, strlen(lo->interval),
	    YAML_ANY_SCALAR_STYLE)))
		return 0;
	if (!KEY(em, "rules") || !seq_start(em))
		return 0;
	for (i = 0; i < n; i++)
		if (!rule(em, lo, &items[idx[i]]))
			return 0;
	return seq_end(em) && map_end(em);
}

/* The groups, split every group_size rules (one group, maybe empty, at least). */
static int
groups(yaml_emitter_t *em, const struct layout *lo, const struct item *items,
    const size_t *idx, size_t n)
{
	size_t size = lo->group_size ? lo->group_size : (n ? n : 1);
	size_t at = 0, g = 0;
	char *name;
	int ok = 1;

	if (!KEY(em, "groups") || !seq_start(em))
		return 0;
	do {
		size_t len = n - at < size ? n - at : size;

		name = lo->group_size ? xasprintf("%s_%04zu", lo->group, ++g) :
		    xstrdup(lo->group);
		ok = group(em, lo, name, items, idx + at, len);
		free(name);
		at += len;
	} while (ok && at < n);
	return ok && seq_end(em);
}

/* Where the emitter's bytes go: the file, and the trailer's digest. */
struct sink {
	struct outbuf		 ob;
	struct rule_digest	 dg;
};

static int
write_handler(void *data, unsigned char *buf, size_t size)
{
	struct sink *out = data;

	rule_digest_add(&out->dg, buf, size);
	return outbuf_put(&out->ob, buf, size) == 0;
}

/* The last line, after the YAML: see rule_trailer.h. */
static int
trailer(struct sink *out, size_t n)
{
	char line[RULE_TRAILER_MAX];
	size_t len = rule_trailer_make(&out->dg, n, line);

	return outbuf_put(&out->ob, line, len) == 0;
}

static int
document(yaml_emitter_t *em, const struct layout *lo, const struct item *items,
    const size_t *idx, size_t n)
{
	yaml_event_t ev;

	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	if (!map_start(em) || !groups(em, lo, items, idx, n) || !map_end(em))
		return 0;
	if (!yaml_document_end_event_initialize(&ev, 1) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	if (!yaml_stream_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	return yaml_emitter_flush(em);
}

int
emit_rules(FILE *fp, const struct layout *lo, const struct item *items,
    const size_t *idx, size_t n, const char **why)
{
	yaml_emitter_t em;
	struct sink out;
	int ok;

	if (!yaml_emitter_initialize(&em)) {
		*why = "cannot initialize the YAML emitter";
		return -1;
	}
	outbuf_init(&out.ob, fp);
	rule_digest_init(&out.dg);
	yaml_emitter_set_output(&em, write_handler, &out);
	yaml_emitter_set_unicode(&em, 1);	/* Chinese stays readable */
	yaml_emitter_set_width(&em, -1);	/* never fold a long expr */
	yaml_emitter_set_indent(&em, 2);
	yaml_emitter_set_break(&em, YAML_LN_BREAK);
	ok = document(&em, lo, items, idx, n);
	if (!ok)
		*why = em.error == YAML_WRITER_ERROR ? strerror(errno) :
		    em.problem ? em.problem : "YAML emitter error";
	else if (!(ok = trailer(&out, n) && outbuf_end(&out.ob) == 0))
		*why = strerror(errno);
	free(out.ob.buf);	/* NULL after outbuf_end(); else it failed */
	rule_digest_free(&out.dg);
	yaml_emitter_delete(&em);
	return ok ? 0 : -1;
}
