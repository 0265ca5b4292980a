#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base64.h"
#include "holder.h"
#include "xalloc.h"

/* The note kvlock writes, {"host","pid","since"}, in words; else as it is. */
static char *
describe_note(const char *value)
{
	char *text = NULL, *who, when[32];
	size_t len;
	json_t *note;
	json_int_t since;
	time_t t;
	struct tm tm;

	if (value == NULL || base64_decode(value, strlen(value), &text, &len) != 0)
		return xstrdup("an unknown holder");
	note = json_loadb(text, len, 0, NULL);
	if (!json_is_string(json_object_get(note, "host")) ||
	    !json_is_integer(json_object_get(note, "pid")) ||
	    !json_is_integer(json_object_get(note, "since"))) {
		json_decref(note);
		who = xstrndup(text, len);
		free(text);
		return who;
	}
	free(text);
	since = json_integer_value(json_object_get(note, "since"));
	t = (time_t)since;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)since);
	who = xasprintf("pid %lld on %s since %s",
	    (long long)json_integer_value(json_object_get(note, "pid")),
	    json_string_value(json_object_get(note, "host")), when);
	json_decref(note);
	return who;
}

/* 1 when Consul still has the session, 0 when not, -1 when it cannot say. */
static int
session_alive(struct consul *c, const char *id)
{
	char *path = xasprintf("/v1/session/info/%s", id);
	struct http_reply rep;
	json_t *doc;
	int alive;

	if (consul_call_idempotent(c, "GET", path, NULL, 0, &rep) != 0) {
		free(path);
		return -1;
	}
	free(path);
	if (rep.status != 200) {
		http_reply_free(&rep);
		return -1;
	}
	doc = json_loads(rep.body, 0, NULL);
	http_reply_free(&rep);
	alive = json_is_array(doc) ? json_array_size(doc) > 0 : -1;
	json_decref(doc);
	return alive;
}

char *
lock_holder_describe(struct consul *c, const char *key)
{
	static const char *state[] = {
		"whose session is gone (Consul's lock-delay, 15s for kvlock, "
		    "keeps the lock a little longer)",
		"whose session is alive",
	};
	char *path = consul_kv_path(key, NULL), *note, *who;
	struct http_reply rep;
	json_t *doc, *entry;
	const char *session;
	int alive = 0;

	if (consul_call_idempotent(c, "GET", path, NULL, 0, &rep) != 0) {
		free(path);
		return xstrdup("unknown");
	}
	free(path);
	if (rep.status != 200) {	/* 404: released since */
		http_reply_free(&rep);
		return xstrdup("unknown");
	}
	doc = json_loads(rep.body, 0, NULL);
	http_reply_free(&rep);
	entry = json_array_get(doc, 0);
	note = describe_note(json_string_value(json_object_get(entry, "Value")));
	session = json_string_value(json_object_get(entry, "Session"));
	if (session != NULL)
		alive = session_alive(c, session);
	who = alive < 0 ? xasprintf("%s, whose session Consul could not tell "
	    "about", note) : xasprintf("%s, %s", note, state[alive]);
	free(note);
	json_decref(doc);
	return who;
}
