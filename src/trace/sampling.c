// SPDX-License-Identifier: MIT
/* sampling.c - the tables that let the BPF side sample without floats. */
#include <errno.h>
#include <math.h>

#include "trace/sampling.h"

/* x / (1 - e^-x), which is 1 at 0 */
static double gain_at(double x)
{
	return x > 0 ? x / -expm1(-x) : 1.0;
}

/* F(v) = v ln v - v, with F(0) = 0: an antiderivative of ln v. */
static double xlogx_minus_x(double v)
{
	return v > 0 ? v * log(v) - v : 0.0;
}

int sampling__tables(uint64_t sample_bytes, __u64 *draws, __u64 *gain)
{
	double n = (double)sample_bytes, lo, hi, mean;
	int i;

	if (!sample_bytes || sample_bytes > AS_SAMPLE_BYTES_MAX)
		return -EINVAL;
	/* Slice i of Exp(1) is the quantiles u in [i/K, (i+1)/K); its mean
	 * is K * integral of -ln(1-u) du over the slice = K * (F(1-b) -
	 * F(1-a)). Slice means, not random draws: the table's mean is
	 * exactly N, so the sample rate carries no fixed bias. */
	for (i = 0; i < AS_SAMPLE_DRAWS; i++) {
		lo = (double)i / AS_SAMPLE_DRAWS;
		hi = (double)(i + 1) / AS_SAMPLE_DRAWS;
		mean = AS_SAMPLE_DRAWS *
		       (xlogx_minus_x(1 - hi) - xlogx_minus_x(1 - lo));
		draws[i] = (__u64)llround(mean * n);
		if (!draws[i])
			draws[i] = 1;
	}
	for (i = 0; i <= AS_SAMPLE_GAIN_N; i++) {
		double x = (double)i /
			   (1 << (AS_SAMPLE_X_SHIFT - AS_SAMPLE_STEP_SHIFT));

		gain[i] =
		    (__u64)llround(ldexp(gain_at(x), AS_SAMPLE_GAIN_SHIFT));
	}
	return 0;
}
