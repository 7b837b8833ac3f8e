// SPDX-License-Identifier: MIT
/*
 * pycode.c - code objects from another process's memory, and their
 * location tables.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "symbolize/pycode.h"

/* A file name or a qualified name longer than this is cut. */
#define STR_MAX	  4096
#define TABLE_MAX (1 << 20)

/* --- location table ---------------------------------------------------- */

struct table_cursor {
	const uint8_t *p, *end;
};

/* Unsigned varint: 6-bit chunks, least significant first, bit 6 = more. */
static uint32_t read_varint(struct table_cursor *c)
{
	uint32_t v = 0, shift = 0;
	uint8_t b;

	do {
		if (c->p >= c->end)
			return v;
		b = *c->p++;
		if (shift < 32)
			v |= (uint32_t)(b & 0x3f) << shift;
		shift += 6;
	} while (b & 0x40);
	return v;
}

static int read_svarint(struct table_cursor *c)
{
	uint32_t v = read_varint(c);

	return v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
}

/* Skips the rest of an entry: bytes with bit 7 clear. */
static void skip_entry(struct table_cursor *c)
{
	while (c->p < c->end && !(*c->p & 0x80))
		c->p++;
}

int pycode__line(const uint8_t *table, size_t len, int firstlineno,
		 uint32_t index)
{
	struct table_cursor c = {table, table + len};
	uint32_t at = 0, n;
	int line = firstlineno, code, here;

	while (c.p < c.end) {
		if (!(*c.p & 0x80))
			return 0; /* not at an entry: a corrupt table */
		code = (*c.p >> 3) & 0xf;
		n = (*c.p & 7) + 1;
		c.p++;
		here = line;
		switch (code) {
		case 15: /* no location */
			here = 0;
			break;
		case 14: /* long form: line delta, then end line and columns */
		case 13: /* no columns */
			line += read_svarint(&c);
			here = line;
			break;
		case 10:
		case 11:
		case 12: /* one line form */
			line += code - 10;
			here = line;
			break;
		default: /* short forms: same line */
			break;
		}
		skip_entry(&c);
		if (index < at + n)
			return here > 0 ? here : 0;
		at += n;
	}
	return 0;
}

/*
 * 3.10's table (Objects/lnotab_notes.txt of 3.10): pairs of an unsigned
 * byte, the length in bytes of a range of bytecode, and a signed byte,
 * the line delta to the range (-128: the range has no line). Empty ranges
 * carry what a line delta has beyond -127..127; a range over 254 bytes is
 * cut in several, the ones after the first with delta 0.
 */
int pycode__line_310(const uint8_t *table, size_t len, int firstlineno,
		     int lasti)
{
	uint32_t start, end = 0, offset;
	int line = firstlineno, here;
	int8_t delta;

	if (lasti < 0)
		return firstlineno; /* as 3.10's PyCode_Addr2Line() says */
	offset = (uint32_t)lasti * 2;
	for (size_t i = 0; i + 1 < len; i += 2) {
		start = end;
		end += table[i];
		memcpy(&delta, &table[i + 1], 1);
		here = -1;
		if (delta != -128) {
			line += delta;
			here = line;
		}
		if (offset >= start && offset < end)
			return here > 0 ? here : 0;
	}
	return 0;
}

/* --- reading the process ----------------------------------------------- */

static int read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static uint64_t word_at(const uint8_t *buf, uint16_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* Appends code point @cp to @out as UTF-8; returns the bytes written. */
static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* @n code points of @kind bytes each at @raw, as a UTF-8 string. */
static char *to_utf8(const uint8_t *raw, size_t n, unsigned kind)
{
	char *out = malloc(n * 4 + 1), *p = out;
	uint32_t cp;
	uint16_t u16;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (kind == 1) {
			cp = raw[i];
		} else if (kind == 2) {
			memcpy(&u16, raw + 2 * i, 2);
			cp = u16;
		} else {
			memcpy(&cp, raw + 4 * i, 4);
		}
		p += put_utf8(p, cp);
	}
	*p = '\0';
	return out;
}

/* The compact str at @addr as UTF-8; NULL when it cannot be read. */
static char *read_str(pid_t pid, const struct as_py_layout *l, uint64_t addr)
{
	uint8_t head[128], *raw = NULL;
	uint64_t n;
	uint32_t state;
	unsigned kind;
	bool ascii;
	char *out = NULL;

	if (!addr || l->str_compact_data > sizeof(head) ||
	    read_mem(pid, addr, head, l->str_compact_data))
		return NULL;
	n = word_at(head, l->str_length);
	memcpy(&state, head + l->str_state, sizeof(state));
	/* state: interned (2 bits), kind (3), compact (1), ascii (1) */
	kind = state >> 2 & 7;
	ascii = state >> 6 & 1;
	if (!(state >> 5 & 1) || (kind != 1 && kind != 2 && kind != 4))
		return NULL; /* not compact: never a code object's names */
	if (n > STR_MAX)
		n = STR_MAX;
	raw = malloc(n * kind + 1);
	if (!raw)
		return NULL;
	if (read_mem(pid,
		     addr + (ascii ? l->str_ascii_data : l->str_compact_data),
		     raw, n * kind) == 0)
		out = to_utf8(raw, n, kind);
	free(raw);
	return out;
}

/* The bytes object at @addr; 0 or a negative errno. */
static int read_bytes(pid_t pid, const struct as_py_layout *l, uint64_t addr,
		      uint8_t **out, size_t *len)
{
	uint8_t head[64];
	uint64_t n;
	int err;

	if (!addr || l->bytes_data > sizeof(head))
		return -EINVAL;
	err = read_mem(pid, addr, head, l->bytes_data);
	if (err)
		return err;
	n = word_at(head, l->bytes_size);
	if (n > TABLE_MAX)
		return -E2BIG;
	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	err = read_mem(pid, addr + l->bytes_data, *out, n);
	if (err) {
		free(*out);
		*out = NULL;
		return err;
	}
	*len = n;
	return 0;
}

/* The bytes of a code object's head that hold the fields read. */
static size_t head_span(const struct as_py_layout *l)
{
	const uint16_t offs[] = {l->co_filename, l->co_qualname,
				 l->co_linetable, l->co_firstlineno};
	uint16_t last =
	    python_offsets__last(offs, sizeof(offs) / sizeof(*offs));

	return (size_t)last + 8;
}

int pycode__read_head(pid_t pid, const struct as_py_layout *l, uint64_t addr,
		      struct as_pycode *out)
{
	uint8_t head[256];
	size_t span = head_span(l);
	int32_t first;
	int err;

	memset(out, 0, sizeof(*out));
	if (span > sizeof(head))
		return -EINVAL;
	err = read_mem(pid, addr, head, span);
	if (err)
		return err;
	out->addr = addr;
	out->filename_ptr = word_at(head, l->co_filename);
	out->qualname_ptr = word_at(head, l->co_qualname);
	out->linetable_ptr = word_at(head, l->co_linetable);
	memcpy(&first, head + l->co_firstlineno, sizeof(first));
	out->firstlineno = first;
	return 0;
}

int pycode__read(pid_t pid, const struct as_py_layout *l, uint64_t addr,
		 struct as_pycode *out)
{
	int err = pycode__read_head(pid, l, addr, out);

	if (err)
		return err;
	out->filename = read_str(pid, l, out->filename_ptr);
	out->qualname = read_str(pid, l, out->qualname_ptr);
	err = read_bytes(pid, l, out->linetable_ptr, &out->linetable,
			 &out->linetable_len);
	if (err || !out->filename || !out->qualname) {
		pycode__clear(out);
		return err ? err : -EFAULT;
	}
	return 0;
}

void pycode__clear(struct as_pycode *c)
{
	free(c->filename);
	free(c->qualname);
	free(c->linetable);
	memset(c, 0, sizeof(*c));
}
