/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * live.h - the live-block table and its publish protocol.
 *
 * Owned by bpf/. Live blocks sit first in a table of buckets (allocsnoop.h,
 * struct as_bucket): an array map the programs search with plain loads and
 * claim slots in with cmpxchg, so recording and ending a block calls no
 * helper. A writer claims an EMPTY slot (EMPTY -> CLAIMED), writes the tgid
 * and the record, then publishes the address; a reader matches the address
 * first, then the tgid, and takes the slot with cmpxchg(addr -> EMPTY), so
 * two threads never both end one block. A block whose bucket is full goes
 * to the allocs hash map; until the first one does, nothing is looked up
 * there.
 */
#ifndef ALLOCSNOOP_BPF_LIVE_H
#define ALLOCSNOOP_BPF_LIVE_H

/* Set once a block went to the allocs hash map: until then a block not in
 * the table is nowhere, which spares most lookups a helper call. */
__u32 overflow_used = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct as_bucket);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct as_alloc_key);
	__type(value, struct as_alloc_val);
} allocs SEC(".maps");

static __always_inline struct as_bucket *bucket_of(__u32 tgid, __u64 addr)
{
	__u64 h = (addr ^ ((__u64)tgid << 40)) * 0x9e3779b97f4a7c15ULL;
	__u32 i = (__u32)(h >> 32) & table_mask;

	return bpf_map_lookup_elem(&table, &i);
}

/* Does slot @i of @b hold (@tgid, @addr)? @a is its address word, read
 * first: the address is published after the tgid and the record. */
static __always_inline bool slot_holds(struct as_bucket *b, int i, __u64 a,
				       __u32 tgid, __u64 addr)
{
	return a == addr && READ_ONCE(b->tgid[i]) == tgid;
}

/* Takes the record of (@tgid, @addr) out of the allocs hash map, where
 * blocks go when their bucket is full: 1 with *@out filled, else 0. */
static __always_inline int hash_take(__u32 tgid, __u64 addr,
				     struct as_alloc_val *out)
{
	struct as_alloc_key key = {.tgid = tgid, .addr = addr};
	struct as_alloc_val *v;

	if (!overflow_used)
		return 0;
	v = bpf_map_lookup_elem(&allocs, &key);
	if (!v)
		return 0;
	*out = *v;
	return !bpf_map_delete_elem(&allocs, &key);
}

/*
 * Takes the live record of (@tgid, @addr) out into *@out. Returns 1, or 0
 * when there is none (or another thread took it first).
 */
static __always_inline int live_take(__u32 tgid, __u64 addr,
				     struct as_alloc_val *out)
{
	struct as_bucket *b = bucket_of(tgid, addr);
	int i;

	if (b) {
#pragma unroll
		for (i = 0; i < AS_BUCKET_SLOTS; i++) {
			if (!slot_holds(b, i, READ_ONCE(b->addr[i]), tgid,
					addr))
				continue;
			*out = b->rec[i];
			return __sync_val_compare_and_swap(
				   &b->addr[i], addr, AS_SLOT_EMPTY) == addr;
		}
	}
	return hash_take(tgid, addr, out);
}

/*
 * Stores the live record of (@tgid, @addr). Returns 0; 1 when a record of
 * that address was still live (freed by a path not probed): it is
 * replaced and returned in *@old; -1 when there is no room.
 */
static __always_inline int live_put(__u32 tgid, __u64 addr,
				    const struct as_alloc_val *val,
				    struct as_alloc_val *old)
{
	struct as_alloc_key key = {.tgid = tgid, .addr = addr};
	struct as_bucket *b = bucket_of(tgid, addr);
	struct as_alloc_val *v;
	__u64 a;
	int i, nfree = 0;
	long err;

	if (b) {
#pragma unroll
		for (i = 0; i < AS_BUCKET_SLOTS; i++) {
			a = READ_ONCE(b->addr[i]);
			nfree += a == AS_SLOT_EMPTY;
			if (!slot_holds(b, i, a, tgid, addr))
				continue;
			*old = b->rec[i];
			b->rec[i] = *val;
			return 1;
		}
#pragma unroll
		for (i = 0; i < AS_BUCKET_SLOTS; i++) {
			if (!nfree)
				break;
			if (READ_ONCE(b->addr[i]) != AS_SLOT_EMPTY ||
			    __sync_val_compare_and_swap(
				&b->addr[i], AS_SLOT_EMPTY, AS_SLOT_CLAIMED) !=
				AS_SLOT_EMPTY)
				continue;
			b->tgid[i] = tgid;
			b->rec[i] = *val;
			WRITE_ONCE(b->addr[i], addr);
			/* a stale record may sit in the hash map */
			return hash_take(tgid, addr, old);
		}
	}
	if (!overflow_used)
		overflow_used = 1;
	err = bpf_map_update_elem(&allocs, &key, val, BPF_NOEXIST);
	if (err == -EEXIST) {
		v = bpf_map_lookup_elem(&allocs, &key);
		if (!v)
			return -1;
		*old = *v;
		*v = *val;
		return 1;
	}
	return err ? -1 : 0;
}

#endif
