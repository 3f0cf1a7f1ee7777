/*
 * cuda_runtime.h - the emulated CUDA runtime (tests/cuda-emu).
 *
 * The part of the runtime lib/kernels_cuda.cu uses, on the host: device
 * memory is host memory (so AddressSanitizer sees every access outside an
 * allocation), filled with NaN bytes when allocated (so a read of memory
 * never written shows in the results); a kernel launch runs each thread
 * of each block in turn, at once; copies and memsets are immediate.  No
 * shared memory, __syncthreads or atomics: the backend uses none (adding
 * them means extending this).  A launch or call our backend should never
 * make (the default stream, a bad grid) stops the program with a message.
 */
#ifndef CUDA_EMU_RUNTIME_H
#define CUDA_EMU_RUNTIME_H

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

using std::fabs;
using std::isnan;
using std::sqrt;
using std::tanh;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

struct emu_dim3 {
	unsigned x, y, z;
};
extern thread_local emu_dim3 blockIdx, threadIdx, blockDim, gridDim;

typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorInvalidConfiguration = 9 };
typedef struct emu_stream *cudaStream_t;
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };

const char *cudaGetErrorString(cudaError_t rc);
cudaError_t cudaGetLastError(void);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaStreamSynchronize(cudaStream_t st);
cudaError_t cudaStreamCreate(cudaStream_t *st);
cudaError_t cudaStreamDestroy(cudaStream_t st);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaMalloc(void **p, size_t bytes);
template <typename T> cudaError_t cudaMalloc(T **p, size_t bytes)
{
	return cudaMalloc((void **)p, bytes);
}
cudaError_t cudaFree(void *p);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t st);
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t st);

/* The launch machinery behind the rewritten <<<...>>>. */
struct emu_config {
	unsigned long grid, block;
	cudaStream_t stream;
};
void emu_check_launch(const emu_config &c);	/* exits on a launch CUDA would refuse */

static inline emu_config emu_cfg(unsigned long grid, unsigned long block, size_t shared, cudaStream_t st)
{
	if (shared != 0) {
		fprintf(stderr, "cuda-emu: dynamic shared memory is not emulated\n");
		abort();
	}
	return emu_config{ grid, block, st };
}

template <typename F, typename... A> void emu_launch(F kernel, emu_config c, A... args)
{
	emu_check_launch(c);
	gridDim = emu_dim3{ (unsigned)c.grid, 1, 1 };
	blockDim = emu_dim3{ (unsigned)c.block, 1, 1 };
	for (unsigned long b = 0; b < c.grid; b++)
		for (unsigned long t = 0; t < c.block; t++) {
			blockIdx = emu_dim3{ (unsigned)b, 0, 0 };
			threadIdx = emu_dim3{ (unsigned)t, 0, 0 };
			kernel(args...);
		}
}

#endif
