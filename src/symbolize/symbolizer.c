// SPDX-License-Identifier: MIT
/*
 * symbolizer.c - file offsets to source lines with libdw.
 *
 * Each distinct object (by build-id, else by dev:inode) gets one offline
 * Dwfl with the file reported at its link-time addresses, so a file offset
 * turns into an ELF virtual address through the PT_LOAD that holds it.
 * Objects and results sit in arrays indexed by u64maps: objects by the
 * hash of their key, results by the hash of (object, file offset,
 * return-address flag). Results live until symbolizer__free().
 */
#include <dlfcn.h>
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "symbolize/symbolizer.h"
#include "util/buf.h"
#include "util/u64map.h"

/* Inline nesting deeper than this is corrupt DWARF, not code. */
#define MAX_INLINE_DEPTH 64

typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len,
			     int *status);

struct sym_load {
	uint64_t offset, filesz, vaddr;
};

/* One object file: its Dwfl and where its segments lie. */
struct sym_object {
	char *key; /* build-id, or "@dev:ino" when there is none */
	uint64_t hash;
	Dwfl *dwfl; /* NULL when the file is not a usable ELF */
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	size_t nloads;
	struct sym_load *loads;
};

struct sym_result {
	const struct sym_object *obj;
	uint64_t offset;
	bool is_return_address;
	uint32_t nlines;
	struct as_line *lines;
};

struct as_symbolizer {
	/* hash of an object's key -> index into objects[] */
	struct as_u64map *object_idx;
	struct sym_object **objects;
	size_t nobjects, cap_objects;
	/* result_hash() -> index into results[] */
	struct as_u64map *result_idx;
	struct sym_result *results;
	size_t nresults, cap_results;
	bool demangle_loaded;
	void *libstdcxx;
	demangle_fn demangle;
};

/*
 * Offline reporting: debug info comes from the file itself, from
 * /usr/lib/debug/.build-id or through .gnu_debuglink.
 */
static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

int symbolizer__new(struct as_symbolizer **out)
{
	struct as_symbolizer *s = calloc(1, sizeof(*s));

	if (!s || u64map__new(&s->object_idx) || u64map__new(&s->result_idx)) {
		symbolizer__free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

static void object_free(struct sym_object *o)
{
	if (!o)
		return;
	if (o->dwfl)
		dwfl_end(o->dwfl);
	free(o->loads);
	free(o->key);
	free(o);
}

static void lines_free(struct as_line *lines, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		free(lines[i].function);
		free(lines[i].file);
	}
	free(lines);
}

void symbolizer__free(struct as_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nresults; i++)
		lines_free(s->results[i].lines, s->results[i].nlines);
	free(s->results);
	u64map__free(s->result_idx);
	for (size_t i = 0; i < s->nobjects; i++)
		object_free(s->objects[i]);
	free(s->objects);
	u64map__free(s->object_idx);
	if (s->libstdcxx)
		dlclose(s->libstdcxx);
	free(s);
}

static uint64_t result_hash(const struct sym_object *obj, uint64_t offset,
			    bool is_ret)
{
	return u64map__hash_u64(u64map__hash_u64(obj->hash, offset), is_ret);
}

/* --- C++ names --------------------------------------------------------- */

/*
 * elfutils has no demangler; libstdc++'s is loaded on first use so that
 * the tool stays a C program and works where libstdc++ is absent.
 */
static char *demangle(struct as_symbolizer *s, const char *name)
{
	char *out;
	int status = -1;

	if (strncmp(name, "_Z", 2) != 0)
		return strdup(name);
	if (!s->demangle_loaded) {
		s->demangle_loaded = true;
		s->libstdcxx = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		if (s->libstdcxx)
			s->demangle =
			    (demangle_fn)dlsym(s->libstdcxx, "__cxa_demangle");
	}
	if (!s->demangle)
		return strdup(name);
	out = s->demangle(name, NULL, NULL, &status);
	if (status == 0 && out)
		return out;
	free(out);
	return strdup(name);
}

/* --- objects ----------------------------------------------------------- */

static int object_load_segments(struct sym_object *o)
{
	size_t phnum;
	Elf *elf;

	elf = dwfl_module_getelf(o->mod, &o->bias);
	if (!elf || elf_getphdrnum(elf, &phnum) != 0)
		return -ENOEXEC;
	o->loads = calloc(phnum ? phnum : 1, sizeof(*o->loads));
	if (!o->loads)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, (int)i, &mem);

		if (!ph || ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		o->loads[o->nloads++] = (struct sym_load){
		    .offset = ph->p_offset,
		    .filesz = ph->p_filesz,
		    .vaddr = ph->p_vaddr,
		};
	}
	return 0;
}

/*
 * Reports the file to a new Dwfl. Returns 0 with o->dwfl NULL when the
 * file is not an ELF object libdwfl accepts; that is remembered so the
 * file is tried once.
 */
static int object_open(struct sym_object *o, const struct as_module_file *file)
{
	static const char deleted[] = " (deleted)";
	char *name = NULL;
	size_t len;
	int fd = -1, err = 0;

	/* The debuglink search looks next to the file's original name. */
	name = strdup(file->path ? file->path : "");
	if (!name)
		return -ENOMEM;
	len = strlen(name);
	if (len >= sizeof(deleted) - 1 &&
	    strcmp(name + len - (sizeof(deleted) - 1), deleted) == 0)
		name[len - (sizeof(deleted) - 1)] = '\0';

	fd = fcntl(file->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	o->dwfl = dwfl_begin(&offline_callbacks);
	if (!o->dwfl) {
		err = -ENOMEM;
		goto cleanup;
	}
	dwfl_report_begin(o->dwfl);
	/* base 0 + add_p_vaddr: the module sits at its link-time addresses */
	o->mod = dwfl_report_elf(o->dwfl, name, name, fd, 0, true);
	dwfl_report_end(o->dwfl, NULL, NULL);
	if (!o->mod) {
		err = -ENOEXEC;
		goto cleanup;
	}
	fd = -1; /* owned by the Dwfl now */
	err = object_load_segments(o);
cleanup:
	if (fd >= 0)
		close(fd);
	if (err && o->dwfl) {
		dwfl_end(o->dwfl);
		o->dwfl = NULL;
		o->mod = NULL;
	}
	free(name);
	return err;
}

/* What an object is found by. */
struct object_key {
	const struct as_symbolizer *s;
	const char *key;
};

static bool object_is(uint64_t idx, const void *arg)
{
	const struct object_key *k = arg;

	return strcmp(k->s->objects[idx]->key, k->key) == 0;
}

/* Appends @o to the objects and their index; frees it on failure. */
static int object_add(struct as_symbolizer *s, struct sym_object *o)
{
	if (BUF_RESERVE(s->objects, s->cap_objects, s->nobjects + 1) ||
	    u64map__add(s->object_idx, o->hash, s->nobjects)) {
		object_free(o);
		return -ENOMEM;
	}
	s->objects[s->nobjects++] = o;
	return 0;
}

/*
 * The object for @file, opened on first use. *@first_err is set to the
 * error of a file that cannot be read, the first time only.
 */
static int object_get(struct as_symbolizer *s,
		      const struct as_module_file *file,
		      struct sym_object **out, int *first_err)
{
	char buf[64];
	struct object_key k = {.s = s, .key = file->build_id};
	struct sym_object *o;
	uint64_t h, idx;
	int err;

	if (!k.key || !*k.key) {
		snprintf(buf, sizeof(buf), "@%jx:%jx", (uintmax_t)file->dev,
			 (uintmax_t)file->ino);
		k.key = buf;
	}
	h = u64map__hash_str(U64MAP_HASH_INIT, k.key);
	if (u64map__find(s->object_idx, h, object_is, &k, &idx)) {
		*out = s->objects[idx];
		return 0;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->key = strdup(k.key);
	if (!o->key) {
		free(o);
		return -ENOMEM;
	}
	o->hash = h;
	err = object_open(o, file);
	/* Only a lack of resources may go away; retry those next time. */
	if (err == -ENOMEM || err == -EMFILE || err == -ENFILE) {
		object_free(o);
		return err;
	}
	*first_err = err;
	err = object_add(s, o);
	if (err)
		return err;
	*out = o;
	return 0;
}

/* --- results ----------------------------------------------------------- */

/* What a result is found by. */
struct result_key {
	const struct as_symbolizer *s;
	const struct sym_object *obj;
	uint64_t offset;
	bool is_ret;
};

static bool result_is(uint64_t idx, const void *arg)
{
	const struct result_key *k = arg;
	const struct sym_result *r = &k->s->results[idx];

	return r->obj == k->obj && r->offset == k->offset &&
	       r->is_return_address == k->is_ret;
}

static struct sym_result *result_find(const struct as_symbolizer *s,
				      const struct sym_object *obj,
				      uint64_t offset, bool is_ret)
{
	struct result_key k = {s, obj, offset, is_ret};
	uint64_t idx;

	if (!u64map__find(s->result_idx, result_hash(obj, offset, is_ret),
			  result_is, &k, &idx))
		return NULL;
	return &s->results[idx];
}

/* Keeps @r (and the lines it owns) as the result for its key. */
static int result_add(struct as_symbolizer *s, const struct sym_result *r)
{
	if (BUF_RESERVE(s->results, s->cap_results, s->nresults + 1) ||
	    u64map__add(s->result_idx,
			result_hash(r->obj, r->offset, r->is_return_address),
			s->nresults))
		return -ENOMEM;
	s->results[s->nresults++] = *r;
	return 0;
}

/* Growable list of lines under construction. */
struct line_buf {
	uint32_t n;
	size_t cap;
	struct as_line *lines;
};

/* Appends a line, taking ownership of @function and copying @file. */
static int line_add(struct line_buf *lb, char *function, const char *file,
		    int64_t line)
{
	struct as_line *l;

	if (buf__reserve((void **)&lb->lines, &lb->cap, lb->n + 1,
			 sizeof(*lb->lines), 4))
		goto nomem;
	l = &lb->lines[lb->n];
	l->function = function;
	l->file = file ? strdup(file) : NULL;
	if (file && !l->file)
		goto nomem;
	/* corrupt DWARF can say anything: a line is 1..INT32_MAX or unknown */
	l->line = line > 0 && line <= INT32_MAX ? line : 0;
	lb->n++;
	return 0;
nomem:
	free(function);
	return -ENOMEM;
}

/* --- DWARF ------------------------------------------------------------- */

static bool is_function(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);

	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/* Demangled name of a function DIE, following abstract origins. */
static char *die_function(struct as_symbolizer *s, Dwarf_Die *die)
{
	static const int attrs[] = {DW_AT_linkage_name, DW_AT_MIPS_linkage_name,
				    DW_AT_name};
	Dwarf_Attribute mem;

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		const char *name =
		    dwarf_formstring(dwarf_attr_integrate(die, attrs[i], &mem));

		if (name && *name)
			return demangle(s, name);
	}
	return NULL;
}

/* @file as a full path, joined to the CU's directory when relative. */
static char *full_path(Dwarf_Die *cudie, const char *file)
{
	Dwarf_Attribute mem;
	const char *dir;
	char *out;

	if (!file || file[0] == '/')
		return file ? strdup(file) : NULL;
	dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &mem));
	if (!dir || !*dir)
		return strdup(file);
	if (asprintf(&out, "%s/%s", dir, file) < 0)
		return NULL;
	return out;
}

/* DW_AT_call_file / DW_AT_call_line of an inlined subroutine. */
static void call_site(Dwarf_Die *die, const char **file, int64_t *line)
{
	Dwarf_Die cu_mem, *cudie;
	Dwarf_Attribute mem;
	Dwarf_Files *files;
	Dwarf_Word idx, ln;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &mem), &ln) == 0)
		*line = (int64_t)ln;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &mem), &idx) != 0)
		return;
	cudie = dwarf_diecu(die, &cu_mem, NULL, NULL);
	if (!cudie || dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 ||
	    idx >= nfiles)
		return;
	*file = dwarf_filesrc(files, idx, NULL, NULL);
}

/*
 * Cuts what GCC appends to the parts and clones of a function
 * (".cold", ".lto_priv.0", ".part.1", ".isra.0", ".constprop.0"; " [clone
 * .cold]" once demangled), so every part of a function has its name.
 */
static void strip_clone_suffix(char *name)
{
	static const char *const suffixes[] = {
	    " [clone ", ".cold",       ".lto_priv.", ".part.",
	    ".isra.",	".constprop.", ".localalias"};
	char *cut = NULL, *p;

	if (!name)
		return;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		p = strstr(name, suffixes[i]);
		if (p && p != name && (!cut || p < cut))
			cut = p;
	}
	if (cut)
		*cut = '\0';
}

/* Demangled name of the ELF symbol covering @pc, NULL when none. */
static char *symbol_name(struct as_symbolizer *s, Dwfl_Module *mod,
			 Dwarf_Addr pc)
{
	GElf_Off off;
	GElf_Sym sym;
	const char *name =
	    dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
	char *out = name && *name ? demangle(s, name) : NULL;

	strip_clone_suffix(out);
	return out;
}

/*
 * elfutils 0.188 finds a CU through .debug_aranges only, which clang does
 * not emit: scan the CUs' own address ranges instead.
 */
static Dwarf_Die *scan_cus(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = NULL;

	while ((cu = dwfl_module_nextcu(mod, cu, bias)) != NULL)
		if (dwarf_haspc(cu, pc - *bias) > 0)
			return cu;
	return NULL;
}

/* The source file of the line-table row at @pc (NULL when none). */
static const char *line_row(Dwarf_Die *cudie, Dwarf_Addr pc, int64_t *line)
{
	Dwarf_Line *dl = dwarf_getsrc_die(cudie, pc);
	int ln = 0;

	*line = 0;
	if (!dl)
		return NULL;
	if (dwarf_lineno(dl, &ln) == 0)
		*line = ln;
	return dwarf_linesrc(dl, NULL, NULL);
}

/* The function DIEs whose ranges hold an address, outermost first. */
struct scope_chain {
	int n;
	Dwarf_Die die[MAX_INLINE_DEPTH];
};

/* DIEs without addresses that C++ nests functions in. */
static bool is_container(int tag, bool cxx)
{
	return tag == DW_TAG_namespace ||
	       (cxx &&
		(tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
		 tag == DW_TAG_union_type));
}

/*
 * Descends from @parent through the children whose ranges hold @pc,
 * appending the function DIEs met to @c. Returns whether a child held it.
 * Not dwarf_getscopes(): for an inlined instance whose abstract origin is
 * in another CU (GCC's LTO units) it returns nothing, and the frame was
 * then named after the nearest ELF symbol, the .cold part of whatever
 * function happened to precede it.
 */
static bool descend(Dwarf_Die *parent, Dwarf_Addr pc, bool cxx, int depth,
		    struct scope_chain *c)
{
	Dwarf_Die child;
	int tag;

	if (depth >= MAX_INLINE_DEPTH || dwarf_child(parent, &child) != 0)
		return false;
	do {
		tag = dwarf_tag(&child);
		if (is_container(tag, cxx)) {
			if (descend(&child, pc, cxx, depth + 1, c))
				return true;
			continue;
		}
		if (dwarf_haspc(&child, pc) <= 0)
			continue;
		if (is_function(&child) && c->n < MAX_INLINE_DEPTH)
			c->die[c->n++] = child;
		descend(&child, pc, cxx, depth + 1, c);
		return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool is_cxx(Dwarf_Die *cudie)
{
	int lang = dwarf_srclang(cudie);

	return lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
	       lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14;
}

/*
 * Adds the line of the innermost function of @c (at @src:@line) and, for
 * each inlined instance, its call site in the function around it.
 */
static int add_chain(struct as_symbolizer *s, Dwarf_Die *cudie,
		     struct scope_chain *c, const char *src, int64_t line,
		     struct line_buf *lb)
{
	char *file;
	int err = 0;

	for (int i = c->n - 1; i >= 0 && !err; i--) {
		file = full_path(cudie, src);
		err = line_add(lb, die_function(s, &c->die[i]), file, line);
		free(file);
		if (err || dwarf_tag(&c->die[i]) != DW_TAG_inlined_subroutine)
			break;
		call_site(&c->die[i], &src, &line);
		if (i == 0) {
			/* an inlined instance outside any function */
			file = full_path(cudie, src);
			err = line_add(lb, NULL, file, line);
			free(file);
		}
	}
	return err;
}

/*
 * Lines from DWARF, innermost first: the line-table row at @pc in the
 * innermost function, then for each inlined subroutine its call site in
 * the function it was inlined into. Returns 0 with nothing added when the
 * address has no DWARF.
 */
static int resolve_dwarf(struct as_symbolizer *s, Dwfl_Module *mod,
			 Dwarf_Addr pc, struct line_buf *lb)
{
	struct scope_chain *c;
	Dwarf_Die *cudie;
	Dwarf_Addr bias;
	const char *src;
	char *file;
	int64_t line;
	int err = 0;

	cudie = dwfl_module_addrdie(mod, pc, &bias);
	if (!cudie)
		cudie = scan_cus(mod, pc, &bias);
	if (!cudie)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	src = line_row(cudie, pc - bias, &line);
	descend(cudie, pc - bias, is_cxx(cudie), 0, c);
	if (c->n) {
		err = add_chain(s, cudie, c, src, line, lb);
	} else if (src) {
		/* In a CU but in no function DIE: name it from the symbols. */
		file = full_path(cudie, src);
		err = line_add(lb, symbol_name(s, mod, pc), file, line);
		free(file);
	}
	free(c);
	return err;
}

/* "symbol+0xoff" from the ELF symbol tables, or nothing. */
static int resolve_symbol(struct as_symbolizer *s, Dwfl_Module *mod,
			  Dwarf_Addr pc, Dwarf_Addr addr, struct line_buf *lb)
{
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name;
	char *dem, *fn;
	int r;

	name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
	if (!name || !*name)
		return 0;
	dem = demangle(s, name);
	if (!dem)
		return -ENOMEM;
	/* The offset is that of the address itself, as a debugger shows it. */
	r = asprintf(&fn, "%s+0x%" PRIx64, dem, (uint64_t)(off + (addr - pc)));
	free(dem);
	if (r < 0)
		return -ENOMEM;
	return line_add(lb, fn, NULL, 0);
}

static int resolve_uncached(struct as_symbolizer *s, const struct sym_object *o,
			    uint64_t offset, bool is_ret, struct line_buf *lb)
{
	Dwarf_Addr addr, pc;
	size_t i;
	int err;

	if (!o->mod)
		return 0;
	for (i = 0; i < o->nloads; i++)
		if (offset >= o->loads[i].offset &&
		    offset - o->loads[i].offset < o->loads[i].filesz)
			break;
	if (i == o->nloads)
		return 0;
	addr = offset - o->loads[i].offset + o->loads[i].vaddr + o->bias;
	/* A return address follows the call: look at the call itself. */
	pc = is_ret && addr > 0 ? addr - 1 : addr;
	err = resolve_dwarf(s, o->mod, pc, lb);
	if (err || lb->n)
		return err;
	return resolve_symbol(s, o->mod, pc, addr, lb);
}

int symbolizer__resolve(struct as_symbolizer *s,
			const struct as_module_file *file, uint64_t file_offset,
			bool is_return_address, struct as_symbol *out)
{
	struct line_buf lb = {0};
	struct sym_object *o;
	struct sym_result *r;
	int err, first_err = 0;

	out->nlines = 0;
	out->lines = NULL;
	if (!file || file->fd < 0)
		return 0;
	err = object_get(s, file, &o, &first_err);
	if (err)
		return err;
	if (!o->mod)
		return first_err; /* not a usable ELF: nothing to cache */
	r = result_find(s, o, file_offset, is_return_address);
	if (r)
		goto found;

	err = resolve_uncached(s, o, file_offset, is_return_address, &lb);
	if (err)
		goto cleanup;
	err = result_add(s, &(struct sym_result){
				.obj = o,
				.offset = file_offset,
				.is_return_address = is_return_address,
				.nlines = lb.n,
				.lines = lb.lines,
			    });
	if (err)
		goto cleanup;
	r = &s->results[s->nresults - 1];
	lb.lines = NULL;
	lb.n = 0;
found:
	out->nlines = r->nlines;
	out->lines = r->lines;
	err = first_err;
cleanup:
	lines_free(lb.lines, lb.n);
	return err;
}
