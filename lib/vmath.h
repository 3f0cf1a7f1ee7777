/*
 * vmath.h - private: elementary functions written so that a loop over them
 * vectorises (no calls, no branches: both halves computed, then selected
 * with bit operations).  Not part of the public API.
 */
#ifndef CP_VMATH_H
#define CP_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * CP_CLONES before a hot function: the compiler also builds an AVX2 copy
 * and the loader picks it where the CPU has AVX2.  Without FMA (no
 * contraction either way), each element is computed by the same
 * operations in the same order as in the SSE2 copy, so results do not
 * depend on the machine.  Functions it calls must be always_inline to be
 * part of the copy.  CPPFLAGS=-DCP_NO_CLONES builds the SSE2 copy alone
 * (tests/variants.sh checks that it trains and predicts the same bits).
 */
#if defined(__x86_64__) && defined(__ELF__) && !defined(CP_NO_CLONES) && \
	((defined(__clang__) && __clang_major__ >= 14) || (!defined(__clang__) && __GNUC__ >= 8))
#define CP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CP_CLONES
#endif
#define CP_INLINE static inline __attribute__((always_inline))

/* A spin-wait's pause. */
#if defined(__x86_64__) || defined(__i386__)
#define CP_PAUSE() __builtin_ia32_pause()
#else
#define CP_PAUSE() ((void)0)
#endif

/* c ? a : b, as bit operations (a compare and a blend when vectorised). */
CP_INLINE float cp_selectf(int c, float a, float b)
{
	uint32_t ua, ub, m = 0u - (uint32_t)c;

	memcpy(&ua, &a, sizeof ua);
	memcpy(&ub, &b, sizeof ub);
	ua = (ua & m) | (ub & ~m);
	memcpy(&a, &ua, sizeof a);
	return a;
}

/*
 * tanh in float, within 1.6 ulp of the exact value on every float (1.52
 * at worst; tests/unit/test_kernels.c sweeps every 61st in [-20, 20]).  |x| < 0.55: the odd
 * Taylor series x - x^3/3 + 2x^5/15 - ... to x^17 (the next term is below
 * 2^-25 relative there).  Otherwise 1 - 2 / (e^{2|x|} + 1), with
 * e^y = 2^n e^r, |r| <= ln2 / 2, e^r by its Taylor series to r^7, and
 * |x| clamped at 10 (tanh(10) rounds to 1).  Odd; NaN gives NaN.
 */
CP_INLINE float cp_tanhf(float x)
{
	float a = __builtin_fabsf(x);
	float as = cp_selectf(a < 0.55f, a, 0.55f), s = as * as, p, small;
	float y = 2.0f * cp_selectf(a < 10.0f, a, 10.0f), n, r, e, scale, large, t;
	int32_t ni, bits;

	p = 6404582.0f / 10854718875.0f;
	p = p * s - 929569.0f / 638512875.0f;
	p = p * s + 21844.0f / 6081075.0f;
	p = p * s - 1382.0f / 155925.0f;
	p = p * s + 62.0f / 2835.0f;
	p = p * s - 17.0f / 315.0f;
	p = p * s + 2.0f / 15.0f;
	p = p * s - 1.0f / 3.0f;
	small = as + as * s * p;

	ni = (int32_t)(y * 1.44269504088896341f + 0.5f);	/* y >= 0: rounds */
	n = (float)ni;
	/* ln 2 in two parts: n * 0.693145751953125 is exact for n < 2^9 */
	r = (y - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
	e = 1.0f / 5040.0f;
	e = e * r + 1.0f / 720.0f;
	e = e * r + 1.0f / 120.0f;
	e = e * r + 1.0f / 24.0f;
	e = e * r + 1.0f / 6.0f;
	e = e * r + 0.5f;
	e = e * r + 1.0f;
	e = e * r + 1.0f;
	bits = (ni + 127) << 23;
	memcpy(&scale, &bits, sizeof scale);
	large = 1.0f - 2.0f / (e * scale + 1.0f);

	t = cp_selectf(a < 0.55f, small, large);
	t = __builtin_copysignf(t, x);
	return cp_selectf(x == x, t, x);
}

/*
 * The sum of the squares of x[0..n) in double, element i added to partial
 * sum i % 8 and the partial sums added in a fixed order: the same bits in
 * the SSE2 and the AVX2 copy and at any optimisation (a reduction the
 * compiler vectorises adds in an order that follows the vector width).
 * Eight named sums, which the compiler keeps in registers.
 */
#define CP_SQ(k) ((double)x[i + (k)] * x[i + (k)])
#define CP_SUM_SQUARES(name, T) \
	CP_INLINE double name(size_t n, const T *x) \
	{ \
		double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0; \
		size_t i = 0; \
\
		for (; i + 8 <= n; i += 8) { \
			s0 += CP_SQ(0), s1 += CP_SQ(1), s2 += CP_SQ(2), s3 += CP_SQ(3); \
			s4 += CP_SQ(4), s5 += CP_SQ(5), s6 += CP_SQ(6), s7 += CP_SQ(7); \
		} \
		double s[8] = { s0, s1, s2, s3, s4, s5, s6, s7 }; \
\
		for (int k = 0; i < n; i++, k++) \
			s[k] += CP_SQ(0); \
		return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); \
	}
CP_SUM_SQUARES(cp_sum_squares_f32, float)
CP_SUM_SQUARES(cp_sum_squares_f64, double)
#undef CP_SQ
#undef CP_SUM_SQUARES

#endif
