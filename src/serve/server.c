// SPDX-License-Identifier: MIT
/*
 * server.c - libmicrohttpd's daemon: listening, routing, the token, the
 * limits, and requests suspended until the main loop publishes a state
 * collected after they came (see server.h for why it is built so).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "serve/cache.h"
#include "serve/endpoint.h"
#include "serve/query.h"
#include "serve/server.h"
#include "util/buf.h"

enum route { R_HEAP, R_ALLOCS, R_METRICS, R_INDEX };

/* Process events between two prunes of the labels of processes gone. */
#define AS_SERVE_PRUNE_EVERY 4096

static const struct {
	const char *path;
	enum route route;
} routes[] = {
    {"/debug/pprof/heap", R_HEAP},
    {"/debug/pprof/allocs", R_ALLOCS},
    {"/metrics", R_METRICS},
    {"/", R_INDEX},
};

/* One request, from its first call to its completion. */
struct req {
	struct as_server *srv;
	struct MHD_Connection *conn;
	enum route route;
	struct as_prof_query q;
	bool delta_counted;	   /* in the server's deltas */
	double want;		   /* wants a state collected after this */
	struct as_served *base;	   /* a delta's first moment */
	struct as_served *now;	   /* set when ready */
	bool stopped;		   /* the server is stopping */
	bool failed;		   /* its collection failed */
	struct req *next, *resume; /* pending list; to resume */
	char url[80];		   /* for -v */
};

struct as_server {
	struct as_serve_opts o;
	struct MHD_Daemon *d;
	char *token; /* NULL: none needed */
	size_t token_len;
	char *cert, *key; /* PEM text, NULL without TLS */
	int wake_fd;
	pthread_mutex_t lock;
	/* under lock */
	struct req *pending;
	bool stopping;
	/* main thread only */
	double last_taken;
	struct as_proclabels *pl;
	unsigned events; /* process events since the last prune */
	uint64_t seq;	 /* states published */
	int live_states; /* states not yet freed (atomic) */
	/* HTTP thread only */
	unsigned conns;
	unsigned deltas; /* ?seconds= requests in flight */
	/* requests told "stopping" and not yet sent (atomic) */
	int stopping_left;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes compared in constant time for the expected length. */
static bool token_ok(const struct as_server *srv, const char *header)
{
	static const char prefix[] = "Bearer ";
	const char *got;
	size_t glen, i;
	unsigned char d;

	if (!header || strncmp(header, prefix, sizeof(prefix) - 1))
		return false;
	got = header + sizeof(prefix) - 1;
	glen = strlen(got);
	d = glen != srv->token_len;
	for (i = 0; i < srv->token_len; i++)
		d |= (unsigned char)((i < glen ? got[i] : 0) ^ srv->token[i]);
	return d == 0;
}

/* @r as a response of the library's (taking its body); NULL without
 * memory. */
static struct MHD_Response *make_response(struct as_reply *r)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(r->len, r->body,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r->body);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	if (r->disposition)
		MHD_add_response_header(resp, "Content-Disposition",
					r->disposition);
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer");
	return resp;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn,
				  struct as_reply *r)
{
	struct MHD_Response *resp = make_response(r);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
				 const char *why)
{
	struct as_reply r;

	if (reply__text(&r, status, why))
		return MHD_NO;
	return send_reply(conn, &r);
}

struct query_ctx {
	struct as_prof_query q;
	unsigned seen;
	bool profile; /* the endpoint takes parameters */
	int err;
	char why[160];
};

static enum MHD_Result on_param(void *cls, enum MHD_ValueKind kind,
				const char *key, const char *value)
{
	struct query_ctx *qc = cls;

	(void)kind;
	if (!qc->profile) {
		snprintf(qc->why, sizeof(qc->why),
			 "unknown parameter '%.32s': this endpoint takes "
			 "none",
			 key);
		qc->err = -EINVAL;
	} else {
		qc->err = query__param(&qc->q, &qc->seen, key, value, qc->why,
				       sizeof(qc->why));
	}
	return qc->err ? MHD_NO : MHD_YES;
}

/* The reply of a ready request. */
static int build_reply(struct req *rq, struct as_reply *r)
{
	switch (rq->route) {
	case R_HEAP:
	case R_ALLOCS:
		return ep_pprof__reply(rq->now, rq->base, &rq->q,
				       rq->route == R_ALLOCS, r);
	case R_METRICS:
		return ep_metrics__reply(rq->now, rq->srv->o.metrics_top, r);
	case R_INDEX:
		return ep_index__reply(rq->now, r);
	}
	return -EINVAL;
}

/* The answer of a ready request: cached with its state, or made now
 * (and cached when there is room). */
static struct MHD_Response *answer_of(struct req *rq, unsigned *status,
				      bool *owned)
{
	struct as_cache_key key = {rq->route, &rq->q,
				   rq->base ? rq->base->seq : 0};
	struct MHD_Response *resp;
	struct as_reply r = {0};

	*owned = false;
	resp = reply_cache__find(rq->now->extra, &key, status);
	if (resp)
		return resp;
	if (build_reply(rq, &r))
		return NULL;
	*status = r.status;
	resp = make_response(&r);
	if (resp)
		*owned = r.status != 200 ||
			 !reply_cache__add(rq->now->extra, &key, resp, 200);
	return resp;
}

static enum MHD_Result finish(struct req *rq)
{
	struct MHD_Response *resp;
	unsigned status = 500;
	enum MHD_Result ret;
	bool ready, stopped, failed, owned;

	pthread_mutex_lock(&rq->srv->lock);
	ready = rq->now != NULL;
	stopped = rq->stopped;
	failed = rq->failed;
	pthread_mutex_unlock(&rq->srv->lock);
	if (stopped)
		return send_text(rq->conn, 503, "allocsnoop is stopping");
	if (failed)
		return send_text(rq->conn, 500,
				 "allocsnoop could not read its maps (said on "
				 "its stderr)");
	if (!ready) /* resumed before it was ready: cannot happen */
		return send_text(rq->conn, 500, "no state to answer from");
	resp = answer_of(rq, &status, &owned);
	if (!resp)
		return send_text(rq->conn, 500, "out of memory");
	ret = MHD_queue_response(rq->conn, status, resp);
	if (owned)
		MHD_destroy_response(resp);
	/* the answer is made: a slow reader holds it, not the states */
	served__put(rq->now);
	served__put(rq->base);
	rq->now = rq->base = NULL;
	if (rq->srv->o.verbose)
		fprintf(stderr, "allocsnoop: serve: %s: %u\n", rq->url, status);
	return ret;
}

static int find_route(const char *url, enum route *out)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (!strcmp(url, routes[i].path)) {
			*out = routes[i].route;
			return 0;
		}
	return -ENOENT;
}

/* Adds @rq to the requests waiting for a state and wakes the main loop;
 * false when the server is stopping. */
static bool wait_for_state(struct as_server *srv, struct req *rq)
{
	uint64_t one = 1;
	bool ok;

	pthread_mutex_lock(&srv->lock);
	ok = !srv->stopping;
	if (ok) {
		rq->next = srv->pending;
		srv->pending = rq;
	}
	pthread_mutex_unlock(&srv->lock);
	if (ok && write(srv->wake_fd, &one, sizeof(one)) < 0)
		; /* already readable: the counter is full */
	return ok;
}

/* The first call of a request: refused at once, or suspended. */
static enum MHD_Result begin(struct as_server *srv, struct MHD_Connection *conn,
			     const char *url, const char *method,
			     void **req_cls)
{
	struct query_ctx qc = {0};
	enum route route;
	char why[160];
	struct req *rq;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_text(conn, 405, "only GET and HEAD are served");
	if (srv->token && !token_ok(srv, MHD_lookup_connection_value(
					     conn, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_AUTHORIZATION)))
		return send_text(conn, 401,
				 "send the token of --listen-token-file as "
				 "'Authorization: Bearer TOKEN'");
	if (find_route(url, &route)) {
		snprintf(why, sizeof(why),
			 "no endpoint %.64s; see / for the endpoints", url);
		return send_text(conn, 404, why);
	}
	if (srv->conns > AS_SERVE_MAX_CONNS) {
		snprintf(why, sizeof(why),
			 "more than %d connections at once; try again later",
			 AS_SERVE_MAX_CONNS);
		return send_text(conn, 503, why);
	}
	qc.profile = route == R_HEAP || route == R_ALLOCS;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_param, &qc);
	if (qc.err)
		return send_text(conn, 400, qc.why);
	if (qc.q.seconds && srv->deltas >= AS_SERVE_MAX_DELTAS) {
		snprintf(why, sizeof(why),
			 "more than %d ?seconds= profiles at once; try again "
			 "later",
			 AS_SERVE_MAX_DELTAS);
		return send_text(conn, 503, why);
	}
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return send_text(conn, 503, "out of memory");
	if (qc.q.seconds)
		srv->deltas++, rq->delta_counted = true;
	rq->srv = srv;
	rq->conn = conn;
	rq->route = route;
	rq->q = qc.q;
	rq->want = mono_s();
	snprintf(rq->url, sizeof(rq->url), "%s", url);
	*req_cls = rq;
	/* suspended before the main loop can see it: it resumes only a
	 * suspended connection */
	MHD_suspend_connection(conn);
	if (!wait_for_state(srv, rq)) {
		rq->stopped = true;
		__atomic_add_fetch(&srv->stopping_left, 1, __ATOMIC_RELAXED);
		MHD_resume_connection(conn);
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct req *rq = *req_cls;

	(void)version, (void)upload;
	if (!rq)
		return begin(cls, conn, url, method, req_cls);
	if (*upload_size) {
		*upload_size = 0; /* a body is not read */
		return MHD_YES;
	}
	return finish(rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct req *rq = *req_cls;

	(void)conn, (void)code;
	if (!rq)
		return;
	if (rq->delta_counted)
		((struct as_server *)cls)->deltas--;
	if (rq->stopped)
		__atomic_sub_fetch(&((struct as_server *)cls)->stopping_left, 1,
				   __ATOMIC_RELEASE);
	served__put(rq->now);
	served__put(rq->base);
	free(rq);
	*req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct as_server *srv = cls;

	(void)conn, (void)socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		srv->conns++;
	else if (srv->conns)
		srv->conns--;
}

void server__process_event(struct as_server *srv, uint32_t pid, bool exec)
{
	/* without requests nothing is published: the labels of processes
	 * gone are dropped every so many new ones */
	if (++srv->events >= AS_SERVE_PRUNE_EVERY) {
		srv->events = 0;
		proclabels__keep(srv->pl, NULL, 0);
	}
	if (exec)
		proclabels__refresh(srv->pl, pid);
	else
		proclabels__get(srv->pl, pid);
}

int server__wake_fd(const struct as_server *srv)
{
	return srv->wake_fd;
}

double server__due(struct as_server *srv)
{
	uint64_t n;
	double due = -1;
	struct req *rq;

	if (read(srv->wake_fd, &n, sizeof(n)) < 0)
		; /* nothing written since: fine */
	pthread_mutex_lock(&srv->lock);
	for (rq = srv->pending; rq; rq = rq->next)
		if (due < 0 || rq->want < due)
			due = rq->want;
	pthread_mutex_unlock(&srv->lock);
	/* one collection a second at most, whatever the request rate */
	if (due >= 0 && due < srv->last_taken + 1.0)
		due = srv->last_taken + 1.0;
	/* and no new state while the HTTP thread is behind: memory stays
	 * within a few states (asked again in 50 ms) */
	if (due >= 0 && __atomic_load_n(&srv->live_states, __ATOMIC_ACQUIRE) >=
			    AS_SERVE_MAX_STATES) {
		double soon = mono_s() + 0.05;

		due = due > soon ? due : soon;
	}
	return due;
}

/* Under the lock: what @st answers of the pending requests; those ready
 * go to *@resume. */
static void answer(struct as_server *srv, struct as_served *st,
		   struct req **resume)
{
	struct req **pp = &srv->pending, *rq;

	while ((rq = *pp)) {
		if (rq->want > st->taken) {
			pp = &rq->next;
		} else if (rq->q.seconds && !rq->base) {
			rq->base = served__get(st);
			rq->want = st->taken + rq->q.seconds;
			if (srv->o.verbose)
				fprintf(stderr,
					"allocsnoop: serve: %s: ?seconds=%u "
					"delta from this moment\n",
					rq->url, rq->q.seconds);
			pp = &rq->next;
		} else {
			rq->now = served__get(st);
			*pp = rq->next;
			rq->resume = *resume;
			*resume = rq;
		}
	}
}

int server__publish(struct as_server *srv, struct as_snapshot *snap,
		    double taken)
{
	struct req *resume = NULL, *rq, *next;
	struct as_served *st;
	uint32_t *pids;
	size_t i;
	int err;

	pids = calloc(snap->nprocesses ?: 1, sizeof(*pids));
	if (!pids) {
		snapshot__free(snap);
		return -ENOMEM;
	}
	for (i = 0; i < snap->nprocesses; i++)
		pids[i] = snap->processes[i].pid;
	proclabels__keep(srv->pl, pids, snap->nprocesses);
	free(pids);
	err = served__new(snap, taken, srv->pl, &st);
	if (err)
		return err;
	err = reply_cache__new(&srv->live_states,
			       (struct as_reply_cache **)&st->extra);
	if (err) {
		served__put(st);
		return err;
	}
	st->release = reply_cache__release;
	st->seq = ++srv->seq;
	srv->last_taken = taken;
	pthread_mutex_lock(&srv->lock);
	answer(srv, st, &resume);
	pthread_mutex_unlock(&srv->lock);
	for (rq = resume; rq; rq = next) {
		next = rq->resume;
		MHD_resume_connection(rq->conn);
	}
	/* the requests answered hold it now; none: it goes */
	served__put(st);
	return 0;
}

void server__fail(struct as_server *srv, double taken)
{
	struct req *resume = NULL, **pp, *rq, *next;

	srv->last_taken = taken;
	pthread_mutex_lock(&srv->lock);
	for (pp = &srv->pending; (rq = *pp);) {
		if (rq->want > taken) {
			pp = &rq->next;
			continue;
		}
		rq->failed = true;
		*pp = rq->next;
		rq->resume = resume;
		resume = rq;
	}
	pthread_mutex_unlock(&srv->lock);
	for (rq = resume; rq; rq = next) {
		next = rq->resume;
		MHD_resume_connection(rq->conn);
	}
}

/* A whole small file (token, PEM) as a string; NULL with errno set. */
static char *read_file(const char *path, size_t max)
{
	struct as_strbuf sb = {0};
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		int e = sb.len + n > max	      ? EFBIG
			: strbuf__addn(&sb, chunk, n) ? ENOMEM
						      : 0;

		if (e) {
			strbuf__free(&sb);
			fclose(f);
			errno = e;
			return NULL;
		}
	}
	fclose(f);
	if (!sb.s)
		strbuf__add(&sb, "");
	return sb.s;
}

/* The one word of --listen-token-file (a newline after it is fine). */
static int read_token(struct as_server *srv, const char *path)
{
	const char *rest;

	srv->token = read_file(path, 4096);
	if (!srv->token) {
		int err = -errno;

		fprintf(stderr,
			"allocsnoop: cannot read --listen-token-file %s: %s\n",
			path, strerror(-err));
		return err;
	}
	srv->token_len = strcspn(srv->token, " \t\r\n");
	rest = srv->token + srv->token_len;
	if (!srv->token_len || rest[strspn(rest, " \t\r\n")]) {
		fprintf(
		    stderr,
		    "allocsnoop: no token in %s: it must hold one word (and "
		    "maybe a newline)\n",
		    path);
		return -EINVAL;
	}
	return 0;
}

static int read_pem(const char *opt, const char *path, char **out)
{
	int err;

	*out = read_file(path, 1 << 20);
	if (*out)
		return 0;
	err = -errno;
	fprintf(stderr, "allocsnoop: cannot read %s %s: %s\n", opt, path,
		strerror(-err));
	return err;
}

static int read_secrets(struct as_server *srv)
{
	const struct as_serve_opts *o = &srv->o;
	int err = 0;

	if (o->token_file)
		err = read_token(srv, o->token_file);
	if (!err && o->tls_cert)
		err = read_pem("--tls-cert", o->tls_cert, &srv->cert)
			  ?: read_pem("--tls-key", o->tls_key, &srv->key);
	return err;
}

/* [ADDR:]PORT, ADDR a name, an IPv4 or a [bracketed] IPv6 address;
 * loopback without one. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	const char *colon = strrchr(spec, ':');
	struct addrinfo *ai = NULL;
	char host[256] = "127.0.0.1", port[8];
	size_t hl;
	int rc;

	if (colon && colon != spec) {
		hl = (size_t)(colon - spec);
		if (spec[0] == '[' && hl > 2 && spec[hl - 1] == ']')
			spec++, hl -= 2;
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, hl);
		host[hl] = 0;
	}
	colon = colon ? colon + 1 : spec;
	if (!*colon || strlen(colon) > 5 ||
	    strspn(colon, "0123456789") != strlen(colon) || atoi(colon) > 65535)
		return -EINVAL;
	snprintf(port, sizeof(port), "%s", colon);
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc || !ai)
		return -EADDRNOTAVAIL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static struct MHD_Daemon *start(struct as_server *srv,
				const struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME;

	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (srv->cert)
		flags |= MHD_USE_TLS;
	if (srv->o.verbose)
		flags |= MHD_USE_ERROR_LOG;
	return MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * AS_SERVE_MAX_CONNS),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)AS_SERVE_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)AS_SERVE_MAX_CONNS,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
	    srv->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, srv->key, MHD_OPTION_END);
}

/* Starts the daemon; says why not. */
static int listen_on(struct as_server *srv, const struct sockaddr_storage *ss)
{
	int err;

	errno = 0;
	srv->d = start(srv, ss);
	if (srv->d)
		return 0;
	if (srv->cert) {
		/* the library says no more: a file that is no PEM, a key that
		 * is not the certificate's, or the address */
		fprintf(
		    stderr,
		    "allocsnoop: cannot serve HTTPS on %s: check that "
		    "--tls-cert and --tls-key are a PEM certificate and its "
		    "key, and that the address is free\n",
		    srv->o.listen);
		return -EINVAL;
	}
	err = errno ? -errno : -EADDRINUSE;
	fprintf(stderr,
		"allocsnoop: cannot serve on %s: %s; choose another --listen "
		"address or port\n",
		srv->o.listen, strerror(-err));
	return err;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
}

/* "Serving http://ADDR:PORT/" with the port the system chose for 0. */
static void say_where(const struct as_server *srv,
		      const struct sockaddr_storage *ss)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	char addr[INET6_ADDRSTRLEN] = "?";
	bool v6 = ss->ss_family == AF_INET6;

	if (v6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr, addr,
			  sizeof(addr));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  addr, sizeof(addr));
	fprintf(stderr, "Serving %s://%s%s%s:%u/ (see / for the endpoints)\n",
		srv->cert ? "https" : "http", v6 ? "[" : "", addr,
		v6 ? "]" : "", info ? info->port : 0);
	/* profiles name code paths, files and command lines */
	if (!srv->token && !is_loopback(ss))
		fprintf(stderr,
			"allocsnoop: warning: %s is not a loopback address "
			"and no --listen-token-file is given: whoever reaches "
			"it reads the profiles\n",
			addr);
}

static int check_opts(const struct as_serve_opts *o)
{
	if (!o->tls_cert != !o->tls_key) {
		fprintf(stderr, "allocsnoop: --tls-cert and --tls-key go "
				"together: give both\n");
		return -EINVAL;
	}
	if (o->tls_cert &&
	    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "allocsnoop: this libmicrohttpd has no TLS: "
				"install Debian's libmicrohttpd12 (built with "
				"GnuTLS) or serve without --tls-cert\n");
		return -ENOTSUP;
	}
	return 0;
}

int server__new(const struct as_serve_opts *o, struct as_server **out)
{
	struct sockaddr_storage ss = {0};
	struct as_server *srv;
	socklen_t sslen;
	int err;

	err = check_opts(o);
	if (err)
		return err;
	err = parse_listen(o->listen, &ss, &sslen);
	if (err) {
		fprintf(
		    stderr,
		    "allocsnoop: invalid --listen '%s': expected [ADDR:]PORT "
		    "such as 6060, 127.0.0.1:6060 or [::1]:6060\n",
		    o->listen);
		return err;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->o = *o;
	srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&srv->lock, NULL);
	err = srv->wake_fd < 0 ? -errno : 0;
	err = err ?: proclabels__new(&srv->pl);
	err = err ?: read_secrets(srv);
	if (err)
		goto fail;
	err = listen_on(srv, &ss);
	if (err)
		goto fail;
	say_where(srv, &ss);
	*out = srv;
	return 0;
fail:
	server__free(srv);
	return err;
}

/* Answers every waiting request "stopping", so that none stays
 * suspended when the daemon stops. */
static void stop_waiting(struct as_server *srv)
{
	struct req *rq, *next;
	int i;

	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	rq = srv->pending;
	srv->pending = NULL;
	for (next = rq; next; next = next->next) {
		next->stopped = true;
		__atomic_add_fetch(&srv->stopping_left, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&srv->lock);
	for (; rq; rq = next) {
		next = rq->next;
		MHD_resume_connection(rq->conn);
	}
	/* let them have their 503, for a second at most */
	for (i = 0; i < 100 &&
		    __atomic_load_n(&srv->stopping_left, __ATOMIC_ACQUIRE) > 0;
	     i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
}

void server__free(struct as_server *srv)
{
	if (!srv)
		return;
	if (srv->d) {
		stop_waiting(srv);
		MHD_stop_daemon(srv->d);
	}
	proclabels__free(srv->pl);
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	pthread_mutex_destroy(&srv->lock);
	free(srv->token);
	free(srv->cert);
	free(srv->key);
	free(srv);
}
