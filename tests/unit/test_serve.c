// SPDX-License-Identifier: MIT
/*
 * Unit tests for the server's pure parts: cgroup and container id from
 * /proc/PID/cgroup text, the query's checks, and profiles selected and
 * subtracted (profsel), read back through the snapshot reader.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile/pprof.h"
#include "serve/endpoint.h"
#include "serve/proclabels.h"
#include "serve/profsel.h"
#include "serve/query.h"
#include "serve/state.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_str(char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static void test_cgroup(void **state)
{
	(void)state;
	/* cgroup v2 first, when it is not the root */
	expect_str(proclabels__cgroup("4:memory:/a\n0::/system.slice/x\n"),
		   "/system.slice/x");
	/* v2 in the root: the memory hierarchy, then the first one */
	expect_str(proclabels__cgroup("9:name=systemd:/\n5:pids:/p\n"
				      "4:memory:/process_api/1\n0::/\n"),
		   "/process_api/1");
	expect_str(proclabels__cgroup("5:pids:/p\n3:cpu:/\n0::/\n"), "/p");
	/* every one the root, empty, nonsense */
	expect_str(proclabels__cgroup("4:memory:/\n0::/\n"), NULL);
	expect_str(proclabels__cgroup(""), NULL);
	expect_str(proclabels__cgroup("garbage\n::\n1:x\n"), NULL);
	/* the last line without a newline */
	expect_str(proclabels__cgroup("0::/k8s/pod"), "/k8s/pod");
}

static void test_container(void **state)
{
	(void)state;
	expect_str(proclabels__container("/system.slice/docker-" ID64 ".scope"),
		   ID64);
	expect_str(proclabels__container("/docker/" ID64), ID64);
	expect_str(proclabels__container("/kubepods/burstable/podx/"
					 "cri-containerd-" ID64 ".scope"),
		   ID64);
	/* not 64 digits, upper case, none */
	expect_str(proclabels__container("/docker/" ID64 "0"), NULL);
	expect_str(
	    proclabels__container("/docker/0123456789abcdef0123456789abcdef"
				  "-0123456789abcdef0123456789abcdef"),
	    NULL);
	expect_str(
	    proclabels__container("/docker/0123456789ABCDEF0123456789abcdef"
				  "0123456789abcdef0123456789abcdef"),
	    NULL);
	expect_str(proclabels__container("/process_api/63417ff549cf7afe9c08"
					 "4814d9aefe06"),
		   NULL);
}

/* Labels read from /proc, kept while the process lives or is in view. */
static void test_proclabels_cache(void **state)
{
	const struct as_proc_labels *l, *again;
	struct as_proclabels *pl;
	char exe[4096];
	ssize_t n;
	uint32_t self = (uint32_t)getpid(), fake = 4000001;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	assert_int_equal(proclabels__new(&pl), 0);
	l = proclabels__get(pl, self);
	assert_non_null(l);
	assert_string_equal(l->exe, exe);
	assert_ptr_equal(proclabels__get(pl, self), l);
	l = proclabels__get(pl, fake);
	assert_non_null(l);
	assert_null(l->exe);
	assert_null(l->cgroup);
	/* kept while in view, or alive */
	proclabels__keep(pl, &fake, 1);
	proclabels__keep(pl, NULL, 0);
	again = proclabels__get(pl, self);
	assert_string_equal(again->exe, exe);
	proclabels__refresh(pl, self);
	assert_string_equal(proclabels__get(pl, self)->exe, exe);
	proclabels__free(pl);
}

static int param(struct as_prof_query *q, unsigned *seen, const char *k,
		 const char *v, char *why)
{
	return query__param(q, seen, k, v, why, 160);
}

/* A first parameter that is refused. */
static int bad(struct as_prof_query *q, const char *k, const char *v, char *why)
{
	unsigned seen = 0;

	return query__param(q, &seen, k, v, why, 160);
}

static void test_query(void **state)
{
	struct as_prof_query q = {0};
	unsigned seen = 0;
	char why[160] = "", big[5000];

	(void)state;
	assert_int_equal(param(&q, &seen, "pid", "4242", why), 0);
	assert_int_equal(param(&q, &seen, "comm", "orders", why), 0);
	assert_int_equal(param(&q, &seen, "cgroup", "/docker", why), 0);
	assert_int_equal(param(&q, &seen, "seconds", "300", why), 0);
	assert_int_equal(param(&q, &seen, "gc", "1", why), 0);
	assert_int_equal(param(&q, &seen, "debug", "0", why), 0);
	assert_int_equal(q.pid, 4242);
	assert_string_equal(q.comm, "orders");
	assert_string_equal(q.cgroup, "/docker");
	assert_int_equal(q.seconds, 300);

	assert_int_equal(param(&q, &seen, "pid", "1", why), -EINVAL);
	assert_string_equal(why, "parameter pid given twice");
	assert_int_equal(bad(&q, "seconds", "301", why), -EINVAL);
	assert_string_equal(why, "seconds=301 is above the maximum, 300");
	assert_int_equal(bad(&q, "seconds", "-1", why), -EINVAL);
	assert_int_equal(bad(&q, "seconds", NULL, why), -EINVAL);
	assert_string_equal(why, "invalid seconds '': expected 1 to 300");
	assert_int_equal(bad(&q, "pid", "4194305", why), -EINVAL);
	assert_int_equal(bad(&q, "pid", " 1", why), -EINVAL);
	assert_int_equal(bad(&q, "comm", "", why), -EINVAL);
	assert_int_equal(bad(&q, "comm", "0123456789abcdef", why), -EINVAL);
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = 0;
	assert_int_equal(bad(&q, "cgroup", big, why), -EINVAL);
	assert_int_equal(bad(&q, "debug", "2", why), -EINVAL);
	assert_string_equal(why, "debug=2 is not served: only the binary "
				 "profile (debug=0); read it with go tool "
				 "pprof");
	assert_int_equal(bad(&q, "pids", "1", why), -EINVAL);
	assert_string_equal(why, "unknown parameter 'pids': expected pid, "
				 "comm, cgroup or seconds");
}

/* One process @pid ("p@pid"), samples at addresses 0x10 and 0x20 with
 * @scale times the values. */
static struct as_snapshot *moment(uint32_t pid, int64_t scale, bool second)
{
	struct as_snapshot *s = snapshot__new();
	int m, l1, l2;
	uint32_t a[1], b[2];

	assert_non_null(s);
	assert_int_equal(snapshot__set_meta(s, "t", "h", "c"), 0);
	assert_true(snapshot__add_process(s, pid, "p") >= 0);
	s->processes[0].current_bytes = 100 * scale;
	m = snapshot__add_module(s, "/bin/p", "beef", 0x0, 0x1000, 0);
	l1 = snapshot__add_location(s, 0x10, m, 0x10);
	l2 = snapshot__add_location(s, 0x20, m, 0x20);
	assert_int_equal(snapshot__add_line(s, (uint32_t)l1, "f", "p.c", 1), 0);
	assert_int_equal(snapshot__add_line(s, (uint32_t)l2, "g", "p.c", 2), 0);
	a[0] = (uint32_t)l1;
	b[0] = (uint32_t)l2;
	b[1] = (uint32_t)l1;
	assert_true(snapshot__add_sample(s, pid, a, 1, 10 * scale, scale,
					 20 * scale, 2 * scale) >= 0);
	if (second)
		assert_true(snapshot__add_sample(s, pid, b, 2, 7, 1, 7, 1) >=
			    0);
	assert_int_equal(snapshot__set_counter(s, "events_lost", 3 * scale), 0);
	return s;
}

static struct as_snapshot *select_and_read(struct as_served *now,
					   struct as_served *base,
					   const struct as_prof_query *q)
{
	struct as_snapshot *r = NULL;
	uint8_t *buf = NULL;
	char err[256];
	size_t len;

	assert_int_equal(
	    profsel__encode(now, base, q, "alloc_space", &buf, &len, err, 256),
	    0);
	assert_int_equal(snapshot__read_mem(buf, len, &r, err, 256), 0);
	free(buf);
	return r;
}

static void test_profsel(void **state)
{
	struct as_proclabels *pl;
	struct as_served *old, *now;
	struct as_prof_query q = {0};
	struct as_snapshot *r;

	(void)state;
	assert_int_equal(proclabels__new(&pl), 0);
	/* pids no process has: no labels */
	assert_int_equal(served__new(moment(4000001, 1, false), 1.0, pl, &old),
			 0);
	assert_int_equal(served__new(moment(4000001, 3, true), 2.0, pl, &now),
			 0);
	/* the moment as it is */
	r = select_and_read(now, NULL, &q);
	assert_int_equal(r->nsamples, 2);
	assert_int_equal(r->samples[0].size, 30);
	snapshot__free(r);
	/* the delta: the first stack 3x - 1x, the new one whole */
	q.seconds = 1;
	r = select_and_read(now, old, &q);
	assert_int_equal(r->nsamples, 2);
	assert_int_equal(r->samples[0].size, 20);
	assert_int_equal(r->samples[0].count, 2);
	assert_int_equal(r->samples[0].alloc_size, 40);
	assert_int_equal(r->samples[0].alloc_count, 4);
	assert_int_equal(r->samples[1].size, 7);
	assert_int_equal(r->samples[1].nlocs, 2);
	assert_int_equal(snapshot__counter(r, "events_lost"), 6);
	assert_int_equal(r->processes[0].current_bytes, 300);
	assert_int_equal(r->start.tv_sec, old->snap->time.tv_sec);
	snapshot__free(r);
	/* the other way: a stack gone is negative, no change is left out */
	r = select_and_read(old, now, &q);
	assert_int_equal(r->nsamples, 2);
	assert_int_equal(r->samples[0].size, -20);
	assert_int_equal(r->samples[1].size, -7);
	snapshot__free(r);
	r = select_and_read(now, now, &q);
	assert_int_equal(r->nsamples, 0);
	snapshot__free(r);
	/* selections */
	q = (struct as_prof_query){.pid = 4000002};
	r = select_and_read(now, NULL, &q);
	assert_int_equal(r->nsamples, 0);
	assert_int_equal(r->nprocesses, 0);
	snapshot__free(r);
	q = (struct as_prof_query){.comm = "p", .cgroup = "/"};
	r = select_and_read(now, NULL, &q);
	assert_int_equal(r->nsamples, 2);
	snapshot__free(r);
	q = (struct as_prof_query){.cgroup = "/docker"};
	r = select_and_read(now, NULL, &q);
	assert_int_equal(r->nsamples, 0);
	snapshot__free(r);
	served__put(old);
	served__put(now);
	proclabels__free(pl);
}

/* Names a traced program chose are escaped in both text formats. */
static void test_escaping(void **state)
{
	struct as_snapshot *s = moment(4000001, 1, false);
	struct as_proclabels *pl;
	struct as_served *st;
	struct as_reply r;
	int i;

	(void)state;
	free(s->processes[0].comm);
	s->processes[0].comm = strdup("a\"b\\<i>\n\xff");
	i = snapshot__add_process(s, 4000002, "second");
	assert_true(i > 0);
	s->processes[i].current_bytes = 5;
	assert_int_equal(proclabels__new(&pl), 0);
	assert_int_equal(served__new(s, 1.0, pl, &st), 0);

	assert_int_equal(ep_metrics__reply(st, 1, &r), 0);
	assert_int_equal(r.status, 200);
	r.body[r.len] = 0;
	assert_non_null(strstr(r.body, "allocsnoop_live_bytes{pid=\"4000001\","
				       "comm=\"a\\\"b\\\\<i>\\n?\"} 100\n"));
	/* the top 1 only, then the total */
	assert_null(strstr(r.body, "pid=\"4000002\""));
	assert_non_null(strstr(r.body, "allocsnoop_live_bytes{pid=\"all\"} "
				       "105\n"));
	assert_non_null(strstr(r.body, "allocsnoop_lost_total{reason=\""
				       "events_lost\"} 3\n"));
	free(r.body);

	assert_int_equal(ep_index__reply(st, &r), 0);
	r.body[r.len] = 0;
	assert_non_null(strstr(r.body, "<td>a&quot;b\\&lt;i&gt;\n\xef\xbf\xbd"
				       "</td>"));
	assert_non_null(
	    strstr(r.body, "href=\"debug/pprof/heap?pid=4000002\""));
	assert_null(strstr(r.body, "<script"));
	free(r.body);
	served__put(st);
	proclabels__free(pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cgroup),
	    cmocka_unit_test(test_container),
	    cmocka_unit_test(test_proclabels_cache),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_profsel),
	    cmocka_unit_test(test_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
