#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "diag.h"
#include "holder.h"
#include "session.h"
#include "xalloc.h"

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The time between two renewals: a third of the TTL, and at most
 * LOCK_RENEW_EVERY, so that a session Consul let go is found out before
 * its lock-delay lets another run take the lock.  A renewal is one small
 * PUT.
 */
static double
renew_every(const struct lock *l)
{
	return l->ttl / 3 < LOCK_RENEW_EVERY ? l->ttl / 3 : LOCK_RENEW_EVERY;
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
	char *delay = xasprintf("%ds", LOCK_DELAY);
	/*
	 * No health checks ("Checks": [], not the default serfHealth of the
	 * agent's node): only the TTL, or a destroy, ends the session.  A
	 * failing serfHealth would free the lock at once, even while kvlock,
	 * cut off from Consul, still counts it held until the TTL passes;
	 * Consul lets an unrenewed session go only after twice the TTL.
	 */
	json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "Name", name,
	    "TTL", ttl, "LockDelay", delay, "Behavior", "release", "Checks");
	struct http_reply rep;
	json_t *doc;
	int rc;

	free(ttl);
	free(delay);
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL)
		die(EX_SOFTWARE, "cannot build the session request");
	json_decref(req);
	/* The TTL runs from when Consul may have made the session. */
	l->renewed_at = now_seconds();
	l->renew_at = l->renewed_at + renew_every(l);
	/* Sent once: after a lost answer a second try would be a second session. */
	rc = consul_call_once(l->c, "PUT", "/v1/session/create", body,
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
 * PUT KEY?VERB=SESSION: 0 with *granted telling whether Consul answered
 * true, or the failed request's sysexits status after a message.
 */
static int
kv_session_put(struct lock *l, const char *verb, const char *body,
    int *granted)
{
	char *query = xasprintf("%s=%s", verb, l->session);
	char *path = consul_kv_path(l->key, query);
	struct http_reply rep;
	int rc;

	rc = consul_call_idempotent(l->c, "PUT", path, body,
	    body ? strlen(body) : 0, &rep);
	free(query);
	free(path);
	if (rc != 0 || rep.status != 200)
		return failure(verb, l->c, rc, &rep);
	*granted = strncmp(rep.body, "true", 4) == 0;
	http_reply_free(&rep);
	return 0;
}

/* The holder's note on the key and its session's state, for messages. */
static char *
current_holder(struct lock *l)
{
	return lock_holder_describe(l->c, l->key);
}

/*
 * Waits about a second between tries: the number of a stop signal, or 0.
 * SIGCHLD and SIGCONT, taken with them, are no reason to stop.
 */
static int
pause_for(const sigset_t *stop)
{
	struct timespec ts = { 0, 800 * 1000 * 1000 };
	int sig;

	while ((sig = sigtimedwait(stop, NULL, &ts)) == SIGCHLD ||
	    sig == SIGCONT)
		;
	return sig > 0 ? sig : 0;
}

/* Says why a renewal failed: the first of a run of them only. */
static void
renew_failed(struct lock *l, const char *why)
{
	if (l->failures++ == 0)
		warnmsg("renewing the session: %s", why);
}

/*
 * One try at renewing the session: 1, 0 when it failed (said), -1 when
 * Consul no longer knows the session.  An answer later than the next
 * renewal is worth nothing, so none is waited for longer.
 */
static int
lock_renew(struct lock *l)
{
	char *path = xasprintf("/v1/session/renew/%s", l->session);
	struct http_reply rep;
	int rc = consul_call_within(l->c, renew_every(l), "PUT", path, "", 0,
	    &rep);

	free(path);
	if (rc != 0) {
		renew_failed(l, consul_error(l->c));
		return 0;
	}
	rc = rep.status == 200 ? 1 : rep.status == 404 ? -1 : 0;
	if (rc == 0) {
		char *msg = consul_fail_message(&rep);

		renew_failed(l, msg);
		free(msg);
	}
	http_reply_free(&rep);
	return rc;
}

int
lock_keep(struct lock *l)
{
	double sent = now_seconds();
	int rc;

	if (sent < l->renew_at)
		return 0;
	if ((rc = lock_renew(l)) > 0) {
		if (l->failures > 0)
			note("renewed the session after %d failed tries",
			    l->failures);
		l->failures = 0;
		l->renewed_at = sent;
		l->renew_at = sent + renew_every(l);
		return 0;
	}
	if (rc < 0) {
		warnmsg("the session is gone: Consul no longer knows it");
		return -1;
	}
	if (now_seconds() - l->renewed_at >= l->ttl) {
		warnmsg("no renewal of the session has succeeded for %.0fs, "
		    "its TTL: Consul may have let it go", l->ttl);
		return -1;
	}
	/* As RenewPeriodic: again a second later, and once the TTL is up. */
	l->renew_at = now_seconds() + 1;
	if (l->renew_at > l->renewed_at + l->ttl)
		l->renew_at = l->renewed_at + l->ttl;
	return 0;
}

/* The session was lost while waiting: no lock to take with it. */
static int
waited_in_vain(struct lock *l)
{
	warnmsg("the session was lost while waiting for %s; try again later",
	    l->key);
	return LOCK_LOST;
}

int
lock_acquire(struct lock *l, double timeout, const sigset_t *stop)
{
	double deadline = now_seconds() + timeout;
	int tries = 0, got = 0, rc, sig;
	char *who;

	while ((rc = kv_session_put(l, "acquire", l->holder, &got)) == 0 &&
	    !got) {
		if (tries++ == 0) {
			who = current_holder(l);
			note("%s is held by %s; waiting up to %.0fs", l->key,
			    who, timeout);
			free(who);
		}
		if (now_seconds() >= deadline) {
			who = current_holder(l);
			warnmsg("%s is held by %s; gave up after %.0fs", l->key,
			    who, timeout);
			free(who);
			return EX_TEMPFAIL;
		}
		if ((sig = pause_for(stop)) != 0) {
			warnmsg("stopped by signal %d while waiting for %s", sig,
			    l->key);
			return 128 + sig;
		}
		/* As while the command runs: a long wait must not lose it. */
		if (lock_keep(l) != 0)
			return waited_in_vain(l);
	}
	/* Consul refuses an acquire for a session it let go (500). */
	if (rc != 0 && lock_renew(l) < 0)
		return waited_in_vain(l);
	return rc;
}

/*
 * Whether the key names this session as its holder: 1 or 0, and -1 (after
 * a message) when it cannot be read.
 */
static int
lock_is_ours(struct lock *l)
{
	char *path = consul_kv_path(l->key, NULL);
	struct http_reply rep;
	json_t *doc;
	const char *holder;
	int rc, ours;

	rc = consul_call_idempotent(l->c, "GET", path, NULL, 0, &rep);
	free(path);
	if (rc == 0 && rep.status == 404) {
		http_reply_free(&rep);
		return 0;
	}
	if (rc != 0 || rep.status != 200) {
		failure("reading the lock", l->c, rc, &rep);
		return -1;
	}
	doc = json_loads(rep.body, 0, NULL);
	http_reply_free(&rep);
	if (!json_is_array(doc)) {
		warnmsg("reading the lock: the answer is not what the API "
		    "describes");
		json_decref(doc);
		return -1;
	}
	holder = json_string_value(json_object_get(json_array_get(doc, 0),
	    "Session"));
	ours = holder != NULL && strcmp(holder, l->session) == 0;
	json_decref(doc);
	return ours;
}

/* Destroys the session: 1, or 0 after a message. */
static int
session_destroy(struct lock *l)
{
	char *path = xasprintf("/v1/session/destroy/%s", l->session);
	struct http_reply rep;
	int rc;

	rc = consul_call_idempotent(l->c, "PUT", path, "", 0, &rep);
	free(path);
	if (rc != 0 || rep.status != 200) {
		failure("destroying the session", l->c, rc, &rep);
		return 0;
	}
	http_reply_free(&rep);
	return 1;
}

void
lock_release(struct lock *l)
{
	int ours, released = 0, failed = 0;

	if (l->session == NULL)
		return;
	/*
	 * Read first: after an acquire whose answer was lost, or a lock lost
	 * while the command ran, only the key tells.  When it cannot be read,
	 * release anyway: a release by a session that does not hold the key
	 * changes nothing.
	 */
	if ((ours = lock_is_ours(l)) != 0)
		failed = kv_session_put(l, "release", NULL, &released);
	if (released)
		info("released %s", l->key);
	else if (ours == 1 || failed)
		warnmsg("%s could not be released: destroying the session "
		    "frees it, after Consul's lock-delay", l->key);
	/* After the release: destroying a holding session starts lock-delay. */
	if (!session_destroy(l))
		warnmsg("the session and any lock it holds stay until its TTL "
		    "runs out (twice %.0fs)", l->ttl);
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
