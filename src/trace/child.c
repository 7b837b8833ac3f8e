// SPDX-License-Identifier: MIT
/* child.c - fork, hold, exec and reap the -c command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include "trace/child.h"

struct as_child {
	pid_t pid;
	int go_fd;   /* write end: one byte releases the child */
	bool traced; /* ptrace exit hold in place */
	bool ended;
	int status;
	char program[4096];
};

/* PATH lookup as execvp would do it, to fail before attaching. */
static int find_program(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	struct stat st;

	if (strchr(name, '/')) {
		if (stat(name, &st))
			return -errno;
		if (!S_ISREG(st.st_mode) || access(name, X_OK))
			return -EACCES;
		snprintf(buf, len, "%s", name);
		return 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(buf, len, "%.*s/%s", (int)(end - p), *p ? p : ".",
			 name);
		if (!stat(buf, &st) && S_ISREG(st.st_mode) &&
		    !access(buf, X_OK))
			return 0;
	}
	return -ENOENT;
}

int child__spawn(const char *cmdline, const sigset_t *mask, bool verbose,
		 struct as_child **out)
{
	int go[2] = {-1, -1}, err = 0, rc;
	char prog[4096], c;
	struct as_child *ch = NULL;
	wordexp_t we;
	bool we_ok = false;

	rc = wordexp(cmdline, &we, WRDE_NOCMD | WRDE_SHOWERR);
	if (rc || we.we_wordc == 0) {
		fprintf(stderr,
			"allocsnoop: cannot parse command '%s'%s; quote it "
			"as one argument: -c 'prog arg1 arg2'\n",
			cmdline,
			rc == WRDE_CMDSUB ? " (command substitution is "
					    "not allowed)"
					  : "");
		if (!rc)
			wordfree(&we);
		return -EINVAL;
	}
	we_ok = true;
	err = find_program(we.we_wordv[0], prog, sizeof(prog));
	if (err) {
		fprintf(stderr,
			"allocsnoop: cannot run '%s': %s; check the command "
			"name and PATH\n",
			we.we_wordv[0], strerror(-err));
		goto cleanup;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch || pipe2(go, O_CLOEXEC)) {
		err = ch ? -errno : -ENOMEM;
		goto cleanup;
	}
	ch->pid = fork();
	if (ch->pid < 0) {
		err = -errno;
		fprintf(stderr, "allocsnoop: cannot fork: %s\n",
			strerror(-err));
		goto cleanup;
	}
	if (ch->pid == 0) {
		close(go[1]);
		sigprocmask(SIG_SETMASK, mask, NULL);
		/* Wait until the probes are attached; EOF means the tracer
		 * gave up, so do not run untraced. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execv(prog, we.we_wordv);
		fprintf(stderr, "allocsnoop: cannot exec '%s': %s\n", prog,
			strerror(errno));
		_exit(127);
	}
	close(go[0]);
	go[0] = -1;
	ch->go_fd = go[1];
	go[1] = -1;
	if (ptrace(PTRACE_SEIZE, ch->pid, NULL,
		   (void *)(long)PTRACE_O_TRACEEXIT) == 0)
		ch->traced = true;
	else if (verbose)
		fprintf(stderr,
			"allocsnoop: cannot hold the command at exit (ptrace: "
			"%s); a library it loads late may stay unsymbolized\n",
			strerror(errno));
	snprintf(ch->program, sizeof(ch->program), "%s", prog);
	*out = ch;
	ch = NULL;
cleanup:
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	if (we_ok)
		wordfree(&we);
	free(ch);
	return err;
}

pid_t child__pid(const struct as_child *ch)
{
	return ch->pid;
}

const char *child__program(const struct as_child *ch)
{
	return ch->program;
}

int child__release(struct as_child *ch)
{
	char c = 1;
	int err = 0;

	if (write(ch->go_fd, &c, 1) != 1)
		err = -errno;
	close(ch->go_fd);
	ch->go_fd = -1;
	return err;
}

int child__reap(struct as_child *ch, void (*at_exit)(pid_t pid, void *ctx),
		void *ctx)
{
	int st, sig, event;
	pid_t r;

	while (!ch->ended) {
		r = waitpid(ch->pid, &st, WNOHANG | __WALL);
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ch->ended = true; /* reaped elsewhere: unknown */
			ch->status = 1;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			ch->ended = true;
			ch->status = WIFEXITED(st) ? WEXITSTATUS(st)
						   : 128 + WTERMSIG(st);
			break;
		}
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		event = st >> 16;
		if (event == PTRACE_EVENT_EXIT) {
			if (at_exit)
				at_exit(ch->pid, ctx);
			ptrace(PTRACE_DETACH, ch->pid, NULL, NULL);
			ch->traced = false;
		} else if (event == PTRACE_EVENT_STOP) {
			/* group stop (SIGSTOP, Ctrl-Z): stay stopped */
			ptrace(PTRACE_LISTEN, ch->pid, NULL, NULL);
		} else {
			/* signal-delivery stop: pass the signal on */
			ptrace(
			    PTRACE_CONT, ch->pid, NULL,
			    (void *)(long)(sig == SIGTRAP && event ? 0 : sig));
		}
	}
	return 1;
}

int child__status(const struct as_child *ch)
{
	return ch->status;
}

void child__free(struct as_child *ch)
{
	if (!ch)
		return;
	if (ch->go_fd >= 0)
		close(ch->go_fd); /* an unreleased child exits on EOF */
	if (!ch->ended) {
		if (ch->traced)
			ptrace(PTRACE_DETACH, ch->pid, NULL, NULL);
		kill(ch->pid, SIGTERM);
		waitpid(ch->pid, NULL, __WALL);
	}
	free(ch);
}
