#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "diag.h"
#include "session.h"
#include "xalloc.h"

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Says why a request failed; returns the matching sysexits status. */
static int
failure(const char *what, struct consul *c, int rc, struct http_reply *rep)
{
	char *msg;
	int status;

	if (rc != 0) {
		warnmsg("%s: cannot reach Consul at %s: %s", what,
		    consul_url(c), consul_error(c));
		return EX_UNAVAILABLE;
	}
	msg = consul_fail_message(rep);
	warnmsg("%s: %s", what, msg);
	free(msg);
	status = consul_fail_status(rep);
	http_reply_free(rep);
	return status;
}

void
lock_session_create(struct lock *l, const char *name)
{
	char *body, *ttl = xasprintf("%.0fs", l->ttl);
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "Name", name, "TTL",
	    ttl, "LockDelay", "15s", "Behavior", "release");
	struct http_reply rep;
	json_t *doc;
	int rc;

	free(ttl);
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL)
		die(EX_SOFTWARE, "cannot build the session request");
	json_decref(req);
	/* Not repeated: a lost answer would leave a session behind. */
	rc = consul_call(l->c, "PUT", "/v1/session/create", body,
	    strlen(body), &rep);
	free(body);
	if (rc != 0 || rep.status != 200)
		exit(failure("creating a session", l->c, rc, &rep));
	doc = json_loads(rep.body, 0, NULL);
	if (json_string_value(json_object_get(doc, "ID")) == NULL)
		die(EX_PROTOCOL, "creating a session: no ID in Consul's answer");
	l->session = xstrdup(json_string_value(json_object_get(doc, "ID")));
	json_decref(doc);
	http_reply_free(&rep);
	debug("session %s", l->session);
}

/*
 * PUT KEY?VERB=SESSION: 1 when Consul answers true, 0 for false, and
 * minus a sysexits status (after a message) when the request failed.
 */
static int
kv_session_put(struct lock *l, const char *verb, const char *body)
{
	char *query = xasprintf("%s=%s", verb, l->session);
	char *path = consul_kv_path(l->key, query);
	struct http_reply rep;
	int rc, granted;

	rc = consul_call_idempotent(l->c, "PUT", path, body,
	    body ? strlen(body) : 0, &rep);
	free(query);
	free(path);
	if (rc != 0 || rep.status != 200)
		return -failure(verb, l->c, rc, &rep);
	granted = strncmp(rep.body, "true", 4) == 0;
	http_reply_free(&rep);
	return granted;
}

/* The holder's note on the key, for the message when we give up. */
static char *
current_holder(struct lock *l)
{
	char *path = consul_kv_path(l->key, "raw");
	struct http_reply rep;
	char *who;

	if (consul_call_idempotent(l->c, "GET", path, NULL, 0, &rep) != 0) {
		free(path);
		return xstrdup("unknown");
	}
	free(path);
	who = xstrdup(rep.status == 200 ? rep.body : "unknown");
	http_reply_free(&rep);
	return who;
}

/* Waits about a second between tries: the number of a stop signal, or 0. */
static int
pause_for(const sigset_t *stop)
{
	struct timespec ts = { 0, 800 * 1000 * 1000 };
	int sig;

	while ((sig = sigtimedwait(stop, NULL, &ts)) == SIGCHLD)
		;
	return sig > 0 ? sig : 0;
}

int
lock_acquire(struct lock *l, double timeout, char **who,
    const sigset_t *stop)
{
	double deadline = now_seconds() + timeout;
	int tries = 0, got, sig;

	*who = NULL;
	while ((got = kv_session_put(l, "acquire", l->holder)) == 0) {
		if (tries++ == 0) {
			*who = current_holder(l);
			note("%s is held by %s; waiting up to %.0fs", l->key,
			    *who, timeout);
		}
		if (now_seconds() >= deadline) {
			free(*who);
			*who = current_holder(l);
			return -1;
		}
		if ((sig = pause_for(stop)) != 0)
			return sig;
		if (tries % 10 == 0)
			lock_renew(l);
	}
	if (got < 0)
		exit(-got);
	free(*who);
	*who = NULL;
	return 0;
}

int
lock_renew(struct lock *l)
{
	char *path = xasprintf("/v1/session/renew/%s", l->session);
	struct http_reply rep;
	/* One try: the next tick is the retry, well within the TTL. */
	int rc = consul_call(l->c, "PUT", path, "", 0, &rep);

	free(path);
	if (rc != 0) {
		warnmsg("renewing the session: %s", consul_error(l->c));
		return 0;	/* the TTL still has time: try again later */
	}
	rc = rep.status == 404 ? -1 : 0;
	if (rep.status != 200 && rep.status != 404)
		warnmsg("renewing the session: HTTP %ld", rep.status);
	http_reply_free(&rep);
	return rc;
}

void
lock_release(struct lock *l)
{
	char *path;
	struct http_reply rep;

	if (l->session == NULL)
		return;
	/* Destroying a session that still holds the lock starts lock-delay. */
	switch (kv_session_put(l, "release", NULL)) {
	case 1:
		break;
	case 0:
		info("%s was not held by this session any more", l->key);
		break;
	default:
		warnmsg("%s stays locked until the session's TTL runs out",
		    l->key);
	}
	path = xasprintf("/v1/session/destroy/%s", l->session);
	if (consul_call_idempotent(l->c, "PUT", path, "", 0, &rep) == 0)
		http_reply_free(&rep);
	free(path);
	free(l->session);
	l->session = NULL;
}

void
lock_free(struct lock *l)
{
	free(l->key);
	free(l->session);
	free(l->holder);
}
