/* SPDX-License-Identifier: MIT */
/*
 * sampling.h - the math of --sample-bytes, done in userspace.
 *
 * Owned by the sampling module. The BPF side has no floats: it draws its
 * countdowns from a table of exponential quantile means and reads the
 * weight of a recorded allocation from a table of g(x) = x / (1 - e^-x)
 * (allocsnoop.h describes both and as_sample_weight() interpolates).
 * This module fills the two tables before the programs are attached.
 */
#ifndef ALLOCSNOOP_SAMPLING_H
#define ALLOCSNOOP_SAMPLING_H

#include <stdint.h>

#include <linux/types.h>

#include "allocsnoop.h"

/*
 * Fills the sampling tables of allocsnoop.h for one sample per
 * @sample_bytes bytes on average: @draws[AS_SAMPLE_DRAWS] and
 * @gain[AS_SAMPLE_GAIN_N + 1]. Returns 0, or -EINVAL when @sample_bytes
 * is 0 or above AS_SAMPLE_BYTES_MAX.
 */
int sampling__tables(uint64_t sample_bytes, __u64 *draws, __u64 *gain);

#endif
