/*
 * consul: a small Consul HTTP API client on libcurl, configured the way the
 * consul CLI is: CONSUL_HTTP_ADDR (host:port or http(s)://host:port,
 * default 127.0.0.1:8500), CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE (which
 * outranks it, as in Consul's api), CONSUL_HTTP_SSL (https even for an
 * http:// address), CONSUL_CACERT, CONSUL_CAPATH, CONSUL_CLIENT_CERT,
 * CONSUL_CLIENT_KEY, CONSUL_HTTP_SSL_VERIFY; options override them.
 *
 * One struct consul holds one curl handle, so a whole run reuses one
 * keep-alive connection.  The token is sent as X-Consul-Token and appears
 * in no message; nor does a password in the address (user:pw@host), which
 * messages show as user:***@host.  An address that is not a host and port
 * (a path, a query, no host, a bad port) is a usage error, named by where
 * it came from: --consul or CONSUL_HTTP_ADDR.
 *
 * Ownership: consul_open() copies what it needs from the config; the
 * caller frees a config with consul_config_free() and a connection with
 * consul_close().  Each struct http_reply owns its body until
 * http_reply_free().
 */
#ifndef RECSYNC_CONSUL_H
#define RECSYNC_CONSUL_H

#include <stddef.h>

#define CONSUL_DEFAULT_PREFIX	"prometheus/records"

struct consul_config {
	char	*url;		/* scheme://host:port, no trailing slash */
	char	*token;
	char	*token_file;	/* read by consul_open(); outranks token */
	char	*prefix;	/* KV prefix, no leading or trailing slash */
	char	*cacert, *capath, *client_cert, *client_key;
	int	 verify;
	double	 timeout;	/* seconds to connect, or without progress */
	int	 retries;	/* further tries after a transport error or 5xx */
};

/*
 * What the Consul options (cli.h) set, each named in messages by its
 * option: --consul, --token-file, --timeout, --prefix, --retries.
 */
enum consul_setting {
	CONSUL_ADDRESS, CONSUL_TOKEN_FILE, CONSUL_TIMEOUT, CONSUL_PREFIX,
	CONSUL_RETRIES
};

/*
 * The base URL for an address (host:port, or http(s)://host:port; https
 * when CONSUL_HTTP_SSL asks for it), without a slash at the end, in a new
 * string; NULL with *why saying why it is not one (valid until the next
 * call).
 */
char	*consul_address_url(const char *addr, int https, const char **why);
/* Defaults, then the environment; a bad value ends the run (EX_USAGE). */
void	consul_config_init(struct consul_config *cfg);
/* Sets one setting from its option's text; a bad value ends the run. */
void	consul_config_set(struct consul_config *cfg, enum consul_setting what,
	    const char *value);
void	consul_config_free(struct consul_config *cfg);

struct consul;

struct http_reply {
	long			 status;	/* HTTP status */
	char			*body;		/* NUL-terminated */
	size_t			 len;
	unsigned long long	 index;		/* X-Consul-Index, 0 if absent */
};

/* Connects lazily; ends the run on a setup failure (token file, curl). */
struct consul	*consul_open(const struct consul_config *cfg);
void		 consul_close(struct consul *c);
/* The base URL, for messages: its password masked. */
const char	*consul_url(const struct consul *c);
/* How many further tries a failed request that is safe to repeat gets. */
int		 consul_retries(const struct consul *c);

/*
 * One request.  path starts with "/v1/" and is already escaped.  Returns 0
 * when the server answered (any status), -1 on a transport failure, with
 * the reason in consul_error().
 */
int		 consul_call(struct consul *c, const char *method,
		    const char *path, const char *body, size_t len,
		    struct http_reply *rep);
/*
 * As consul_call, given up after secs when that comes before --timeout:
 * for a request that is worth nothing late (a session's renewal, which
 * must be tried again before the session's TTL runs out).
 */
int		 consul_call_within(struct consul *c, double secs,
		    const char *method, const char *path, const char *body,
		    size_t len, struct http_reply *rep);
/*
 * A GET whose 2xx body is handed to sink piece by piece as it arrives
 * (other answers' bodies land in rep as usual).  A sink returns 0 to go
 * on; anything else ends the transfer as a failure.  Not retried: the sink
 * has seen part of the answer.
 */
typedef int consul_sink_fn(const char *data, size_t len, void *arg);
int		 consul_get_stream(struct consul *c, const char *path,
		    consul_sink_fn *sink, void *arg, struct http_reply *rep);
/*
 * Whether an answer says "not now": a server error, or 429, which Consul
 * gives when a rate limit refuses a request (the agent's limits.rpc_rate,
 * or from 1.15 the servers' request_limits) before acting on it.  Consul
 * sends no Retry-After, so such an answer waits as a 5xx does.
 */
int		 consul_try_later(long status);
/*
 * As consul_call, for requests that are safe to repeat (reads): retries
 * transport failures and consul_try_later() answers cfg->retries times
 * with backoff.
 */
int		 consul_call_idempotent(struct consul *c, const char *method,
		    const char *path, const char *body, size_t len,
		    struct http_reply *rep);
/*
 * As consul_call, for requests that must reach Consul at most once (a
 * session's creation: a second one would be a second session): retries,
 * cfg->retries times with backoff, only the failures in which nothing was
 * sent, such as a refused connection.
 */
int		 consul_call_once(struct consul *c, const char *method,
		    const char *path, const char *body, size_t len,
		    struct http_reply *rep);
const char	*consul_error(const struct consul *c);
/*
 * Whether the last request failed because Consul's answer ended before
 * the length it announced (the connection closed midway): an answer that
 * is not the one the API promises, not an agent out of reach.
 */
int		 consul_answer_cut(const struct consul *c);
/* Sleeps before try number `attempt` (1, 2, ...): 0.2 s doubling, max 5 s. */
void		 consul_backoff(int attempt);
void		 http_reply_free(struct http_reply *rep);

/*
 * The exit status and message for an unwelcome answer: 403 is EX_NOPERM,
 * 5xx and 429 EX_UNAVAILABLE, anything else EX_PROTOCOL.  The message
 * quotes the start of Consul's error body.
 */
int		 consul_fail_status(const struct http_reply *rep);
char		*consul_fail_message(const struct http_reply *rep);

/*
 * addr (host:port or a URL) with the password of its user information
 * shown as ***, for messages; the caller frees it.
 */
char		*consul_mask_password(const char *addr);

/* "/v1/kv/<key>" with each path segment escaped, then "?query" if given. */
char		*consul_kv_path(const char *key, const char *query);

#endif
