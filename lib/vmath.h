/*
 * vmath.h - private: elementary functions written so that a loop over them
 * vectorises (no calls, no branches: both halves computed, then selected
 * with bit operations).  Not part of the public API.
 */
#ifndef CP_VMATH_H
#define CP_VMATH_H

#include <stdint.h>
#include <string.h>

/*
 * CP_CLONES before a hot function: the compiler also builds an AVX2 copy
 * and the loader picks it where the CPU has AVX2.  Without FMA (no
 * contraction either way), each element is computed by the same
 * operations in the same order as in the SSE2 copy, so results do not
 * depend on the machine.  Functions it calls must be always_inline to be
 * part of the copy.
 */
#if defined(__x86_64__) && defined(__ELF__) && \
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
 * tanh in float, within 1.6 ulp of the correctly rounded value on every
 * float (tests/unit/test_kernels.c sweeps them).  |x| < 0.55: the odd
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

#endif
