#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "diag.h"
#include "kv.h"
#include "lock.h"
#include "xalloc.h"

/* GET path: 0 with *rep filled (200 or 404), else a status after a message. */
static int
get(struct consul *c, const char *path, const char *what,
    struct http_reply *rep)
{
	char *msg;
	int status;

	if (consul_call_idempotent(c, "GET", path, NULL, 0, rep) != 0) {
		warnmsg("cannot reach Consul at %s: %s", consul_url(c),
		    consul_error(c));
		return EX_UNAVAILABLE;
	}
	if (rep->status == 200 || rep->status == 404)
		return 0;
	msg = consul_fail_message(rep);
	warnmsg("reading %s: %s", what, msg);
	free(msg);
	status = consul_fail_status(rep);
	http_reply_free(rep);
	return status;
}

/* The holder's note, as kvlock writes it; a note it cannot read is left. */
static void
read_note(struct lock_state *ls, const char *b64)
{
	json_t *note, *host;
	char *text;
	size_t len;

	if (b64 == NULL || base64_decode(b64, strlen(b64), &text, &len) != 0)
		return;
	if ((note = json_loadb(text, len, 0, NULL)) != NULL) {
		if (json_is_string(host = json_object_get(note, "host")))
			ls->host = xstrdup(json_string_value(host));
		if (json_is_integer(json_object_get(note, "pid")))
			ls->pid = json_integer_value(json_object_get(note,
			    "pid"));
		if (json_is_integer(json_object_get(note, "since")))
			ls->since = json_integer_value(json_object_get(note,
			    "since"));
		json_decref(note);
	}
	free(text);
}

/* Whether the session exists: its info is a list of one, else null. */
static int
read_alive(struct consul *c, struct lock_state *ls)
{
	struct http_reply rep;
	char *path;
	json_t *info;
	int status;

	/* An ID is a UUID: anything else cannot be put in a path as is. */
	if (strspn(ls->session, "0123456789abcdefABCDEF-") !=
	    strlen(ls->session))
		return 0;
	path = xasprintf("/v1/session/info/%s", ls->session);
	status = get(c, path, "the lock's session", &rep);
	free(path);
	if (status != 0)
		return status;
	info = rep.status == 200 ? json_loadb(rep.body, rep.len, 0, NULL) :
	    NULL;
	ls->alive = json_is_array(info) && json_array_size(info) > 0;
	json_decref(info);
	http_reply_free(&rep);
	return 0;
}

int
lock_read(struct consul *c, const char *key, struct lock_state *ls)
{
	char *path = consul_kv_path(key, NULL);
	struct http_reply rep;
	json_t *list, *e, *session;
	int status;

	memset(ls, 0, sizeof(*ls));
	status = get(c, path, key, &rep);
	free(path);
	if (status != 0)
		return status;
	list = rep.status == 200 ? json_loadb(rep.body, rep.len, 0, NULL) :
	    NULL;
	e = json_array_get(list, 0);
	session = json_object_get(e, "Session");
	if (json_is_string(session) && *json_string_value(session) != '\0') {
		ls->held = 1;
		ls->session = xstrdup(json_string_value(session));
		read_note(ls, json_string_value(json_object_get(e, "Value")));
	}
	json_decref(list);
	http_reply_free(&rep);
	return ls->held ? read_alive(c, ls) : 0;
}

void
lock_state_free(struct lock_state *ls)
{
	free(ls->session);
	free(ls->host);
	memset(ls, 0, sizeof(*ls));
}
