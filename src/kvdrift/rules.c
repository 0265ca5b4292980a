/*
 * The rule file: only the names are read, each "record:" of a rule in
 * groups[].rules[].  A file yamlemit wrote, unchanged, by a line scan
 * (rulescan.c); any other with libyaml's parser, one event at a time.  The
 * file is never held whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "diag.h"
#include "drift.h"

/* Deeper nesting than a rule's is passed over without being followed. */
#define DEPTH_MAX	8

enum key { KEY_OTHER, KEY_GROUPS, KEY_RULES, KEY_RECORD };

/* One open mapping or sequence, and for a mapping the key read last. */
struct frame {
	int		is_map;
	int		want_key;	/* the next node is a key */
	enum key	key;
};

struct walk {
	struct drift	*d;
	struct frame	 f[DEPTH_MAX];
	int		 depth;		/* open containers, maybe > DEPTH_MAX */
};

static enum key
key_of(const char *s)
{
	if (strcmp(s, "groups") == 0)
		return KEY_GROUPS;
	if (strcmp(s, "rules") == 0)
		return KEY_RULES;
	return strcmp(s, "record") == 0 ? KEY_RECORD : KEY_OTHER;
}

/* Whether the mapping open now is a rule: groups[].rules[] of the root. */
static int
in_rule(const struct walk *w)
{
	return w->depth == 5 && w->f[0].key == KEY_GROUPS &&
	    w->f[2].key == KEY_RULES;
}

/* A node ended in the container open now: a mapping wants a key again. */
static void
node_done(struct walk *w)
{
	if (w->depth > 0 && w->depth <= DEPTH_MAX && w->f[w->depth - 1].is_map)
		w->f[w->depth - 1].want_key = !w->f[w->depth - 1].want_key;
}

static void
scalar(struct walk *w, const char *value)
{
	struct frame *top = w->depth > 0 && w->depth <= DEPTH_MAX ?
	    &w->f[w->depth - 1] : NULL;

	if (top != NULL && top->is_map && top->want_key)
		top->key = key_of(value);
	else if (top != NULL && top->is_map && top->key == KEY_RECORD &&
	    in_rule(w))
		drift_take_rule(w->d, value);
	node_done(w);
}

static void
open_node(struct walk *w, int is_map)
{
	if (w->depth < DEPTH_MAX)
		w->f[w->depth] = (struct frame){ is_map, 1, KEY_OTHER };
	w->depth++;
}

static void
close_node(struct walk *w)
{
	w->depth--;
	node_done(w);
}

/* Feeds one event to the walk: 1 to go on, 0 at the end of the stream. */
static int
step(struct walk *w, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		scalar(w, (const char *)ev->data.scalar.value);
		break;
	case YAML_ALIAS_EVENT:
		node_done(w);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		open_node(w, ev->type == YAML_MAPPING_START_EVENT);
		break;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		close_node(w);
		break;
	case YAML_STREAM_END_EVENT:
		return 0;
	default:
		break;
	}
	return 1;
}

int
drift_read_rules(struct drift *d, const char *path)
{
	struct walk w = { d, { { 0, 0, KEY_OTHER } }, 0 };
	yaml_parser_t p;
	yaml_event_t ev;
	FILE *fp;
	int more = 1, status = 0;

	if ((fp = fopen(path, "rb")) == NULL) {
		warnmsg("%s: %s", path, strerror(errno));
		return errno == ENOENT ? EX_NOINPUT : EX_IOERR;
	}
	if ((status = drift_read_rules_quick(d, fp, path)) != 0) {
		fclose(fp);
		d->have_rules = status == 1;
		return status == 1 ? 0 : status;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, fp);
	while (more) {
		if (!yaml_parser_parse(&p, &ev)) {
			warnmsg("%s:%lu: %s", path,
			    (unsigned long)p.problem_mark.line + 1,
			    p.problem ? p.problem : "not YAML");
			status = p.error == YAML_READER_ERROR && ferror(fp) ?
			    EX_IOERR : EX_DATAERR;
			drift_forget_rules(d);
			break;
		}
		more = step(&w, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	fclose(fp);
	d->have_rules = status == 0;
	return status;
}
