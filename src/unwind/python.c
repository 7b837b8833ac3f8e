// SPDX-License-Identifier: MIT
/*
 * python.c - CPython processes: detection, their py_procs entries, and
 * their code objects.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "symbolize/elfsym.h"
#include "symbolize/procmaps.h"
#include "symbolize/pycode.h"
#include "unwind/glibc_tsd.h"
#include "unwind/python.h"
#include "unwind/python_types.h"
#include "util/buf.h"
#include "util/u64map.h"

struct py_proc {
	pid_t pid;
	bool ready;	    /* its py_procs entry is written */
	bool gone;	    /* forgotten: its slot is free */
	bool refined;	    /* the layout was checked against DWARF */
	double ready_at;    /* CLOCK_MONOTONIC seconds its entry was written */
	double seen_at;	    /* and it was recognised */
	bool handed;	    /* python__take_interpreter() gave it out */
	uint64_t rt_offset; /* of _PyRuntime in the interpreter file */
	unsigned tries;	    /* reads of a Py_tss_t that was not one */
	bool typed;	    /* its type objects were read (types_check) */
	int refused;	    /* a final error proc_setup said (with -v) */
	bool tsd_read;	    /* its glibc's layout was read, into @tsd */
	int tsd_err;	    /* of that read */
	struct as_tsd_layout tsd;
	char tsd_path[PATH_MAX]; /* the file it was read from */
	struct as_py_layout layout;
	char path[PATH_MAX]; /* the interpreter file, to read its DWARF */
	dev_t dev;
	ino_t ino;
};

/* An interpreter file's layout from its DWARF, read once. */
struct py_file {
	dev_t dev;
	ino_t ino;
	int err; /* of python_offsets__from_dwarf */
	struct as_py_layout layout;
};

struct py_code {
	pid_t pid;
	uint64_t key; /* the entry's code object address and guard bits */
	struct as_pycode code;
};

struct as_python {
	int map_fd;
	bool verbose;
	struct as_tsd_self tsd; /* this process's glibc */
	struct py_proc *procs;
	size_t nprocs, cap_procs;
	struct py_code *codes;
	size_t ncodes, cap_codes;
	struct py_file *files;
	size_t nfiles, cap_files;
	struct as_u64map *code_idx; /* hash(pid, address) -> codes[] */
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int python__new(int py_procs_fd, bool verbose, struct as_python **out)
{
	struct as_python *py = calloc(1, sizeof(*py));

	if (!py || u64map__new(&py->code_idx)) {
		free(py);
		return -ENOMEM;
	}
	py->map_fd = py_procs_fd;
	py->verbose = verbose;
	glibc_tsd__self(&py->tsd);
	*out = py;
	return 0;
}

void python__free(struct as_python *py)
{
	if (!py)
		return;
	for (size_t i = 0; i < py->ncodes; i++)
		pycode__clear(&py->codes[i].code);
	free(py->codes);
	u64map__free(py->code_idx);
	free(py->procs);
	free(py->files);
	free(py);
}

/* --- detection --------------------------------------------------------- */

struct find_ctx {
	char path[PATH_MAX]; /* a path this process can open */
	char name[PATH_MAX]; /* as the process maps it */
	dev_t dev;
	ino_t ino;
	int minor; /* from the file name, -1 none */
	bool lib;
};

/* 3.N from "libpython3.N..." or "python3.N"; -1 when not such a name. */
static int name_minor(const char *base, bool *lib)
{
	const char *p = base;
	char *end;
	long v;

	*lib = strncmp(p, "libpython3.", 11) == 0;
	if (*lib)
		p += 11;
	else if (strncmp(p, "python3.", 8) == 0)
		p += 8;
	else
		return -1;
	if (!isdigit((unsigned char)*p))
		return -1;
	v = strtol(p, &end, 10);
	if (!*lib && *end && strcmp(end, "d") != 0)
		return -1; /* python3.11-config and the like */
	return v >= 0 && v < 100 ? (int)v : -1;
}

static int find_file(const struct as_mapped_file *f, void *arg)
{
	struct find_ctx *c = arg;
	const char *base = strrchr(f->mapped_path, '/');
	bool lib;
	int minor = name_minor(base ? base + 1 : f->mapped_path, &lib);

	if (minor < 0 || (c->minor >= 0 && c->lib))
		return 0;
	snprintf(c->path, sizeof(c->path), "%s", f->path);
	snprintf(c->name, sizeof(c->name), "%s", f->mapped_path);
	c->dev = f->dev;
	c->ino = f->ino;
	c->minor = minor;
	c->lib = lib;
	return lib; /* a libpython is the one; an executable may map one */
}

/* The minor version from Py_Version (PY_VERSION_HEX), else the name's. */
static int version_of(const struct find_ctx *c)
{
	struct as_elfsym s;
	uint64_t hex;

	if (elfsym__lookup_object(c->path, "Py_Version", &s) == 0 &&
	    elfsym__read(c->path, s.file_offset, &hex, sizeof(hex)) == 0 &&
	    (hex >> 24) == 3)
		return (int)(hex >> 16 & 0xff);
	return c->minor;
}

static struct py_proc *proc_find(struct as_python *py, pid_t pid)
{
	for (size_t i = 0; i < py->nprocs; i++)
		if (py->procs[i].pid == pid && !py->procs[i].gone)
			return &py->procs[i];
	return NULL;
}

/*
 * The interpreter's TSS key of @p into *@key: 1 when it exists, 0 while
 * it does not yet, or a negative errno. Where _PyRuntime is, is read
 * again each time: the loader may have been mapping the file at the last
 * look.
 */
static int tss_key(const struct py_proc *p, uint32_t *key)
{
	uint32_t tss[2]; /* Py_tss_t: _is_initialized, _key */
	struct iovec local = {tss, sizeof(tss)};
	struct iovec remote = {NULL, sizeof(tss)};
	uint64_t rt;
	int err;

	err = procmaps__file_addr(p->pid, p->dev, p->ino, p->rt_offset, &rt);
	if (err)
		return err == -ENOENT ? 0 : err;
	remote.iov_base = (void *)(uintptr_t)(rt + p->layout.runtime_tss);
	if (process_vm_readv(p->pid, &local, 1, &remote, 1, 0) != sizeof(tss))
		return -errno;
	*key = tss[1];
	if (tss[0] > 1)
		return -EPROTO; /* not a Py_tss_t: not mapped yet, or the
				   layout is wrong */
	return (int)tss[0];
}

/* The bytes of a frame the BPF side reads: up to its last field's word. */
static uint16_t frame_span(const struct as_py_layout *l)
{
	const uint16_t offs[] = {
	    l->fr_code,
	    l->fr_previous,
	    l->fr_instr,
	    l->owner_cstack != AS_PY_NO_OWNER ? l->fr_owner : 0,
	    l->fr_entry != AS_PY_NO_ENTRY ? l->fr_entry : 0,
	};
	uint16_t last =
	    python_offsets__last(offs, sizeof(offs) / sizeof(*offs));

	return (uint16_t)((last & ~7) + 8);
}

static int types_check(struct as_python *py, struct py_proc *p);
static int not_walked(struct as_python *py, pid_t pid, const char *why,
		      int err);

/*
 * Where @p's threads keep the value of @key, by its own glibc's layout
 * (read once). A key with no place is refused, said.
 */
static int tsd_place(struct as_python *py, struct py_proc *p, uint32_t key,
		     struct as_tsd_place *out)
{
	char why[256];

	if (!p->tsd_read) {
		p->tsd_read = true;
		p->tsd_err = glibc_tsd__of_process(p->pid, &p->tsd, p->tsd_path,
						   sizeof(p->tsd_path));
	}
	if (p->tsd_err == -ESRCH)
		return -ESRCH;
	if (glibc_tsd__place(&py->tsd, p->tsd_err ? NULL : &p->tsd, key, out) ==
	    0)
		return 0;
	snprintf(why, sizeof(why),
		 "its TSS key %u has no known place in glibc's "
		 "thread-specific data (its glibc's thread_db descriptors: "
		 "%s)",
		 key, p->tsd_err ? strerror(-p->tsd_err) : "past specific[]");
	p->refused = not_walked(py, p->pid, why, -ENOTSUP);
	return p->refused;
}

/* Writes @p's py_procs entry once its TSS key exists. 1 when written. */
static int proc_setup(struct as_python *py, struct py_proc *p)
{
	struct as_py_proc cfg = {0};
	const struct as_py_layout *l = &p->layout;
	struct as_tsd_place at;
	uint32_t tss[2] = {0};
	__u32 key = (__u32)p->pid;
	int err;

	err = tss_key(p, &tss[1]);
	/* a few hundred polls (seconds) to get past the loader's work */
	if (err == -EPROTO && ++p->tries < 500)
		return 0;
	if (err <= 0)
		return err;
	/* now that it runs, its type objects are relocated */
	if (!p->typed)
		p->refused = types_check(py, p);
	if (p->refused)
		return p->refused;
	err = tsd_place(py, p, tss[1], &at);
	if (err)
		return err;
	cfg.tsd_off = at.off;
	cfg.tsd_indirect = at.indirect;
	cfg.tsd_l2 = at.l2;
	cfg.ts_frame = l->ts_frame;
	cfg.cf_frame = l->cf_frame;
	cfg.fr_code = l->fr_code;
	cfg.fr_previous = l->fr_previous;
	cfg.fr_instr = l->fr_instr;
	cfg.fr_owner = l->fr_owner;
	cfg.fr_entry = l->fr_entry;
	cfg.co_firstlineno = l->co_firstlineno;
	cfg.code_adaptive = l->co_code_adaptive;
	cfg.fr_read = frame_span(l);
	cfg.owner_cstack = l->owner_cstack;
	cfg.flags = l->flags;
	if (bpf_map_update_elem(py->map_fd, &key, &cfg, BPF_ANY))
		return -errno;
	p->ready = true;
	p->ready_at = mono_s();
	if (py->verbose)
		fprintf(
		    stderr,
		    "allocsnoop: pid %d: CPython 3.%d, offsets from the %s, "
		    "thread state from TSS key %u%s%s%s: Python frames "
		    "walked\n",
		    (int)p->pid, l->minor, l->source, tss[1],
		    at.indirect ? " through struct pthread's specific[], "
				  "as its glibc's thread_db descriptors "
				  "lay it out ("
				: "",
		    at.indirect ? p->tsd_path : "", at.indirect ? ")" : "");
	return 1;
}

/* Says once (with -v) why @pid's Python frames are not walked. */
static int not_walked(struct as_python *py, pid_t pid, const char *why, int err)
{
	if (py->verbose)
		fprintf(stderr,
			"allocsnoop: pid %d: CPython, but its Python frames "
			"are not walked: %s\n",
			(int)pid, why);
	return err;
}

/* 3.13+: the layouts from _Py_DebugOffsets, whose initial value is in the
 * file, at _PyRuntime @rt. The table's stay when it cannot be read. */
static void debug_layout(const struct find_ctx *c, const struct as_elfsym *rt,
			 struct as_py_layout *l)
{
	uint8_t buf[AS_PY_DEBUG_OFFSETS_SIZE];

	if (l->minor >= 13 &&
	    elfsym__read(c->path, rt->file_offset, buf, sizeof(buf)) == 0)
		python_offsets__from_debug(buf, sizeof(buf), l);
}

/* A CPython 3.10+ in @c: its state, not yet set up, into @p. */
static int proc_detect(struct as_python *py, pid_t pid,
		       const struct find_ctx *c, struct py_proc *p)
{
	struct as_elfsym rt;
	int minor = version_of(c), err;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (python_offsets__get(minor, &p->layout))
		return not_walked(py, pid,
				  "its version has no known layout "
				  "(3.10 to 3.13 are)",
				  -ENOTSUP);
	err = elfsym__lookup_object(c->path, "_PyRuntime", &rt);
	/* an executable without it maps a libpython, maybe not yet */
	if (err == -ENOENT && !c->lib)
		return -ENOENT;
	if (err)
		return not_walked(py, pid, "_PyRuntime was not found", err);
	p->rt_offset = rt.file_offset;
	debug_layout(c, &rt, &p->layout);
	/* DWARF is read later (python__poll): it can take 0.3 s, and
	 * the table walks the frames meanwhile */
	/* (3.13's _Py_DebugOffsets lack the TSS key: DWARF checks it) */
	p->refined = false;
	snprintf(p->path, sizeof(p->path), "%s", c->path);
	p->dev = c->dev;
	p->ino = c->ino;
	return 0;
}

int python__scan(struct as_python *py, pid_t pid)
{
	struct find_ctx c = {.minor = -1};
	struct py_proc p, *slot;
	int err;

	if (proc_find(py, pid))
		return 0;
	err = procmaps__for_each_file(pid, find_file, &c);
	if (err < 0 || c.minor < 0)
		return 0;
	err = proc_detect(py, pid, &c, &p);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (BUF_RESERVE(py->procs, py->cap_procs, py->nprocs + 1))
		return -ENOMEM;
	slot = &py->procs[py->nprocs++];
	*slot = p;
	slot->seen_at = mono_s();
	err = proc_setup(py, slot);
	if (err < 0 && err == slot->refused)
		return err; /* said */
	return err < 0 ? not_walked(py, pid, strerror(-err), err) : 0;
}

int python__scan_all(struct as_python *py)
{
	struct dirent *de;
	char *end;
	long pid;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid = strtol(de->d_name, &end, 10);
		if (!*end && pid > 0 && pid != getpid())
			python__scan(py, (pid_t)pid);
	}
	closedir(d);
	return 0;
}

bool python__pending(const struct as_python *py)
{
	const struct py_proc *p;

	/* one that has not made its key in 10 s is looked at less often:
	 * at every wake-up of the event loop */
	for (size_t i = 0; i < py->nprocs; i++) {
		p = &py->procs[i];
		if (!p->gone && (!p->ready || !p->refined) &&
		    mono_s() - p->seen_at < 10)
			return true;
	}
	return false;
}

/* The DWARF layout of @p's file over @l, read once per file. */
static int file_layout(struct as_python *py, const struct py_proc *p,
		       struct as_py_layout *l)
{
	struct py_file *f;

	for (size_t i = 0; i < py->nfiles; i++) {
		f = &py->files[i];
		if (f->dev == p->dev && f->ino == p->ino) {
			if (!f->err)
				*l = f->layout;
			return f->err;
		}
	}
	if (BUF_RESERVE(py->files, py->cap_files, py->nfiles + 1))
		return -ENOMEM;
	f = &py->files[py->nfiles++];
	f->dev = p->dev;
	f->ino = p->ino;
	f->layout = *l;
	f->err = python_offsets__from_dwarf(p->path, &f->layout);
	if (!f->err)
		*l = f->layout;
	return f->err;
}

/*
 * When @p's layout is the table's: the code object and string fields its
 * type objects give, checked against the table. Types that disagree mean
 * another build than the table's (a debug build, say): then its DWARF, or
 * no walk (-EPROTO, said). Unreadable types leave the table alone.
 */
static int types_check(struct as_python *py, struct py_proc *p)
{
	struct as_py_layout l = p->layout;
	struct as_py_types_at at;
	unsigned got, want;
	const char *field;
	char why[256];
	int err;

	p->typed = true;
	if (strcmp(l.source, "built-in table") != 0)
		return 0; /* _Py_DebugOffsets */
	err = python_types__locate(p->pid, p->path, p->dev, p->ino, &at);
	err = err ?: python_types__read(p->pid, &at, &l);
	if (err)
		return err == -ESRCH ? err : 0;
	field = python_types__differs(&l, &p->layout, &got, &want);
	if (!field) {
		p->layout.source = "type objects and the built-in table";
		return 0;
	}
	l = p->layout;
	p->refined = true;
	if (file_layout(py, p, &l) == 0) {
		l.source = "interpreter's DWARF (its type objects disagree "
			   "with the built-in table)";
		p->layout = l;
		return 0;
	}
	snprintf(why, sizeof(why),
		 "its type objects put %s at 0x%x, the built-in table of "
		 "3.%d at 0x%x: it is not the build the table describes (a "
		 "debug build?), and has no DWARF to say its layout",
		 field, got, l.minor, want);
	return not_walked(py, p->pid, why, -EPROTO);
}

/* Replaces the table's layout of @p by its interpreter's DWARF, and its
 * py_procs entry when they differ. */
static void proc_refine(struct as_python *py, struct py_proc *p)
{
	struct as_py_layout l = p->layout;
	int err;

	p->refined = true;
	err = file_layout(py, p, &l);
	if (err) {
		if (py->verbose)
			fprintf(stderr,
				"allocsnoop: pid %d: CPython 3.%d: its "
				"interpreter has no DWARF layout (%s): offsets "
				"stay from the %s\n",
				(int)p->pid, p->layout.minor, strerror(-err),
				p->layout.source);
		return;
	}
	l.source = p->layout.source;
	if (memcmp(&l, &p->layout, sizeof(l)) != 0) {
		l.source = "interpreter's DWARF (not the table)";
		p->layout = l;
		p->ready = false;
		proc_setup(py, p);
		return;
	}
	p->layout.source = "built-in table, as the interpreter's DWARF says";
	if (py->verbose)
		fprintf(stderr,
			"allocsnoop: pid %d: CPython 3.%d: offsets checked "
			"against the interpreter's DWARF\n",
			(int)p->pid, p->layout.minor);
}

void python__poll(struct as_python *py)
{
	struct py_proc *p;
	int err;

	for (size_t i = 0; i < py->nprocs; i++) {
		p = &py->procs[i];
		if (p->gone)
			continue;
		if (p->ready) {
			/* not while it starts: the event loop is needed
			 * then, for the code objects of its imports */
			if (!p->refined && mono_s() - p->ready_at >= 1)
				proc_refine(py, p);
			continue;
		}
		err = proc_setup(py, p);
		if (err < 0) {
			/* gone, or a key we cannot follow: stop asking */
			p->gone = true;
			if (err != -ESRCH && err != p->refused)
				not_walked(py, p->pid, strerror(-err), err);
		}
	}
}

void python__forget(struct as_python *py, pid_t pid)
{
	struct py_proc *p = proc_find(py, pid);
	__u32 key = (__u32)pid;

	if (!p)
		return;
	p->gone = true;
	bpf_map_delete_elem(py->map_fd, &key);
}

/* --- code objects ------------------------------------------------------ */

struct code_key {
	const struct as_python *py;
	pid_t pid;
	uint64_t key; /* the code object's address | its guard bits */
};

static bool code_is(uint64_t idx, const void *arg)
{
	const struct code_key *k = arg;
	const struct py_code *c = &k->py->codes[idx];

	return c->pid == k->pid && c->key == k->key;
}

static uint64_t code_hash(pid_t pid, uint64_t key)
{
	return u64map__hash_u64(u64map__hash_u64(U64MAP_HASH_INIT, pid), key);
}

/* The layout of @pid, also after it was forgotten (its last report). */
static const struct as_py_layout *layout_of(const struct as_python *py,
					    pid_t pid)
{
	for (size_t i = py->nprocs; i-- > 0;)
		if (py->procs[i].pid == pid)
			return &py->procs[i].layout;
	return NULL;
}

/* Is the cached @c still the code object at its address? */
static bool still_valid(pid_t pid, const struct as_py_layout *l,
			const struct as_pycode *c)
{
	struct as_pycode head;

	/* unreadable: the process is gone, and what we read stays true */
	if (pycode__read_head(pid, l, c->addr, &head))
		return true;
	return head.filename_ptr == c->filename_ptr &&
	       head.qualname_ptr == c->qualname_ptr &&
	       head.linetable_ptr == c->linetable_ptr &&
	       head.firstlineno == c->firstlineno;
}

/*
 * Reads the code object of @key (address | guard bits) of @pid into
 * @out: -ESTALE when the key has guard bits and the one there now has
 * others, so is not the one the stack saw.
 */
static int code_read(pid_t pid, const struct as_py_layout *l, uint64_t key,
		     struct as_pycode *out)
{
	int err = pycode__read(pid, l, key & AS_PY_CODE_MASK, out);

	if (err)
		return err;
	if ((key & AS_PY_GUARD_MASK) &&
	    as_py_guard((uint32_t)out->firstlineno) !=
		(key & AS_PY_GUARD_MASK)) {
		pycode__clear(out);
		return -ESTALE;
	}
	return 0;
}

/* The code object of @key (address | guard bits) of @pid, read now or
 * before; checked against the process when @check. */
static const struct as_pycode *code_get(struct as_python *py, pid_t pid,
					uint64_t key, bool check)
{
	const struct as_py_layout *l = layout_of(py, pid);
	struct code_key k = {py, pid, key};
	struct as_pycode fresh;
	struct py_code *c;
	uint64_t idx;

	if (!l)
		return NULL;
	if (u64map__find(py->code_idx, code_hash(pid, key), code_is, &k,
			 &idx)) {
		c = &py->codes[idx];
		if (check && !still_valid(pid, l, &c->code) &&
		    code_read(pid, l, key, &fresh) == 0) {
			pycode__clear(&c->code);
			c->code = fresh;
		}
		return &c->code;
	}
	if (code_read(pid, l, key, &fresh))
		return NULL;
	if (BUF_RESERVE(py->codes, py->cap_codes, py->ncodes + 1) ||
	    u64map__add(py->code_idx, code_hash(pid, key), py->ncodes)) {
		pycode__clear(&fresh);
		return NULL;
	}
	c = &py->codes[py->ncodes++];
	c->pid = pid;
	c->key = key;
	c->code = fresh;
	return &c->code;
}

/* The code object's part of a stack entry: its address and guard. */
static uint64_t entry_key(uint64_t entry)
{
	return entry & (AS_PY_CODE_MASK | AS_PY_GUARD_MASK);
}

void python__prefetch(struct as_python *py, pid_t pid, uint64_t entry,
		      bool check)
{
	code_get(py, pid, entry_key(entry), check);
}

const char *python__take_interpreter(struct as_python *py, pid_t *pid)
{
	struct py_proc *p;

	for (size_t i = 0; i < py->nprocs; i++) {
		p = &py->procs[i];
		if (p->gone || !p->ready || !p->refined || p->handed ||
		    mono_s() - p->ready_at < 1)
			continue;
		p->handed = true;
		*pid = p->pid;
		return p->path;
	}
	return NULL;
}

bool python__any(const struct as_python *py)
{
	for (size_t i = 0; i < py->nprocs; i++)
		if (py->procs[i].ready && !py->procs[i].gone)
			return true;
	return false;
}

int python__resolve(struct as_python *py, pid_t pid, uint64_t entry,
		    struct as_py_frame *out)
{
	const struct as_pycode *c = code_get(py, pid, entry_key(entry), true);
	const struct as_py_layout *l = layout_of(py, pid);
	uint32_t idx = (uint32_t)(entry >> AS_PY_INSTR_SHIFT & AS_PY_INSTR_MAX);

	if (!c || !l)
		return -ENOENT;
	out->function = c->qualname;
	out->file = c->filename;
	/* 3.10's index is f_lasti + 1 (allocsnoop.h) */
	if (l->flags & AS_PY_F_LASTI)
		out->line = pycode__line_310(c->linetable, c->linetable_len,
					     c->firstlineno, (int)idx - 1);
	else
		out->line = pycode__line(c->linetable, c->linetable_len,
					 c->firstlineno, idx);
	return 0;
}
