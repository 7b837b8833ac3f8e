/* SPDX-License-Identifier: MIT */
/*
 * server.h - --listen: live profiles and metrics over HTTP(S), for go
 * tool pprof, Parca, Pyroscope and Prometheus to pull.
 *
 * Owned by the server module (server.c: libmicrohttpd's lifecycle,
 * routing, limits, the token; the endpoints in ep_*.c).
 *
 * Threads: libmicrohttpd runs one polling thread of its own; the main
 * loop keeps the collector (not thread-safe) to itself. A request is
 * answered from a state collected after it arrived: it is suspended,
 * the main loop is woken (server__wake_fd()), collects when
 * server__due() says (never more than once a second, however many
 * requests wait: one collection answers them all) and publishes the
 * snapshot, which then is immutable and shared by reference count
 * (state.h); the HTTP thread encodes from it (each distinct answer once
 * per state, cache.h) and resumes the request. Encoding, compression and
 * slow clients thus cost the HTTP thread only, never the tracer; the
 * only thing they share is a mutex held for list and pointer updates.
 * This was chosen over libmicrohttpd's external select mode in the main
 * loop, which would have run every encode and TLS handshake on the
 * tracer's thread. Memory stays bounded: a state goes as soon as its
 * answers are queued, and no collection is made while
 * AS_SERVE_MAX_STATES states are alive.
 */
#ifndef ALLOCSNOOP_SERVER_H
#define ALLOCSNOOP_SERVER_H

#include <stdbool.h>

#include "profile/model.h"

struct as_serve_opts {
	const char *listen;	/* [ADDR:]PORT; NULL: not serving */
	const char *token_file; /* --listen-token-file */
	const char *tls_cert;	/* --tls-cert and --tls-key (PEM files) */
	const char *tls_key;
	unsigned metrics_top; /* processes in /metrics */
	bool verbose;	      /* say each request and delta on stderr */
};

#define AS_SERVE_METRICS_TOP 20
/* Connections served at once; beyond, requests get 503; beyond twice
 * as many, connections are closed at once. */
#define AS_SERVE_MAX_CONNS 64
/* ?seconds= profiles at once (each holds its first moment); beyond,
 * 503. */
#define AS_SERVE_MAX_DELTAS 4
/* Collected states alive at once (the deltas' first moments and those
 * being answered); no collection beyond. */
#define AS_SERVE_MAX_STATES (AS_SERVE_MAX_DELTAS + 2)
/* Seconds a connection may stay idle (slow or half-open clients). */
#define AS_SERVE_TIMEOUT 10

struct as_server;

/*
 * Reads the token and certificate files and listens (loopback when
 * @o->listen names no address); says where on stderr. Returns 0, or a
 * negative errno with one line on stderr saying what to do.
 */
int server__new(const struct as_serve_opts *o, struct as_server **out);
void server__free(struct as_server *srv);

/* Readable when a request waits for a collection (for the main loop's
 * epoll). */
int server__wake_fd(const struct as_server *srv);

/*
 * When the main loop must collect next: CLOCK_MONOTONIC seconds (may be
 * in the past), or a negative value when no request waits. Empties the
 * wake fd.
 */
double server__due(struct as_server *srv);

/* A process started (@exec false) or exec'd: its labels are read now,
 * while /proc has them (main thread). */
void server__process_event(struct as_server *srv, uint32_t pid, bool exec);

/*
 * Publishes @snap (taken over; freed with the last request using it),
 * whose collection began at @taken (CLOCK_MONOTONIC seconds), and
 * answers the requests that waited for it. Returns 0 or -ENOMEM.
 */
int server__publish(struct as_server *srv, struct as_snapshot *snap,
		    double taken);

/* The collection begun at @taken failed: the requests that waited for
 * it get a 500 (main thread). */
void server__fail(struct as_server *srv, double taken);

#endif
